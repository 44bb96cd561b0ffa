//! `/healthz`, for load balancers and monitoring: `200 ok` when the service can do
//! its job, `503` with the reason in one line of text when it cannot (the storage is
//! full, the database does not answer, or the blob store, a bucket shared by several
//! nodes, does not). Each call writes one tiny row, so a
//! full disk shows here before a person meets it, and its end is seen at once.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sealpost_domain::services::health::Unhealthy;

use crate::AppState;
use crate::error::RETRY_AFTER_SECONDS;

/// `GET /healthz`.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let reason = match state.services.check_health().await {
        Ok(()) => return "ok\n".into_response(),
        Err(Unhealthy::StorageFull) => "unavailable: the storage is full; nothing can be stored until space is freed\n",
        // Monitoring may ask every few seconds: the detail stays at debug.
        Err(Unhealthy::Database(error)) => {
            tracing::debug!(?error, "health check failed: database");
            "unavailable: the database does not take writes\n"
        }
        Err(Unhealthy::Blobs(error)) => {
            tracing::debug!(?error, "health check failed: blob store");
            "unavailable: the blob store (folder or bucket) does not answer\n"
        }
    };
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, reason).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}
