//! What Prometheus scrapes: every request counted by method, route and status, with
//! its latency, and at scrape time the outbox's backlog.
//!
//! The figures go through the `metrics` facade, which costs next to nothing until
//! the binary installs a recorder (tests and one-off commands never do). The
//! route is the router's pattern (`/m/{id}`, never the id), so a scan of random
//! paths adds one `unmatched` series, not one per path. [`router`] is served on a
//! listener of its own (`metrics_listen`), never on the public port.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sealpost_domain::services::Services;

/// The route a request matched, carried on its response to [`count`].
#[derive(Clone)]
struct Route(MatchedPath);

/// Inner layer (`route_layer`): notes which route answered.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Outer layer: counts every request, refused ones and unknown paths included.
pub async fn count(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method: &'static str = match request.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or("unmatched", |route| route.0.as_str())
        .to_owned();
    let status = response.status().as_str().to_owned();
    metrics::counter!(
        "sealpost_http_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!("sealpost_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Renders what the installed recorder holds, in Prometheus' text format.
pub type Render = Arc<dyn Fn() -> String + Send + Sync>;

/// `GET /metrics`, for the metrics listener only.
pub fn router(services: Services, render: Render) -> Router {
    Router::new().route(
        "/metrics",
        get(move || async move {
            match services.outbox_backlog().await {
                Ok(backlog) => {
                    metrics::gauge!("sealpost_outbox_waiting").set(backlog.waiting as f64);
                    metrics::gauge!("sealpost_outbox_oldest_waiting_seconds").set(backlog.oldest_age_seconds as f64);
                }
                // The figures stay at their last value; the log says why at debug
                // (Prometheus may ask every few seconds).
                Err(error) => tracing::debug!(?error, "could not read the outbox backlog for /metrics"),
            }
            let mut response = render().into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        }),
    )
}
