//! Sealpost's web front: the administration portal under `/admin`, the user
//! portal under `/portal`, and the pages both share (log in and out, set a new
//! password, the language switch).
//!
//! Layout: [`router`] assembles one router per area ([`admin`], [`portal`],
//! [`auth`]) behind two middlewares ([`security`]): security headers on every
//! response, and a pre-session CSRF cookie for visitors who are not logged in.
//! Handlers get who is asking from the extractors in [`context`] and answer with
//! the typed views of [`views`] (long text escaped ahead by [`escape`]); failures
//! become [`error::WebError`].

pub mod admin;
pub mod auth;
pub mod brand;
pub mod confirm;
pub mod context;
pub mod cookies;
pub mod error;
pub mod escape;
pub mod flash;
pub mod health;
pub mod me;
pub mod metrics;
pub mod passkeys;
pub mod portal;
pub mod proof;
pub mod recipient;
pub mod security;
pub mod security_page;
pub mod server;
pub mod two_step;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sealpost_domain::services::Services;

/// Settings of the web front.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when Sealpost is served over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub config: Arc<WebConfig>,
}

/// The whole web application.
pub fn router(services: Services, config: WebConfig) -> Router {
    let state = AppState {
        services,
        config: Arc::new(config),
    };
    Router::new()
        .route("/", get(|| async { Redirect::to("/portal") }))
        .route("/static/app.css", get(stylesheet))
        .route("/healthz", get(health::healthz))
        .merge(auth::router())
        .merge(recipient::router())
        .merge(proof::router())
        .merge(two_step::router())
        .merge(security_page::router())
        .merge(passkeys::router())
        .merge(me::router())
        .nest("/admin", admin::router())
        .nest("/portal", portal::router())
        .route_layer(axum::middleware::from_fn(metrics::note_route))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::pre_session,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(axum::middleware::from_fn(metrics::count))
        .with_state(state)
}

/// Percent-encodes `text` for a query value: everything but RFC 3986's unreserved
/// characters.
pub(crate) fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn stylesheet() -> Response {
    static_asset(include_str!("../static/app.css"), "text/css; charset=utf-8")
}

/// A file built into the binary (`body`, of `content_type`), which browsers may
/// keep for an hour.
pub(crate) fn static_asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

async fn not_found(visitor: context::Visitor) -> error::WebError {
    visitor.not_found()
}
