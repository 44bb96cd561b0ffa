//! The gateway's series in `/metrics` (a no-op until `serve` installs the
//! Prometheus recorder, as for the web's): sessions open now and in all, and each
//! message's outcome with the reason of a refusal, each AUTH's outcome.
//!
//! - `sealpost_gateway_sessions_open` (gauge), `sealpost_gateway_sessions_total`;
//! - `sealpost_gateway_sessions_refused_total{reason="busy"}`: turned away at the
//!   connection cap;
//! - `sealpost_gateway_messages_total{outcome, reason}`: `accepted` (sealed and
//!   committed), `relayed`, `refused` (5xx) or `failed` (4xx), with a reason of a
//!   few fixed words (`-` when accepted);
//! - `sealpost_gateway_auth_total{outcome}`: `ok`, `refused`, `throttled`, `error`.

/// One open session, counted while it lives.
pub(super) struct OpenSession(());

impl OpenSession {
    pub(super) fn start() -> Self {
        metrics::gauge!("sealpost_gateway_sessions_open").increment(1.0);
        metrics::counter!("sealpost_gateway_sessions_total").increment(1);
        Self(())
    }
}

impl Drop for OpenSession {
    fn drop(&mut self) {
        metrics::gauge!("sealpost_gateway_sessions_open").decrement(1.0);
    }
}

/// A connection turned away before its session started.
pub(super) fn session_refused(reason: &'static str) {
    metrics::counter!("sealpost_gateway_sessions_refused_total", "reason" => reason).increment(1);
}

/// What became of one message (DATA read to its end).
pub(super) fn message(outcome: &'static str, reason: &'static str) {
    metrics::counter!("sealpost_gateway_messages_total", "outcome" => outcome, "reason" => reason).increment(1);
}

/// What became of one AUTH.
pub(super) fn auth(outcome: &'static str) {
    metrics::counter!("sealpost_gateway_auth_total", "outcome" => outcome).increment(1);
}
