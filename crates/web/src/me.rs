//! `/me`: every signed-in user's own page (recipients too). One form saves the
//! first and last name, the language and the time zone, and, when its password
//! fields are filled in, a new password (the current one is asked for). A refused
//! form saves nothing and comes back with what was typed (never the passwords).
//!
//! The URL names nobody: the page always shows and changes the session's own user.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use sealpost_domain::DomainError;
use sealpost_domain::model::User;
use sealpost_domain::services::me::OwnProfileRequest;
use sealpost_domain::types::{Locale, Password};
use sealpost_i18n::dates::{COMMON_TIME_ZONES, all_time_zones};
use serde::Deserialize;

use crate::AppState;
use crate::auth::see_other;
use crate::context::{CsrfForm, Signed};
use crate::cookies;
use crate::error::{OrErrorPage as _, WebError};
use crate::flash::Flash;
use crate::views::{Area, FormError, MePage, render, render_status};

/// The routes of the self page.
pub fn router() -> Router<AppState> {
    Router::new().route("/me", get(show_me).post(update_me))
}

/// What the form sends.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MeForm {
    first_name: String,
    last_name: String,
    locale: String,
    time_zone: String,
    current_password: String,
    new_password: String,
    confirm_password: String,
}

impl MeForm {
    /// The form as the stored user fills it.
    fn of(user: &User) -> Self {
        Self {
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            locale: user.locale.map(|l| l.tag().to_owned()).unwrap_or_default(),
            time_zone: user
                .time_zone
                .as_ref()
                .map(|z| z.as_str().to_owned())
                .unwrap_or_default(),
            ..Self::default()
        }
    }

    /// Whether the user asked for a new password (any of its fields filled in).
    fn changes_password(&self) -> bool {
        !(self.current_password.is_empty() && self.new_password.is_empty() && self.confirm_password.is_empty())
    }
}

async fn me_page(
    state: &AppState,
    signed: &Signed,
    form: &MeForm,
    error: Option<FormError>,
) -> Result<MePage, WebError> {
    let visitor = &signed.visitor;
    let mut page = visitor.page(Area::Portal, visitor.t.get("me-title"));
    page.is_admin_nav = state
        .services
        .is_administrator(&signed.actor)
        .await
        .or_page(visitor.locale)?;
    let chosen = form.time_zone.as_str();
    let mut common: Vec<(String, bool)> = COMMON_TIME_ZONES
        .iter()
        .filter(|z| **z != "UTC")
        .map(|z| ((*z).to_owned(), *z == chosen))
        .collect();
    if !chosen.is_empty()
        && !COMMON_TIME_ZONES.contains(&chosen)
        && !all_time_zones().iter().any(|(_, z)| z.iter().any(|n| n == chosen))
    {
        // A name typed by hand and refused: shown so the form keeps it.
        common.insert(0, (chosen.to_owned(), true));
    }
    Ok(MePage {
        page,
        email: signed.actor.user().email.to_string(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        languages: Locale::ALL
            .iter()
            .map(|l| (l.tag(), l.native_name(), form.locale == l.tag()))
            .collect(),
        browser_language: form.locale.is_empty(),
        utc: chosen.is_empty() || chosen == "UTC",
        common_zones: common,
        zone_groups: all_time_zones()
            .iter()
            .map(|(region, zones)| {
                (
                    region.clone(),
                    zones
                        .iter()
                        .map(|z| (z.clone(), z == chosen && !COMMON_TIME_ZONES.contains(&chosen)))
                        .collect(),
                )
            })
            .collect(),
        now: state.services.clock.now(),
        error,
    })
}

/// `GET /me`: the signed-in user's own settings.
pub async fn show_me(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let form = MeForm::of(signed.actor.user());
    Ok(render(&me_page(&state, &signed, &form, None).await?))
}

/// `POST /me`: "Save". Names, language and time zone are checked first; then the
/// password, when asked for; only then is anything stored.
pub async fn update_me(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(form): CsrfForm<MeForm>,
) -> Result<Response, WebError> {
    let refused = async |error: DomainError| -> Result<Response, WebError> {
        let error = crate::error::form_error(&signed.visitor.t, signed.visitor.locale, error)?;
        Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &me_page(&state, &signed, &form, Some(error)).await?,
        ))
    };
    let request = OwnProfileRequest {
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        locale: form.locale.clone(),
        time_zone: form.time_zone.clone(),
    };
    let profile = match request.parse() {
        Ok(profile) => profile,
        Err(error) => return refused(error).await,
    };
    let client = &signed.visitor.client;
    let mut set_cookies = Vec::new();
    let mut flash = "flash-me-saved";
    if form.changes_password() {
        let current = Password::new(&form.current_password);
        match state
            .services
            .change_password(
                &signed.actor,
                &current,
                &form.new_password,
                &form.confirm_password,
                signed.visitor.locale,
                client,
            )
            .await
        {
            Ok(opened) => {
                set_cookies.push(cookies::set(
                    cookies::SESSION,
                    &opened.token,
                    None,
                    state.config.secure_cookies,
                ));
                flash = "flash-me-saved-password";
            }
            Err(error) => {
                let error = match error.validation().cloned() {
                    Some(v) => DomainError::invalid(password_field(&v), v),
                    None => error,
                };
                return refused(error).await;
            }
        }
    }
    state
        .services
        .save_own_profile(&signed.actor, &profile, client)
        .await
        .or_page(signed.visitor.locale)?;
    set_cookies.push(Flash::new(flash, &[]).cookie(state.config.secure_cookies));
    Ok(see_other("/me", &set_cookies))
}

/// The password field a refusal belongs to.
fn password_field(error: &sealpost_domain::ValidationError) -> &'static str {
    match error {
        sealpost_domain::ValidationError::CurrentPasswordWrong => "current_password",
        sealpost_domain::ValidationError::PasswordMismatch => "confirm_password",
        _ => "new_password",
    }
}
