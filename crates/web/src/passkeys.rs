//! Passkeys: adding, renaming and removing them on `/me/security`, using one at the login's
//! second step, and the one script Sealpost serves.
//!
//! | route | what |
//! |---|---|
//! | `POST /me/security/passkeys` | begin adding a passkey (name): the page that asks the browser |
//! | `POST /me/security/passkeys/finish` | the browser's new credential: the passkey is added |
//! | `POST /me/security/passkeys/{id}/rename` | rename one of one's own passkeys (name; audited) |
//! | `POST /me/security/passkeys/{id}/remove` | remove one of one's own passkeys (audited) |
//! | `POST /login/two-step/passkey` | begin the second step with a passkey: the page that asks the browser |
//! | `POST /login/two-step/passkey/finish` | the browser's signature: the session opens |
//! | `GET /static/passkey.js` | the script of those two pages |
//!
//! WebAuthn lives in the browser's JavaScript, so the two pages that run a
//! ceremony load `/static/passkey.js`, and only they: their responses carry the
//! [`PasskeyScript`] mark, for which [`crate::security::headers`] allows
//! `script-src 'self'`. Every other page keeps the policy without scripts. The
//! script only calls `navigator.credentials` and posts the answer in the page's
//! ordinary form (with its CSRF token).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use sealpost_domain::DomainError;
use sealpost_domain::passkeys::PasskeysUnavailable;
use sealpost_domain::services::passkeys::{CeremonyStart, PasskeyError};
use sealpost_i18n::Arg;
use serde::Deserialize;

use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{CsrfForm, NextForm, NoFields, Signed, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::portal::portal_page;
use crate::security_page::{PasskeyForm, security_page_with};
use crate::two_step::{challenge_cookie, code_form_page, signed_in, start_again};
use crate::views::{Area, Page, render_status};

/// The passkeys' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/security/passkeys", post(begin_registration))
        .route("/me/security/passkeys/finish", post(finish_registration))
        .route("/me/security/passkeys/{id}/rename", post(rename_passkey))
        .route("/me/security/passkeys/{id}/remove", post(remove_passkey))
        .route("/login/two-step/passkey", post(begin_login))
        .route("/login/two-step/passkey/finish", post(finish_login))
        .route("/static/passkey.js", get(script))
}

/// Marks a response whose page runs `/static/passkey.js`: its Content-Security-Policy
/// allows scripts from this origin.
#[derive(Debug, Clone, Copy)]
pub struct PasskeyScript;

/// The page that has the browser create a passkey.
#[derive(Template)]
#[template(path = "two_step/passkey_register.html")]
pub struct PasskeyRegisterPage {
    pub page: Page,
    pub name: String,
    pub ceremony: String,
    /// `navigator.credentials.create` options (JSON, escaped into an attribute).
    pub options: String,
}

/// The page that has the browser sign in with a passkey.
#[derive(Template)]
#[template(path = "two_step/passkey_login.html")]
pub struct PasskeyLoginPage {
    pub page: Page,
    pub next: String,
    pub ceremony: String,
    /// `navigator.credentials.get` options (JSON, escaped into an attribute).
    pub options: String,
    pub error: Option<String>,
    /// "Use a code instead": only for a user who has a code to enter (TOTP or
    /// recovery codes left); for anyone else the code page offers nothing more.
    pub code: bool,
}

/// The sentence for a public URL that cannot carry passkeys.
pub fn unavailable_message(visitor: &Visitor, error: &PasskeysUnavailable) -> String {
    visitor
        .t
        .get_with("passkeys-unavailable", &[("url", Arg::Text(&error.0))])
}

fn with_script(status: StatusCode, page: &impl Template) -> Response {
    let mut response = render_status(status, page);
    response.extensions_mut().insert(PasskeyScript);
    response
}

async fn script() -> Response {
    crate::static_asset(include_str!("../static/passkey.js"), "text/javascript; charset=utf-8")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameForm {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegistrationAnswer {
    ceremony: String,
    name: String,
    credential: String,
}

/// The security page again, the "Add a passkey" form refused with why (the name
/// as typed); the error page when the store failed.
async fn refused_on_security_page(
    state: &AppState,
    signed: &Signed,
    name: String,
    error: PasskeyError,
) -> Result<Response, WebError> {
    if let PasskeyError::Domain(e) = error {
        return Err(WebError::from_domain(signed.visitor.locale, e));
    }
    let (status, message) = refusal(&signed.visitor, &error);
    let form = PasskeyForm {
        name,
        error: Some(message),
        rename: None,
    };
    security_page_with(state, signed, None, form, status).await
}

/// Back to the security page with `flash` naming the passkey.
fn back_to_security(state: &AppState, flash: &'static str, name: &str) -> Response {
    see_other_with_flash(state, "/me/security", &Flash::new(flash, &[name]))
}

/// A refused passkey ceremony, in words.
fn refusal(visitor: &Visitor, error: &PasskeyError) -> (StatusCode, String) {
    let t = &visitor.t;
    match error {
        PasskeyError::Unavailable(e) => (StatusCode::CONFLICT, unavailable_message(visitor, e)),
        PasskeyError::BadName => (StatusCode::UNPROCESSABLE_ENTITY, t.get("passkeys-bad-name")),
        PasskeyError::TooMany => (StatusCode::CONFLICT, t.get("passkeys-too-many")),
        PasskeyError::CeremonyExpired | PasskeyError::LoginExpired => {
            (StatusCode::BAD_REQUEST, t.get("passkeys-ceremony-expired"))
        }
        PasskeyError::Throttled(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            t.get_with("login-throttled", &[("seconds", Arg::Number(*seconds))]),
        ),
        PasskeyError::Refused | PasskeyError::Domain(_) => (StatusCode::BAD_REQUEST, t.get("passkeys-refused")),
    }
}

async fn begin_registration(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response, WebError> {
    match state
        .services
        .begin_passkey_registration(&signed.actor, &form.name)
        .await
    {
        Ok(CeremonyStart { token, options }) => {
            let t = &signed.visitor.t;
            let mut page = portal_page(&signed, t.get("passkeys-register-title"));
            // The language switch returns to a page it can GET.
            page.back = "/me/security".to_owned();
            let page = PasskeyRegisterPage {
                page,
                name: form.name.trim().to_owned(),
                ceremony: token,
                options,
            };
            Ok(with_script(StatusCode::OK, &page))
        }
        Err(error) => refused_on_security_page(&state, &signed, form.name, error).await,
    }
}

async fn finish_registration(
    State(state): State<AppState>,
    signed: Signed,
    CsrfForm(form): CsrfForm<RegistrationAnswer>,
) -> Result<Response, WebError> {
    match state
        .services
        .finish_passkey_registration(
            &signed.actor,
            &form.ceremony,
            &form.name,
            &form.credential,
            signed.visitor.locale,
            &signed.visitor.client,
        )
        .await
    {
        Ok(name) => Ok(back_to_security(&state, "passkey-added", &name)),
        Err(error) => refused_on_security_page(&state, &signed, form.name, error).await,
    }
}

/// `POST /me/security/passkeys/{id}/rename`: one of the user's own passkeys gets
/// the typed name; a refused one keeps what was typed in its row.
async fn rename_passkey(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response, WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(signed.visitor.not_found());
    };
    match state
        .services
        .rename_passkey(&signed.actor, id, &form.name, &signed.visitor.client)
        .await
    {
        Ok(name) => Ok(back_to_security(&state, "passkey-renamed", &name)),
        Err(PasskeyError::Domain(DomainError::NotFound)) => Err(signed.visitor.not_found()),
        Err(PasskeyError::Domain(e)) => Err(WebError::from_domain(signed.visitor.locale, e)),
        Err(error) => {
            let (status, message) = refusal(&signed.visitor, &error);
            let form = PasskeyForm {
                rename: Some((id, form.name, message)),
                ..PasskeyForm::default()
            };
            security_page_with(&state, &signed, None, form, status).await
        }
    }
}

async fn remove_passkey(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(signed.visitor.not_found());
    };
    match state
        .services
        .remove_passkey(&signed.actor, id, &signed.visitor.client)
        .await
    {
        Ok(name) => Ok(back_to_security(&state, "passkey-removed", &name)),
        Err(DomainError::NotFound) => Err(signed.visitor.not_found()),
        Err(e) => Err(WebError::from_domain(signed.visitor.locale, e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginAnswer {
    next: String,
    ceremony: String,
    credential: String,
}

/// The page that asks the browser for the passkey, with a fresh ceremony.
async fn login_page(
    state: &AppState,
    visitor: &Visitor,
    raw: &str,
    next: String,
    error: Option<(StatusCode, String)>,
) -> Result<Response, WebError> {
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    match state.services.begin_passkey_login(raw).await {
        Ok(CeremonyStart { token, options }) => {
            let offer = state.services.second_step_offer(raw).await.or_page(visitor.locale)?;
            let mut page = visitor.page(Area::Public, visitor.t.get("passkeys-login-title"));
            page.back = "/login/two-step".to_owned();
            let page = PasskeyLoginPage {
                page,
                next,
                ceremony: token,
                options,
                error,
                code: offer.code,
            };
            Ok(with_script(status, &page))
        }
        Err(PasskeyError::LoginExpired) => Ok(start_again(state)),
        Err(PasskeyError::Domain(e)) => Err(WebError::from_domain(visitor.locale, e)),
        Err(other) => {
            let (status, message) = refusal(visitor, &other);
            code_form_page(state, visitor, raw, next, status, Some(message)).await
        }
    }
}

async fn begin_login(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<NextForm>,
) -> Result<Response, WebError> {
    let Some(raw) = challenge_cookie(&state, &headers) else {
        return Ok(start_again(&state));
    };
    login_page(&state, &visitor, raw, form.next, None).await
}

async fn finish_login(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginAnswer>,
) -> Result<Response, WebError> {
    let Some(raw) = challenge_cookie(&state, &headers) else {
        return Ok(start_again(&state));
    };
    match state
        .services
        .complete_login_with_passkey(raw, &form.ceremony, &form.credential, &visitor.client)
        .await
    {
        Ok(done) => Ok(signed_in(&state, &visitor, done, &form.next)),
        Err(PasskeyError::LoginExpired) => Ok(start_again(&state)),
        Err(PasskeyError::Domain(e)) => Err(WebError::from_domain(visitor.locale, e)),
        Err(error @ PasskeyError::Throttled(_)) => {
            let (status, message) = refusal(&visitor, &error);
            code_form_page(&state, &visitor, raw, form.next, status, Some(message)).await
        }
        Err(error) => {
            let refused = refusal(&visitor, &error);
            login_page(&state, &visitor, raw, form.next, Some(refused)).await
        }
    }
}
