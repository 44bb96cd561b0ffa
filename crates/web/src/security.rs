//! Middlewares every response passes through.
//!
//! - [`headers`]: a strict Content-Security-Policy (no scripts at all, styles and
//!   images from this origin only, forms post only here, no framing), nosniff,
//!   `Referrer-Policy: same-origin`, and `no-store` on pages.
//! - [`pre_session`]: gives visitors who are not logged in a random CSRF token in
//!   the `sp_pre` cookie, so the login form and the language switch are protected
//!   too; and clears a flash message once a page has shown it.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sealpost_crypto::token;

use crate::context::PreSessionToken;
use crate::{AppState, cookies};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Issues the pre-session CSRF cookie when missing, and retires shown flashes.
pub async fn pre_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let secure = state.config.secure_cookies;
    let has_session = cookies::get(request.headers(), cookies::SESSION).is_some_and(|v| !v.is_empty());
    let has_pre = cookies::get(request.headers(), cookies::PRE_SESSION).is_some_and(|v| !v.is_empty());
    let had_flash = cookies::get(request.headers(), cookies::FLASH).is_some();
    let is_get = request.method() == axum::http::Method::GET;
    let mut issued = None;
    if !has_session
        && !has_pre
        && let Ok(fresh) = token::random_token(32)
    {
        request.extensions_mut().insert(PreSessionToken(fresh.clone()));
        issued = Some(fresh);
    }
    let mut response = next.run(request).await;
    if let Some(fresh) = issued
        && let Ok(value) = HeaderValue::from_str(&cookies::set(cookies::PRE_SESSION, &fresh, None, secure))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    let sets_flash = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(cookies::FLASH)));
    if had_flash
        && is_get
        && response.status().is_success()
        && !sets_flash
        && let Ok(value) = HeaderValue::from_str(&cookies::clear(cookies::FLASH, secure))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
