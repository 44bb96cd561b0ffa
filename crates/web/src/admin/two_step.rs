//! The account's two-step verification requirement, saved from its own form on
//! the Features tab (`POST /admin/accounts/{number}/two-step`): nobody, the
//! Account Administrators, or every member. It is the `two_step_required`
//! setting; the domain reads it at each login.

use axum::extract::State;
use axum::response::Response;
use sealpost_domain::two_step::TwoStepRequirement;
use serde::Deserialize;

use super::AccountAdmin;
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::CsrfForm;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;

/// The choices the form offers: (value, label id); the empty value is "nobody".
pub const CHOICES: [(&str, &str); 3] = [
    ("", "two-step-requirement-nobody"),
    ("administrators", "two-step-requirement-administrators"),
    ("members", "two-step-requirement-members"),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequirementForm {
    required: String,
}

/// `POST /admin/accounts/{number}/two-step`.
pub async fn save_requirement(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(form): CsrfForm<RequirementForm>,
) -> Result<Response, WebError> {
    let locale = admin.visitor.locale;
    let required = match form.required.as_str() {
        "" => None,
        other => Some(TwoStepRequirement::parse(other).ok_or(WebError::NotFound(locale))?),
    };
    state
        .services
        .change_account_settings(&scope, |settings| settings.two_step_required = required)
        .await
        .or_page(locale)?;
    Ok(see_other_with_flash(
        &state,
        &format!("/admin/accounts/{number}/features"),
        &Flash::new("two-step-requirement-saved", &[]),
    ))
}
