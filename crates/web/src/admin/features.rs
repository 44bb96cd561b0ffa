//! The Features tab: the account's switches, enforced by the domain on every path
//! (portal forms, reply and forward posts), not only hidden here.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use sealpost_domain::model::Account;
use sealpost_domain::settings::{AccountSettings, Feature};

use super::{AccountAdmin, admin_page};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::CsrfForm;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountTab, Area, Page, render};

/// One switch as the form shows it.
pub struct Switch {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "admin/features.html")]
pub struct FeaturesPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub switches: Vec<Switch>,
    /// The two-step requirement's choices: (value, label, chosen).
    pub two_step: Vec<(&'static str, String, bool)>,
}

/// `GET /admin/accounts/{number}/features`.
pub async fn show_features(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
) -> Result<Response, WebError> {
    let settings = state
        .services
        .account_settings(&scope)
        .await
        .or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    let switches = Feature::ALL
        .into_iter()
        .map(|feature| Switch {
            name: feature.as_str(),
            label: t.get(&format!("feature-{}", feature.as_str())),
            hint: t.get(&format!("feature-{}-hint", feature.as_str())),
            on: settings.allows(feature),
        })
        .collect();
    let chosen = settings.two_step_required.map_or("", |r| r.as_str());
    let two_step = super::two_step::CHOICES
        .into_iter()
        .map(|(value, label)| (value, t.get(label), value == chosen))
        .collect();
    Ok(render(&FeaturesPage {
        page: admin_page(&admin.visitor, t.get("tab-features")),
        account: scope.into_account(),
        tab: AccountTab::Features,
        switches,
        two_step,
    }))
}

/// `POST /admin/accounts/{number}/features`.
pub async fn save_features(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    // A ticked box is sent under the feature's name; an unticked one is not sent.
    let apply = |settings: &mut AccountSettings| {
        for feature in Feature::ALL {
            let ticked = pairs.iter().any(|(name, _)| name == feature.as_str());
            settings.set_feature(feature, ticked);
        }
    };
    state
        .services
        .change_account_settings(&scope, apply)
        .await
        .or_page(admin.visitor.locale)?;
    Ok(see_other_with_flash(
        &state,
        &format!("/admin/accounts/{number}/features"),
        &Flash::new("flash-features-saved", &[]),
    ))
}
