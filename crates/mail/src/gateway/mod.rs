//! The inbound SMTP gateway: an organisation's mail server relays the mail it
//! wants sent securely, and each message becomes one secure message of the
//! account whose token authenticated the session (DESIGN §7).
//!
//! The loop is ours, commands are parsed by `smtp-proto` (DESIGN §9). Laid out
//! one file per verb, as mail servers are:
//!
//! - [`session`]: one connection: the strict CRLF line reader (a bare CR or LF
//!   anywhere is refused: the SMTP smuggling class), the session deadline, the
//!   dispatch, RSET/NOOP/QUIT/VRFY/HELP and replies;
//! - `ehlo` (EHLO/HELO and what is advertised), `starttls`, `auth` (PLAIN and
//!   LOGIN with an account token as the password), `mail_from`, `rcpt`, `data`;
//! - [`message`]: the DATA, parsed with mail-parser into what the domain seals
//!   ([`GatewaySubmission`](sealpost_domain::services::messages::GatewaySubmission));
//! - `relay`: an untagged message under a relaying token goes to the outgoing
//!   relay unchanged (a `Received:` line added), answered once the relay took it.
//!
//! Shutdown ([`Gateway::shutdown`]): the listeners stop accepting, a session
//! waiting for a command is told `421 4.3.2` and closed, a DATA in progress is
//! read, committed and answered first; the sessions get a bounded time for it.
//!
//! "250" after DATA is answered only once the domain has committed the message,
//! its recipients and their notifications; any failure before is a 4xx or 5xx
//! and leaves nothing stored. Every accepted and refused submission is audited
//! (token, client, sender, recipient count, size), never its subject or content.

mod auth;
mod data;
mod ehlo;
mod mail_from;
pub mod message;
mod metrics;
mod rcpt;
mod relay;
pub mod session;
mod starttls;

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sealpost_domain::services::Services;

use crate::transport::Transport;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The gateway's limits and names, from `[gateway]` in the configuration.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The name the gateway gives in its greeting and EHLO answer.
    pub hostname: String,
    /// The largest message accepted (advertised as `SIZE`), in bytes.
    pub max_message_bytes: usize,
    /// The most recipients one message may have.
    pub max_recipients: usize,
    /// The longest command or DATA line, CRLF included.
    pub max_line_bytes: usize,
    /// The most bytes the header block of a message may take.
    pub max_header_bytes: usize,
    /// The most MIME parts one message may have (a MIME bomb is refused).
    pub max_parts: usize,
    /// How long one session may last, however busy.
    pub session_timeout: Duration,
    /// How long the gateway waits for the client's next bytes.
    pub idle_timeout: Duration,
    /// How many sessions run at once; a newcomer past it gets 421.
    pub max_sessions: usize,
    /// The subject word that marks mail to be sent securely; stripped before sealing.
    pub subject_tag: String,
    /// Whether AUTH is offered without TLS to clients on a loopback address (the
    /// MTA on the same machine). Everywhere else AUTH needs TLS first.
    pub loopback_plaintext_auth: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            hostname: "sealpost".to_owned(),
            max_message_bytes: 50 * 1024 * 1024,
            max_recipients: 100,
            max_line_bytes: 4096,
            max_header_bytes: 256 * 1024,
            max_parts: 256,
            session_timeout: Duration::from_secs(30 * 60),
            idle_timeout: Duration::from_secs(5 * 60),
            max_sessions: 200,
            subject_tag: "[secure]".to_owned(),
            loopback_plaintext_auth: true,
        }
    }
}

/// A byte stream a session runs over: plain TCP, or TLS on top of it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// The gateway: services to seal with, limits, TLS, the session cap, and where
/// untagged mail is relayed.
pub struct Gateway {
    services: Services,
    config: GatewayConfig,
    tls: Option<TlsAcceptor>,
    sessions: Arc<Semaphore>,
    /// The outgoing relay for untagged mail of relaying tokens (unsigned: the
    /// bytes go as received); `None`: such mail gets a temporary refusal.
    relay: Option<Arc<dyn Transport>>,
    /// `true` once [`Gateway::shutdown`] began.
    stopping: watch::Sender<bool>,
}

impl Gateway {
    /// A gateway sealing through `services`; `tls` enables STARTTLS (and the
    /// implicit-TLS listener).
    pub fn new(services: Services, config: GatewayConfig, tls: Option<Arc<ServerConfig>>) -> Arc<Self> {
        Self::relaying(services, config, tls, None)
    }

    /// [`Self::new`], relaying untagged mail of relaying tokens through `relay`.
    pub fn relaying(
        services: Services,
        config: GatewayConfig,
        tls: Option<Arc<ServerConfig>>,
        relay: Option<Arc<dyn Transport>>,
    ) -> Arc<Self> {
        let sessions = Arc::new(Semaphore::new(config.max_sessions.max(1)));
        Arc::new(Self {
            services,
            config,
            tls: tls.map(TlsAcceptor::from),
            sessions,
            relay,
            stopping: watch::Sender::new(false),
        })
    }

    /// Stops the gateway: the listeners stop accepting, sessions waiting for a
    /// command get `421 4.3.2` and are closed, a DATA in progress finishes
    /// (its message read, committed and answered). Waits at most `grace` for
    /// every session to end; `false` if some had not by then (the caller then
    /// drops them: a client with no `250` sends again).
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.stopping.send_replace(true);
        let all = u32::try_from(self.config.max_sessions.max(1)).unwrap_or(u32::MAX);
        matches!(
            tokio::time::timeout(grace, self.sessions.acquire_many(all)).await,
            Ok(Ok(_))
        )
    }

    /// Resolves once [`Self::shutdown`] began.
    pub(crate) async fn stopping(&self) {
        let mut stopping = self.stopping.subscribe();
        // The sender lives as long as the gateway: an error cannot happen here.
        let _ = stopping.wait_for(|stop| *stop).await;
    }

    /// Accepts connections until the task is dropped or the gateway shuts
    /// down. `implicit_tls`: the listener is the TLS port (465 style), the
    /// handshake comes first.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, implicit_tls: bool) {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = self.stopping() => return,
            };
            let (socket, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, never spin.
                    tracing::warn!(%error, "the gateway could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let gateway = Arc::clone(&self);
            tokio::spawn(async move {
                gateway.handle(socket, peer, implicit_tls).await;
            });
        }
    }

    async fn handle(self: Arc<Self>, socket: tokio::net::TcpStream, peer: SocketAddr, implicit_tls: bool) {
        let _ = socket.set_nodelay(true);
        let Ok(permit) = Arc::clone(&self.sessions).try_acquire_owned() else {
            metrics::session_refused("busy");
            session::refuse_busy(socket).await;
            return;
        };
        let _open = metrics::OpenSession::start();
        let stream: Box<dyn Stream> = if implicit_tls {
            let Some(acceptor) = &self.tls else { return };
            match tokio::time::timeout(self.config.idle_timeout, acceptor.accept(socket)).await {
                Ok(Ok(tls)) => Box::new(tls),
                _ => return,
            }
        } else {
            Box::new(socket)
        };
        session::Session::new(&self, peer, implicit_tls).run(stream).await;
        drop(permit);
    }
}

/// Why the gateway's TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The certificate file is missing, unreadable or holds no certificate.
    #[error("the gateway certificate file {path} could not be read as PEM certificates: {detail}")]
    Certificate {
        /// The file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// The key file is missing, unreadable or holds no private key.
    #[error("the gateway key file {path} could not be read as a PEM private key: {detail}")]
    Key {
        /// The file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// rustls refused the pair (the key does not match the certificate, say).
    #[error("the gateway certificate and key do not work together: {0}")]
    Pair(String),
}

/// A rustls server configuration (aws-lc-rs provider) from PEM files.
pub fn load_tls(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| TlsSetupError::Certificate {
            path: cert.display().to_string(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::Certificate {
            path: cert.display().to_string(),
            detail: "no certificate in it".to_owned(),
        });
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsSetupError::Key {
        path: key.display().to_string(),
        detail: e.to_string(),
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Pair(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| TlsSetupError::Pair(e.to_string()))?;
    Ok(Arc::new(config))
}

/// An I/O error for a session that must end (timeout, protocol abuse).
fn ended(why: &'static str) -> io::Error {
    io::Error::other(why)
}
