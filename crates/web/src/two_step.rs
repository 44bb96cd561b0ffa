//! The login's second step (see `services::two_step::login`).
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /login/two-step` | the code from the authenticator app, or a recovery code |
//! | `GET/POST /login/two-step/enrol` | a member whose account requires it sets it up first |
//!
//! A user with a passkey is offered "Use a passkey" on the code form; that way is
//! in [`crate::passkeys`].
//!
//! A right password that owes a second step sets the `sp_2step` cookie (the raw
//! challenge token; it is not a session, so every other page treats its holder as
//! not logged in) and comes here. The right code opens the session and clears the
//! cookie. The QR code is drawn on the server as SVG (an `img` of a `data:` URI:
//! no script), with the secret as its text alternative and written out below it.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use base64::Engine as _;
use sealpost_domain::services::passkeys::SecondStepOffer;
use sealpost_domain::services::two_step::login::{PendingLogin, SecondStepDone};
use sealpost_domain::services::two_step::{Enrolment, TwoStepError};
use sealpost_domain::two_step::{CHALLENGE_SECONDS, ChallengePurpose};
use sealpost_i18n::Arg;
use serde::Deserialize;

use crate::auth::{after_login, home_for, see_other, with_cookies};
use crate::context::{CsrfForm, NextForm, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{Area, Page, render, render_status};
use crate::{AppState, cookies, url_encode};

/// The second step's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/two-step", get(code_form).post(submit_code))
        .route("/login/two-step/enrol", get(enrol_form).post(submit_code))
}

/// The code form.
#[derive(Template)]
#[template(path = "two_step/code.html")]
pub struct CodePage {
    pub page: Page,
    pub next: String,
    pub error: Option<String>,
    /// Whether to offer "Use a passkey" (the user has one) and the code form (TOTP
    /// on, or recovery codes left).
    pub offer: SecondStepOffer,
}

/// Setting up the authenticator app: the QR code, the secret, the first code.
#[derive(Template)]
#[template(path = "two_step/enrol.html")]
pub struct EnrolPage {
    pub page: Page,
    /// Where the form posts.
    pub action: &'static str,
    pub next: String,
    pub qr: QrView,
    pub error: Option<String>,
}

/// The recovery codes, shown once.
#[derive(Template)]
#[template(path = "two_step/codes.html")]
pub struct RecoveryCodesPage {
    pub page: Page,
    pub codes: Vec<String>,
    /// Where "Continue" leads.
    pub continue_to: String,
}

/// A QR code as an image the page can show without script.
pub struct QrView {
    /// `data:image/svg+xml;base64,…`
    pub src: String,
    /// The secret, for typing in by hand (and the image's text alternative).
    pub secret: String,
}

impl QrView {
    /// The QR code of an enrolment's URI.
    pub fn of(enrolment: &Enrolment) -> Result<Self, WebError> {
        let code = qrcode::QrCode::new(enrolment.uri.as_bytes())
            .map_err(|e| WebError::Internal(sealpost_domain::types::Locale::En, format!("QR code: {e}")))?;
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build();
        Ok(Self {
            src: format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(svg)
            ),
            secret: enrolment.secret.clone(),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
    next: String,
}

/// The answer to a right password that owes a second step: the challenge cookie
/// and the way to the code form (or to enrolment).
pub fn to_second_step(state: &AppState, pending: &PendingLogin, next: &str) -> Response {
    let path = match pending.purpose {
        ChallengePurpose::Verify => "/login/two-step",
        ChallengePurpose::Enrol => "/login/two-step/enrol",
    };
    let to = if next.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?next={}", url_encode(next))
    };
    see_other(
        &to,
        &[cookies::set(
            cookies::TWO_STEP,
            &pending.token,
            Some(CHALLENGE_SECONDS),
            state.config.secure_cookies,
        )],
    )
}

/// Back to the login form, saying the login must start again.
pub(crate) fn start_again(state: &AppState) -> Response {
    let secure = state.config.secure_cookies;
    see_other(
        "/portal/login",
        &[
            cookies::clear(cookies::TWO_STEP, secure),
            Flash::new("two-step-expired", &[]).cookie(secure),
        ],
    )
}

pub(crate) fn challenge_cookie<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
    cookies::get(headers, cookies::TWO_STEP, state.config.secure_cookies).filter(|v| !v.is_empty())
}

/// The code form of the login `raw` (offering a passkey when the user has one),
/// answered with `status` and `error` shown above the field.
pub(crate) async fn code_form_page(
    state: &AppState,
    visitor: &Visitor,
    raw: &str,
    next: String,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let offer = state.services.second_step_offer(raw).await.or_page(visitor.locale)?;
    Ok(code_form_with(visitor, offer, next, status, error))
}

/// [`code_form_page`] with the offer already read.
fn code_form_with(
    visitor: &Visitor,
    offer: SecondStepOffer,
    next: String,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let page = CodePage {
        page: visitor.page(Area::Public, visitor.t.get("two-step-title")),
        next,
        error,
        offer,
    };
    render_status(status, &page)
}

async fn code_form(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<NextForm>,
) -> Result<Response, WebError> {
    let Some(raw) = challenge_cookie(&state, &headers) else {
        return Ok(start_again(&state));
    };
    match state.services.pending_login(raw).await.or_page(visitor.locale)? {
        None => Ok(start_again(&state)),
        Some((challenge, _)) if challenge.purpose == ChallengePurpose::Enrol => {
            Ok(see_other("/login/two-step/enrol", &[]))
        }
        Some(_) => code_form_page(&state, &visitor, raw, query.next, StatusCode::OK, None).await,
    }
}

async fn enrol_page(
    state: &AppState,
    visitor: &Visitor,
    raw: &str,
    next: String,
    error: Option<String>,
) -> Result<Response, WebError> {
    let enrolment = match state.services.login_enrolment(raw).await {
        Ok(enrolment) => enrolment,
        Err(TwoStepError::Domain(e)) => return Err(WebError::from_domain(visitor.locale, e)),
        Err(_) => return Ok(start_again(state)),
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let page = EnrolPage {
        page: visitor.page(Area::Public, visitor.t.get("two-step-enrol-title")),
        action: "/login/two-step/enrol",
        next,
        qr: QrView::of(&enrolment)?,
        error,
    };
    Ok(render_status(status, &page))
}

async fn enrol_form(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<NextForm>,
) -> Result<Response, WebError> {
    let Some(raw) = challenge_cookie(&state, &headers) else {
        return Ok(start_again(&state));
    };
    enrol_page(&state, &visitor, raw, query.next, None).await
}

/// The message for a refused code.
pub fn refusal(visitor: &Visitor, error: &TwoStepError) -> (StatusCode, String) {
    match error {
        TwoStepError::Throttled(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            visitor
                .t
                .get_with("login-throttled", &[("seconds", Arg::Number(*seconds))]),
        ),
        TwoStepError::WrongPassword => (StatusCode::UNAUTHORIZED, visitor.t.get("two-step-wrong-password")),
        _ => (StatusCode::UNAUTHORIZED, visitor.t.get("two-step-wrong-code")),
    }
}

async fn submit_code(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, WebError> {
    let Some(raw) = challenge_cookie(&state, &headers) else {
        return Ok(start_again(&state));
    };
    match state
        .services
        .complete_login(raw, &form.code, visitor.locale, &visitor.client)
        .await
    {
        Ok(done) => Ok(signed_in(&state, &visitor, done, &form.next)),
        Err(TwoStepError::Expired) => Ok(start_again(&state)),
        Err(TwoStepError::Domain(e)) => Err(WebError::from_domain(visitor.locale, e)),
        Err(error) => {
            let (status, message) = refusal(&visitor, &error);
            let enrolling = matches!(
                state.services.pending_login(raw).await.or_page(visitor.locale)?,
                Some((c, _)) if c.purpose == ChallengePurpose::Enrol
            );
            if enrolling {
                let mut response = enrol_page(&state, &visitor, raw, form.next, Some(message)).await?;
                *response.status_mut() = status;
                return Ok(response);
            }
            let offer = state.services.second_step_offer(raw).await.or_page(visitor.locale)?;
            // Without an app, the code was one of the recovery codes.
            let message = match error {
                TwoStepError::WrongCode if !offer.app => visitor.t.get("two-step-wrong-recovery-code"),
                _ => message,
            };
            Ok(code_form_with(&visitor, offer, form.next, status, Some(message)))
        }
    }
}

/// The session is open: its cookie, the challenge's gone; then the recovery codes
/// (after an enrolment) or where the login was going.
pub(crate) fn signed_in(state: &AppState, visitor: &Visitor, done: SecondStepDone, next: &str) -> Response {
    let secure = state.config.secure_cookies;
    let home = home_for(if done.administrator { Area::Admin } else { Area::Portal });
    let to = after_login(done.opened.session.kind, next, home);
    let set = [
        cookies::set(cookies::SESSION, &done.opened.token, None, secure),
        cookies::clear(cookies::PRE_SESSION, secure),
        cookies::clear(cookies::TWO_STEP, secure),
    ];
    if done.recovery_codes.is_empty() {
        return see_other(to, &set);
    }
    let mut page = visitor.page(Area::Public, visitor.t.get("two-step-codes-title"));
    // The page is drawn before the browser has the new session: its header shows
    // no session, and it has no form.
    page.csrf = String::new();
    let mut response = render(&RecoveryCodesPage {
        page,
        codes: done.recovery_codes,
        continue_to: to.to_owned(),
    });
    with_cookies(&mut response, &set);
    response
}
