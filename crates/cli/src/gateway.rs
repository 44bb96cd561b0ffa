//! The SMTP gateway's settings (`[gateway]` in `sealpost.toml`, or
//! `SEALPOST_GATEWAY_*`) and its start beside the web listener.
//!
//! By default the gateway listens on 127.0.0.1:2525 in clear text (AUTH is
//! allowed there: the MTA is on the same machine). A port taken by another
//! program is then a warning, not a failed start; a listen address set by the
//! operator must bind. `listen = "off"` turns the gateway off.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sealpost_domain::services::Services;
use sealpost_mail::gateway::{Gateway, GatewayConfig};
use serde::Deserialize;

/// The default gateway address: loopback, so it is never open to the network
/// unless the operator says so.
const DEFAULT_LISTEN: &str = "127.0.0.1:2525";

/// The keys `[gateway]` may hold.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayFile {
    listen: Option<String>,
    tls_listen: Option<String>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    hostname: Option<String>,
    max_message_mb: Option<usize>,
    max_recipients: Option<usize>,
    max_line_bytes: Option<usize>,
    max_header_kb: Option<usize>,
    max_parts: Option<usize>,
    session_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    max_sessions: Option<usize>,
    subject_tag: Option<String>,
    loopback_plaintext_auth: Option<bool>,
}

/// The gateway's settings in force.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Where plain SMTP (with STARTTLS when a certificate is set) listens; `None`: off.
    pub listen: Option<SocketAddr>,
    /// Whether `listen` was chosen by the operator (then it must bind).
    pub listen_explicit: bool,
    /// Where implicit TLS (port 465 style) listens, if anywhere.
    pub tls_listen: Option<SocketAddr>,
    /// PEM certificate chain and private key for STARTTLS and implicit TLS.
    pub tls_files: Option<(PathBuf, PathBuf)>,
    /// Limits and names.
    pub config: GatewayConfig,
}

fn env(name: &str) -> Option<String> {
    std::env::var(format!("SEALPOST_GATEWAY_{name}"))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    env(name)
        .map(|raw| {
            raw.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("SEALPOST_GATEWAY_{name}={raw:?} is not a valid value"))
        })
        .transpose()
}

fn address(raw: &str, key: &str) -> anyhow::Result<Option<SocketAddr>> {
    if raw.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    raw.trim().parse().map(Some).with_context(|| {
        format!("gateway {key} {raw:?} is not IP:PORT (e.g. 127.0.0.1:2525) or \"off\"; set it in [gateway] or SEALPOST_GATEWAY_{}", key.to_uppercase())
    })
}

/// Resolves the layers: environment, then the file's `[gateway]`, then defaults.
pub fn settings(file: GatewayFile, hostname_from: &str) -> anyhow::Result<GatewaySettings> {
    let defaults = GatewayConfig::default();
    let listen_raw = env("LISTEN").or(file.listen);
    let listen_explicit = listen_raw.is_some();
    let listen = address(listen_raw.as_deref().unwrap_or(DEFAULT_LISTEN), "listen")?;
    let tls_listen = match env("TLS_LISTEN").or(file.tls_listen) {
        Some(raw) => address(&raw, "tls_listen")?,
        None => None,
    };
    let cert = env("CERT_FILE").map(PathBuf::from).or(file.cert_file);
    let key = env("KEY_FILE").map(PathBuf::from).or(file.key_file);
    let tls_files = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => bail!("the gateway needs both cert_file and key_file for TLS (or neither)"),
    };
    if tls_listen.is_some() && tls_files.is_none() {
        bail!("gateway tls_listen needs cert_file and key_file");
    }
    let positive = |value: Option<usize>, name: &str, default: usize| -> anyhow::Result<usize> {
        match value {
            Some(0) => bail!("gateway {name} must be at least 1"),
            Some(n) => Ok(n),
            None => Ok(default),
        }
    };
    let secs = |value: Option<u64>, name: &str, default: Duration| -> anyhow::Result<Duration> {
        match value {
            Some(0) => bail!("gateway {name} must be at least 1 second"),
            Some(n) => Ok(Duration::from_secs(n)),
            None => Ok(default),
        }
    };
    let max_recipients = positive(
        env_parse("MAX_RECIPIENTS")?.or(file.max_recipients),
        "max_recipients",
        defaults.max_recipients,
    )?;
    if max_recipients > sealpost_domain::services::messages::MAX_RECIPIENTS {
        bail!(
            "gateway max_recipients may be at most {} (a message's limit)",
            sealpost_domain::services::messages::MAX_RECIPIENTS
        );
    }
    let max_line_bytes = positive(
        env_parse("MAX_LINE_BYTES")?.or(file.max_line_bytes),
        "max_line_bytes",
        defaults.max_line_bytes,
    )?;
    if max_line_bytes < 1000 {
        bail!("gateway max_line_bytes must be at least 1000 (RFC 5321's line length)");
    }
    let host = hostname_from
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("sealpost");
    let config = GatewayConfig {
        hostname: env("HOSTNAME").or(file.hostname).unwrap_or_else(|| host.to_owned()),
        max_message_bytes: positive(
            env_parse("MAX_MESSAGE_MB")?.or(file.max_message_mb),
            "max_message_mb",
            defaults.max_message_bytes / (1024 * 1024),
        )?
        .saturating_mul(1024 * 1024),
        max_recipients,
        max_line_bytes,
        max_header_bytes: positive(
            env_parse("MAX_HEADER_KB")?.or(file.max_header_kb),
            "max_header_kb",
            defaults.max_header_bytes / 1024,
        )?
        .saturating_mul(1024),
        max_parts: positive(
            env_parse("MAX_PARTS")?.or(file.max_parts),
            "max_parts",
            defaults.max_parts,
        )?,
        session_timeout: secs(
            env_parse("SESSION_TIMEOUT_SECS")?.or(file.session_timeout_secs),
            "session_timeout_secs",
            defaults.session_timeout,
        )?,
        idle_timeout: secs(
            env_parse("IDLE_TIMEOUT_SECS")?.or(file.idle_timeout_secs),
            "idle_timeout_secs",
            defaults.idle_timeout,
        )?,
        max_sessions: positive(
            env_parse("MAX_SESSIONS")?.or(file.max_sessions),
            "max_sessions",
            defaults.max_sessions,
        )?,
        subject_tag: env("SUBJECT_TAG").or(file.subject_tag).unwrap_or(defaults.subject_tag),
        loopback_plaintext_auth: env_parse("LOOPBACK_PLAINTEXT_AUTH")?
            .or(file.loopback_plaintext_auth)
            .unwrap_or(defaults.loopback_plaintext_auth),
    };
    Ok(GatewaySettings {
        listen,
        listen_explicit,
        tls_listen,
        tls_files,
        config,
    })
}

/// How long a stopping gateway lets a DATA in progress finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Binds the gateway's listeners and runs them in the background, relaying
/// untagged mail of relaying tokens through `relay` (the outbox worker's
/// transport, whose `relay` passes mail unchanged). [`Gateway::shutdown`] stops
/// them; the tasks also end when the returned handles are aborted.
pub async fn start(
    settings: &GatewaySettings,
    services: Services,
    relay: Arc<dyn sealpost_mail::Transport>,
) -> anyhow::Result<(Arc<Gateway>, Vec<tokio::task::JoinHandle<()>>)> {
    let tls = match &settings.tls_files {
        Some((cert, key)) => Some(sealpost_mail::gateway::load_tls(cert, key)?),
        None => None,
    };
    let gateway = Gateway::relaying(services, settings.config.clone(), tls, Some(relay));
    let mut tasks = Vec::new();
    if let Some(listen) = settings.listen {
        match tokio::net::TcpListener::bind(listen).await {
            Ok(listener) => {
                println!("The SMTP gateway is listening on {listen}");
                tracing::info!(%listen, "SMTP gateway listening");
                tasks.push(tokio::spawn(Arc::clone(&gateway).serve(listener, false)));
            }
            Err(error) if !settings.listen_explicit => {
                tracing::warn!(%listen, %error, "the SMTP gateway's default port is taken; the gateway is off (set [gateway] listen)");
            }
            Err(error) => {
                return Err(error).with_context(|| {
                    format!("while binding the SMTP gateway on {listen}; choose another with SEALPOST_GATEWAY_LISTEN")
                });
            }
        }
    }
    if let Some(listen) = settings.tls_listen {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
            format!(
                "while binding the SMTP gateway's TLS port {listen}; choose another with SEALPOST_GATEWAY_TLS_LISTEN"
            )
        })?;
        println!("The SMTP gateway is listening for implicit TLS on {listen}");
        tasks.push(tokio::spawn(Arc::clone(&gateway).serve(listener, true)));
    }
    Ok((gateway, tasks))
}
