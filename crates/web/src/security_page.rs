//! `/me/security`: every user's own security page (recipients too).
//!
//! | route | what |
//! |---|---|
//! | `GET /me/security` | two-step status, sessions (this one marked), remembered devices |
//! | `POST /me/security/totp/start`, `GET/POST /me/security/totp` | set up TOTP: QR code, first code |
//! | `POST /me/security/totp/off` | turn it off (password again) |
//! | `POST /me/security/recovery-codes` | ten new recovery codes (password again) |
//! | `POST /me/security/logout-everywhere` | end every other session, forget every device |
//!
//! The passkeys' routes (adding one, removing one) are in [`crate::passkeys`]; this
//! page lists them and holds the form that starts adding one.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use sealpost_domain::DomainError;
use sealpost_domain::services::two_step::{TwoStepError, TwoStepStatus};
use sealpost_domain::types::Password;
use serde::Deserialize;

use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{CsrfForm, NoFields, Signed};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::portal::portal_page;
use crate::two_step::{EnrolPage, QrView, RecoveryCodesPage, refusal};
use crate::views::{Area, Page, render, render_status};

/// The security page's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/security", get(show_security))
        .route("/me/security/totp/start", post(start_totp))
        .route("/me/security/totp", get(totp_form).post(confirm_totp))
        .route("/me/security/totp/off", post(turn_off))
        .route("/me/security/recovery-codes", post(recovery_codes))
        .route("/me/security/logout-everywhere", post(logout_everywhere))
}

/// A session as listed.
pub struct SessionRow {
    pub created: String,
    pub last_seen: String,
    pub client: String,
    pub this: bool,
}

/// A passkey as listed, with its rename form.
pub struct PasskeyRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
    /// The rename field's value: the name, or what was typed and refused.
    pub new_name: String,
    /// Why the rename was refused.
    pub rename_error: Option<String>,
}

/// The passkey part of the page: the "Add a passkey" form as typed, and why it
/// was refused; or a refused rename of one passkey.
#[derive(Default)]
pub struct PasskeyForm {
    pub name: String,
    pub error: Option<String>,
    /// The passkey whose rename was refused, what was typed and why.
    pub rename: Option<(i64, String, String)>,
}

/// A remembered device as listed.
pub struct DeviceRow {
    pub created: String,
    pub until: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "two_step/security.html")]
pub struct SecurityPage {
    pub page: Page,
    pub status: TwoStepStatus,
    pub sessions: Vec<SessionRow>,
    pub devices: Vec<DeviceRow>,
    /// A refused password on the turn-off or recovery-codes form.
    pub error: Option<String>,
    pub passkeys: Vec<PasskeyRow>,
    /// Why passkeys cannot be added here (the public URL is an IP address).
    pub passkeys_unavailable: Option<String>,
    pub passkey_form: PasskeyForm,
}

/// A refused change to the two-step settings: the security page again with why,
/// or the error page when the store failed.
async fn refused(state: &AppState, signed: &Signed, error: TwoStepError) -> Result<Response, WebError> {
    match error {
        TwoStepError::Domain(e) => Err(WebError::from_domain(signed.visitor.locale, e)),
        error => {
            let (status, message) = refusal(&signed.visitor, &error);
            security_page(state, signed, Some(message), status).await
        }
    }
}

async fn security_page(
    state: &AppState,
    signed: &Signed,
    error: Option<String>,
    status_code: StatusCode,
) -> Result<Response, WebError> {
    security_page_with(state, signed, error, PasskeyForm::default(), status_code).await
}

/// The security page with the passkey form as typed (and refused).
pub(crate) async fn security_page_with(
    state: &AppState,
    signed: &Signed,
    error: Option<String>,
    passkey_form: PasskeyForm,
    status_code: StatusCode,
) -> Result<Response, WebError> {
    let locale = signed.visitor.locale;
    let t = &signed.visitor.t;
    let Some((session, _)) = &signed.visitor.session else {
        return Err(WebError::Redirect("/portal/login".to_owned()));
    };
    let status = state.services.two_step_status(&signed.actor).await.or_page(locale)?;
    let overview = state
        .services
        .security_overview(&signed.actor, session)
        .await
        .or_page(locale)?;
    let sessions = overview
        .sessions
        .into_iter()
        .map(|(s, this)| SessionRow {
            created: signed.visitor.dates.date_time(s.created_at),
            last_seen: signed.visitor.dates.date_time(s.last_seen_at),
            client: s.client.unwrap_or_else(|| t.get("security-unknown-client")),
            this,
        })
        .collect();
    let devices = overview
        .devices
        .into_iter()
        .map(|d| DeviceRow {
            created: signed.visitor.dates.date_time(d.created_at),
            until: signed.visitor.dates.date_time(d.expires_at),
            last_used: d
                .last_used_at
                .map_or_else(|| t.get("security-never-used"), |at| signed.visitor.dates.date_time(at)),
        })
        .collect();
    let passkeys = state
        .services
        .passkeys_of(&signed.actor)
        .await
        .or_page(locale)?
        .into_iter()
        .map(|p| {
            let refused = passkey_form.rename.as_ref().filter(|(id, _, _)| *id == p.id);
            PasskeyRow {
                id: p.id,
                new_name: refused.map_or_else(|| p.name.clone(), |(_, typed, _)| typed.clone()),
                rename_error: refused.map(|(_, _, message)| message.clone()),
                name: p.name,
                created: signed.visitor.dates.date_time(p.created_at),
                last_used: p
                    .last_used_at
                    .map_or_else(|| t.get("security-never-used"), |at| signed.visitor.dates.date_time(at)),
            }
        })
        .collect();
    let passkeys_unavailable = state
        .services
        .passkeys_available()
        .err()
        .map(|e| crate::passkeys::unavailable_message(&signed.visitor, &e));
    Ok(render_status(
        status_code,
        &SecurityPage {
            page: portal_page(signed, t.get("security-title")),
            status,
            sessions,
            devices,
            error,
            passkeys,
            passkeys_unavailable,
            passkey_form,
        },
    ))
}

async fn show_security(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    security_page(&state, &signed, None, StatusCode::OK).await
}

async fn start_totp(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    match state.services.begin_totp(&signed.actor).await {
        // On already: nothing to set up.
        Ok(()) | Err(DomainError::Conflict { .. }) => {}
        Err(e) => return Err(WebError::from_domain(signed.visitor.locale, e)),
    }
    Ok(crate::auth::see_other("/me/security/totp", &[]))
}

async fn enrol_page(
    state: &AppState,
    signed: &Signed,
    error: Option<(StatusCode, String)>,
) -> Result<Response, WebError> {
    let enrolment = match state.services.totp_enrolment(&signed.actor).await {
        Ok(enrolment) => enrolment,
        Err(DomainError::NotFound) => return Ok(crate::auth::see_other("/me/security", &[])),
        Err(e) => return Err(WebError::from_domain(signed.visitor.locale, e)),
    };
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let page = EnrolPage {
        page: portal_page(signed, signed.visitor.t.get("two-step-enrol-title")),
        action: "/me/security/totp",
        next: String::new(),
        qr: QrView::of(&enrolment)?,
        error,
    };
    Ok(render_status(status, &page))
}

async fn totp_form(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    enrol_page(&state, &signed, None).await
}

/// The new recovery codes, shown once, then back to the security page.
fn codes_page(signed: &Signed, codes: Vec<String>) -> Response {
    render(&RecoveryCodesPage {
        page: portal_page(signed, signed.visitor.t.get("two-step-codes-title")),
        codes,
        continue_to: "/me/security".to_owned(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
}

async fn confirm_totp(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    match state
        .services
        .confirm_totp(&signed.actor, &form.code, &signed.visitor.client)
        .await
    {
        Ok(codes) => Ok(codes_page(&signed, codes)),
        Err(TwoStepError::Domain(DomainError::NotFound)) => Ok(crate::auth::see_other("/me/security", &[])),
        Err(TwoStepError::Domain(e)) => Err(WebError::from_domain(signed.visitor.locale, e)),
        Err(error) => enrol_page(&state, &signed, Some(refusal(&signed.visitor, &error))).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

async fn turn_off(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let password = Password::new(&form.password);
    match state
        .services
        .disable_totp(&signed.actor, &password, signed.visitor.locale, &signed.visitor.client)
        .await
    {
        Ok(()) => Ok(see_other_with_flash(
            &state,
            "/me/security",
            &Flash::new("two-step-turned-off", &[]),
        )),
        Err(error) => refused(&state, &signed, error).await,
    }
}

async fn recovery_codes(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let password = Password::new(&form.password);
    match state
        .services
        .new_recovery_codes(&signed.actor, &password, &signed.visitor.client)
        .await
    {
        Ok(codes) => Ok(codes_page(&signed, codes)),
        Err(error) => refused(&state, &signed, error).await,
    }
}

async fn logout_everywhere(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let Some((session, _)) = &signed.visitor.session else {
        return Err(WebError::Redirect("/portal/login".to_owned()));
    };
    let ended = state
        .services
        .log_out_everywhere(&signed.actor, session, &signed.visitor.client)
        .await
        .or_page(signed.visitor.locale)?;
    tracing::info!(user = %signed.actor.id(), ended, "logged out everywhere");
    // The device cookie of this browser names a device that is gone now.
    let secure = state.config.secure_cookies;
    Ok(crate::auth::see_other(
        "/me/security",
        &[
            crate::cookies::clear(crate::cookies::DEVICE, secure),
            Flash::new("security-logged-out-everywhere", &[]).cookie(secure),
        ],
    ))
}
