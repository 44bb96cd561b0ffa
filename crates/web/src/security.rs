//! Middlewares every response passes through.
//!
//! - [`headers`]: a strict Content-Security-Policy (no scripts at all but on the two
//!   passkey pages, which may load `/static/passkey.js`; styles and
//!   images from this origin only, forms post only here, no framing), nosniff,
//!   `Referrer-Policy: same-origin` (unless the page chose `no-referrer`), `no-store` on pages, and over HTTPS
//!   `Strict-Transport-Security` (browsers never try plain HTTP again).
//! - [`pre_session`]: gives visitors who are not logged in a random CSRF token in
//!   the `sp_pre` cookie, so the login form and the language switch are protected
//!   too; and clears a flash message once a page has shown it. A session cookie
//!   that no longer names a session (expired, ended by a password change
//!   elsewhere, or planted) counts as not logged in: the visitor gets a token
//!   and the dead cookie is removed, so the login form works at once.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sealpost_crypto::token;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::context::PreSessionToken;
use crate::{AppState, cookies};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";
/// The policy of the two passkey pages ([`crate::passkeys::PasskeyScript`]): the
/// same, plus scripts from this origin (`/static/passkey.js`).
const CSP_PASSKEY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                           form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// How long browsers remember to use HTTPS only (one year).
const HSTS: &str = "max-age=31536000";

/// Adds the security headers.
pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let csp = if response.extensions().get::<crate::passkeys::PasskeyScript>().is_some() {
        CSP_PASSKEY
    } else {
        CSP
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // A page whose address carries a secret says `no-referrer` itself.
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

/// Issues the pre-session CSRF cookie when missing (and the session cookie, if
/// any, turns out dead), removes dead session cookies, and retires shown flashes.
pub async fn pre_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let secure = state.config.secure_cookies;
    let has_session = cookies::get(request.headers(), cookies::SESSION, secure).is_some_and(|v| !v.is_empty());
    let has_pre = cookies::get(request.headers(), cookies::PRE_SESSION, secure).is_some_and(|v| !v.is_empty());
    let had_flash = cookies::get(request.headers(), cookies::FLASH, secure).is_some();
    let is_get = request.method() == axum::http::Method::GET;
    // Without a session cookie the token is needed; with one, only if the
    // session is gone, which the visitor extractor finds out and notes here.
    let session_dead = Arc::new(AtomicBool::new(!has_session));
    let mut issued = None;
    if !has_pre && let Ok(fresh) = token::random_token(32) {
        request.extensions_mut().insert(PreSessionToken {
            token: fresh.clone(),
            session_dead: session_dead.clone(),
        });
        issued = Some(fresh);
    } else {
        request.extensions_mut().insert(PreSessionToken {
            token: String::new(),
            session_dead: session_dead.clone(),
        });
    }
    let mut response = next.run(request).await;
    let dead = session_dead.load(Ordering::Relaxed);
    let sets = |name: &str, response: &Response| {
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| cookies::sets(v, name, secure)))
    };
    let sets_session = sets(cookies::SESSION, &response);
    if let Some(fresh) = issued
        && dead
        && !sets_session
        && let Ok(value) = HeaderValue::from_str(&cookies::set(cookies::PRE_SESSION, &fresh, None, secure))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if has_session
        && dead
        && !sets_session
        && let Ok(value) = HeaderValue::from_str(&cookies::clear(cookies::SESSION, secure))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if had_flash
        && is_get
        && response.status().is_success()
        && !sets(cookies::FLASH, &response)
        && let Ok(value) = HeaderValue::from_str(&cookies::clear(cookies::FLASH, secure))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
