//! `/metrics` for Prometheus, on a listener of its own (`metrics_listen`, off by
//! default): the public port, and the load balancer in front of it, never show
//! it. The libraries count through the `metrics` facade; this installs the
//! Prometheus recorder that keeps the figures, and serves what it renders.

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use sealpost_domain::services::Services;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Latency buckets of the request histogram, in seconds: fine where pages are
/// answered (milliseconds), coarse up to the slow uploads.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Binds `listen` and serves `/metrics` there until `stop` turns true; `None`
/// when no listener is configured (then nothing is recorded either).
pub async fn start(
    listen: Option<SocketAddr>,
    services: Services,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    let Some(listen) = listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
        format!(
            "while binding the metrics listener {listen}; choose another with metrics_listen or SEALPOST_METRICS_LISTEN"
        )
    })?;
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("sealpost_http_request_duration_seconds".to_owned()),
            LATENCY_BUCKETS,
        )
        .context("while setting the latency buckets")?
        .install_recorder()
        .context("while installing the metrics recorder")?;
    describe();
    let render = {
        let handle = handle.clone();
        Arc::new(move || handle.render())
    };
    let app = sealpost_web::metrics::router(services, render);
    tracing::info!(%listen, "metrics for Prometheus at /metrics");
    Ok(Some(tokio::spawn(async move {
        let mut upkeep = tokio::time::interval(Duration::from_secs(5));
        let serve = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .into_future();
        tokio::pin!(serve);
        loop {
            tokio::select! {
                served = &mut serve => {
                    if let Err(error) = served {
                        tracing::warn!(%error, "the metrics listener stopped");
                    }
                    return;
                }
                _ = upkeep.tick() => handle.run_upkeep(),
            }
        }
    })))
}

/// What each series means, shown by Prometheus as its help text.
fn describe() {
    metrics::describe_counter!(
        "sealpost_http_requests_total",
        "HTTP requests answered, by method, route pattern and status"
    );
    metrics::describe_histogram!(
        "sealpost_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route pattern"
    );
    metrics::describe_gauge!(
        "sealpost_outbox_waiting",
        "Mails queued and not yet delivered or given up"
    );
    metrics::describe_gauge!(
        "sealpost_outbox_oldest_waiting_seconds",
        metrics::Unit::Seconds,
        "How long the oldest undelivered mail has waited"
    );
    metrics::describe_counter!(
        "sealpost_mail_deliveries_total",
        "Delivery attempts by outcome: sent, retry (temporary failure), failed (given up, bounced)"
    );
    metrics::describe_counter!(
        "sealpost_logins_total",
        "Logins by outcome: success, refused, throttled, error"
    );
    metrics::describe_gauge!("sealpost_gateway_sessions_open", "SMTP gateway sessions open now");
    metrics::describe_counter!("sealpost_gateway_sessions_total", "SMTP gateway sessions started");
    metrics::describe_counter!(
        "sealpost_gateway_sessions_refused_total",
        "SMTP gateway connections turned away before a session, by reason (busy: at the connection cap)"
    );
    metrics::describe_counter!(
        "sealpost_gateway_messages_total",
        "Messages the SMTP gateway read to their end, by outcome (accepted, relayed, refused, failed) and reason"
    );
    metrics::describe_counter!(
        "sealpost_gateway_auth_total",
        "SMTP gateway AUTH attempts by outcome: ok, refused, throttled, error"
    );
}
