//! Logging in and out, setting a new password, and the language switch: the pages
//! the administration portal and the user portal share.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /admin/login`, `GET/POST /portal/login` | the login form |
//! | `POST /logout` | ends the session |
//! | `GET/POST /password` | set a new password (forced after a temporary one) |
//! | `POST /language` | the language switch |

use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sealpost_domain::model::SessionKind;
use sealpost_domain::services::auth::{LoginError, LoginOutcome};
use sealpost_domain::types::{Locale, Password};
use sealpost_i18n::Arg;
use serde::Deserialize;

use crate::brand::BrandView;
use crate::context::{CsrfForm, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{Area, FormError, LoginPage, PasswordPage, render, render_status};
use crate::{AppState, cookies};

/// The shared routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(admin_login_form).post(admin_login))
        .route("/portal/login", get(portal_login_form).post(portal_login))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(change_password))
        .route("/language", post(switch_language))
}

/// A 303 redirect carrying cookies.
pub fn see_other(to: &str, set_cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    with_cookies(&mut response, set_cookies);
    response
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(response: &mut Response, set: &[String]) {
    for cookie in set {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// A 303 redirect that leaves a flash message for the next page.
pub fn see_other_with_flash(state: &AppState, to: &str, flash: &Flash) -> Response {
    see_other(to, &[flash.cookie(state.config.secure_cookies)])
}

/// Where a login in `area` lands when it was going nowhere in particular.
pub(crate) fn home_for(area: Area) -> &'static str {
    if area == Area::Admin {
        "/admin/accounts"
    } else {
        "/portal"
    }
}

/// Where a session of `kind` goes from the login, whether the password opened
/// it, a second step did, or it was open already: the password form first when
/// the password must change, else `next` (made same-site) or `home`.
pub(crate) fn after_login<'a>(kind: SessionKind, next: &'a str, home: &'static str) -> &'a str {
    if kind == SessionKind::PasswordChangeOnly {
        "/password"
    } else if !next.is_empty() {
        sealpost_domain::services::messages::safe_next(next)
    } else {
        home
    }
}

async fn login_page(
    state: &AppState,
    visitor: &Visitor,
    area: Area,
    email: String,
    next: String,
    error: Option<String>,
) -> LoginPage {
    let (title, action) = match area {
        Area::Admin => (visitor.t.get("login-title-admin"), "/admin/login"),
        _ => (visitor.t.get("login-title-portal"), "/portal/login"),
    };
    let remembering_off = match next
        .strip_prefix("/m/")
        .and_then(sealpost_domain::messages::PublicId::parse)
    {
        Some(message) => state.services.remembering_switched_off(&message).await.unwrap_or(false),
        None => false,
    };
    let mut page = LoginPage {
        page: visitor.page(area, title),
        action,
        email,
        next,
        error,
        remembering_off,
    };
    page.page.brand = BrandView::for_next(state, &visitor.t, &page.next).await;
    page
}

async fn login_form(state: &AppState, visitor: &Visitor, area: Area, query: LoginQuery) -> Response {
    match &visitor.session {
        Some((session, _)) if session.kind == SessionKind::Full => {
            see_other(after_login(session.kind, &query.next, home_for(area)), &[])
        }
        Some(_) => see_other("/password", &[]),
        None => render(&login_page(state, visitor, area, query.email, query.next, None).await),
    }
}

async fn admin_login_form(
    state: axum::extract::State<AppState>,
    visitor: Visitor,
    Query(query): Query<LoginQuery>,
) -> Response {
    login_form(&state, &visitor, Area::Admin, query).await
}

async fn portal_login_form(
    state: axum::extract::State<AppState>,
    visitor: Visitor,
    Query(query): Query<LoginQuery>,
) -> Response {
    login_form(&state, &visitor, Area::Portal, query).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    /// Where to go after logging in (a same-site path), e.g. the message a
    /// recipient was opening.
    next: String,
    /// "Remember me on this device" (a Medium profile's messages then open here
    /// without the password).
    remember: String,
}

/// `?next=…&email=…` on the login page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
    email: String,
}

async fn login(state: &AppState, visitor: &Visitor, area: Area, form: LoginForm) -> Response {
    let password = Password::new(&form.password);
    match state.services.login(&form.email, &password, &visitor.client).await {
        Ok(LoginOutcome::SecondStep(pending)) => crate::two_step::to_second_step(state, &pending, &form.next),
        Ok(LoginOutcome::Session(opened)) => {
            let secure = state.config.secure_cookies;
            let to = after_login(opened.session.kind, &form.next, home_for(area));
            let mut set = vec![
                cookies::set(cookies::SESSION, &opened.token, None, secure),
                cookies::clear(cookies::PRE_SESSION, secure),
            ];
            let next_message = form
                .next
                .strip_prefix("/m/")
                .and_then(sealpost_domain::messages::PublicId::parse);
            if !form.remember.is_empty()
                && let Some(message) = next_message
            {
                match state.services.remember_device(&opened, &message, &visitor.client).await {
                    Ok(Some(device)) => set.push(cookies::set(
                        cookies::DEVICE,
                        &device.token,
                        Some(device.max_age_seconds),
                        secure,
                    )),
                    Ok(None) => {}
                    // The login itself succeeded: not remembering is no reason to refuse it.
                    Err(error) => tracing::warn!(?error, "could not remember a device"),
                }
            }
            see_other(to, &set)
        }
        Err(error) => {
            let message = match error {
                LoginError::InvalidCredentials => visitor.t.get("login-invalid"),
                LoginError::Locked(ref notice) => crate::admin::lock_notice_text(visitor, notice),
                LoginError::Throttled(seconds) => visitor
                    .t
                    .get_with("login-throttled", &[("seconds", Arg::Number(seconds))]),
                LoginError::Domain(e) => {
                    return WebError::from_domain(visitor.locale, e).into_response();
                }
            };
            let status = if matches!(error, LoginError::Throttled(_)) {
                StatusCode::TOO_MANY_REQUESTS
            } else if matches!(error, LoginError::Locked(_)) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            let page = login_page(state, visitor, area, form.email, form.next, Some(message)).await;
            render_status(status, &page)
        }
    }
}

async fn admin_login(
    state: axum::extract::State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Response {
    login(&state, &visitor, Area::Admin, form).await
}

async fn portal_login(
    state: axum::extract::State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Response {
    login(&state, &visitor, Area::Portal, form).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogoutForm {
    /// The page the button was on: decides which login page follows.
    back: String,
}

async fn logout(
    state: axum::extract::State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    CsrfForm(form): CsrfForm<LogoutForm>,
) -> Response {
    let secure = state.config.secure_cookies;
    let to = if form.back.starts_with("/admin") {
        "/admin/login"
    } else {
        "/portal/login"
    };
    if let Some((session, actor)) = &visitor.session {
        if let Err(error) = state.services.end_session(session).await {
            return WebError::from_domain(visitor.locale, error).into_response();
        }
        tracing::info!(user = %actor.id(), "logged out");
    }
    // Logging out on a remembered device forgets it too: the next Medium message
    // asks for the password again.
    let device = cookies::get(&headers, cookies::DEVICE, secure);
    if let Some(raw) = device {
        let actor = visitor.session.as_ref().map(|(_, actor)| actor);
        if let Err(error) = state.services.forget_device(raw, actor, &visitor.client).await {
            return WebError::from_domain(visitor.locale, error).into_response();
        }
    }
    see_other(
        to,
        &[
            cookies::clear(cookies::SESSION, secure),
            cookies::clear(cookies::DEVICE, secure),
            Flash::new("flash-logged-out", &[]).cookie(secure),
        ],
    )
}

fn password_page(visitor: &Visitor, error: Option<FormError>) -> Result<PasswordPage, WebError> {
    let Some((session, _)) = &visitor.session else {
        return Err(WebError::Redirect("/portal/login".to_owned()));
    };
    let forced = session.kind == SessionKind::PasswordChangeOnly;
    let title = visitor.t.get(if forced {
        "password-title-forced"
    } else {
        "password-title"
    });
    Ok(PasswordPage {
        page: visitor.page(Area::Public, title),
        forced,
        error,
    })
}

async fn password_form(visitor: Visitor) -> Result<Response, WebError> {
    Ok(render(&password_page(&visitor, None)?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change_password(
    state: axum::extract::State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let Some((_, actor)) = &visitor.session else {
        return Err(WebError::Redirect("/portal/login".to_owned()));
    };
    let current = Password::new(&form.current_password);
    match state
        .services
        .change_password(
            actor,
            &current,
            &form.new_password,
            &form.confirm_password,
            visitor.locale,
            &visitor.client,
        )
        .await
    {
        Ok(opened) => {
            let admin = state.services.is_administrator(actor).await.or_page(visitor.locale)?;
            let secure = state.config.secure_cookies;
            Ok(see_other(
                if admin { "/admin/accounts" } else { "/portal" },
                &[
                    cookies::set(cookies::SESSION, &opened.token, None, secure),
                    Flash::new("flash-password-changed", &[]).cookie(secure),
                ],
            ))
        }
        Err(error) => match error.validation().cloned() {
            Some(v) => {
                let field = match v {
                    sealpost_domain::ValidationError::CurrentPasswordWrong => "current_password",
                    sealpost_domain::ValidationError::PasswordMismatch => "confirm_password",
                    _ => "new_password",
                };
                let error = FormError {
                    field: Some(field),
                    message: visitor.t.get(v.message_id()),
                };
                Ok(render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &password_page(&visitor, Some(error))?,
                ))
            }
            None => Err(WebError::from_domain(visitor.locale, error)),
        },
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LanguageForm {
    lang: String,
    back: String,
}

/// Only paths of this site, as a browser would resolve them (no open redirect).
fn safe_back(back: &str) -> &str {
    sealpost_domain::redirect::same_origin_path(back).unwrap_or("/")
}

async fn switch_language(
    state: axum::extract::State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> Result<Response, WebError> {
    let locale = Locale::from_tag(&form.lang).unwrap_or_default();
    if let Some((session, actor)) = &visitor.session
        && session.kind == SessionKind::Full
    {
        state
            .services
            .set_locale(actor, Some(locale))
            .await
            .or_page(visitor.locale)?;
    }
    let cookie = cookies::set(
        cookies::LANGUAGE,
        locale.tag(),
        Some(365 * 24 * 60 * 60),
        state.config.secure_cookies,
    );
    Ok(see_other(safe_back(&form.back), &[cookie]))
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn language_switch_only_returns_to_this_site() {
        assert_eq!(safe_back("/admin/users?q=a"), "/admin/users?q=a");
        assert_eq!(safe_back("//evil.example/x"), "/");
        assert_eq!(safe_back("https://evil.example/"), "/");
        assert_eq!(safe_back("/\\evil.example"), "/");
        assert_eq!(safe_back("/\t/evil.example"), "/");
    }
}
