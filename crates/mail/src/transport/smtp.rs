//! The SMTP relay: hands messages to the organisation's mail server.
//!
//! lettre's asynchronous client on Tokio, TLS through rustls with the aws-lc-rs
//! provider only (DESIGN §9: with `ring` also compiled in, rustls panics at run time),
//! roots from the operating system's certificate store. One connection per message:
//! the worker sends one at a time, and a fresh connection never inherits a broken
//! session.
//!
//! Replies are sorted for the worker: 4xx, refused or dropped connections, TLS
//! failures and timeouts are [`SendError::Transient`]; 5xx replies are
//! [`SendError::Permanent`], except the relay refusing our own credentials (530,
//! 534, 535, 538), which is a configuration problem the operator can fix while the
//! messages wait.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use sealpost_domain::types::EmailAddress;
use secrecy::{ExposeSecret as _, SecretString};

use super::{SendError, Transport};
use crate::error::MailError;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain text: only for a relay on the same machine or a trusted network.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (never silently
    /// skipped); the usual mode for submission on port 587.
    #[default]
    StartTls,
    /// TLS from the first byte ("implicit TLS", SMTPS), usually port 465.
    Tls,
}

impl TlsMode {
    /// The configuration word: `none`, `starttls` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::StartTls => "starttls",
            Self::Tls => "tls",
        }
    }

    /// The port used when none is configured: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

impl FromStr for TlsMode {
    type Err = MailError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" | "off" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" | "smtps" | "implicit" => Ok(Self::Tls),
            _ => Err(MailError::BadTlsMode {
                setting: "smtp_tls",
                value: value.to_owned(),
            }),
        }
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything needed to reach the relay; the CLI fills it from the configuration.
#[derive(Debug, Clone)]
pub struct SmtpRelayConfig {
    /// Host name (also the name the TLS certificate must carry) or IP address.
    pub host: String,
    /// The port; `None` means [`TlsMode::default_port`].
    pub port: Option<u16>,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// The login, when the relay requires one (together with `password`).
    pub username: Option<String>,
    /// The password; kept secret in memory, never logged.
    pub password: Option<SecretString>,
    /// How long to wait for the connection and for each reply before calling the
    /// attempt a (transient) failure.
    pub timeout: Duration,
    /// The name sent in `EHLO`; `None` means this machine's host name.
    pub hello_name: Option<String>,
}

impl SmtpRelayConfig {
    /// STARTTLS on port 587, no login, a 30 second timeout.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: None,
            tls: TlsMode::default(),
            username: None,
            password: None,
            timeout: Duration::from_secs(30),
            hello_name: None,
        }
    }
}

/// Delivers through an SMTP relay.
pub struct SmtpRelay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `host:port`, for log lines and error messages.
    endpoint: String,
}

impl fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the transport itself: it holds the credentials.
        f.debug_struct("SmtpRelay")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl SmtpRelay {
    /// A relay client. Checks the settings and prepares TLS (loading the system's
    /// root certificates); it does not connect: the first message does.
    pub fn new(config: SmtpRelayConfig) -> Result<Self, MailError> {
        let host = config.host.trim().to_owned();
        if host.is_empty() {
            return Err(MailError::Relay("smtp_host is empty".to_owned()));
        }
        let port = config.port.unwrap_or_else(|| config.tls.default_port());
        if port == 0 {
            return Err(MailError::Relay("smtp_port 0 is not a port".to_owned()));
        }
        if config.timeout.is_zero() {
            return Err(MailError::Relay("the SMTP timeout must be longer than zero".to_owned()));
        }
        let tls_parameters = || {
            TlsParameters::new_rustls(host.clone()).map_err(|source| MailError::Tls {
                host: host.clone(),
                source,
            })
        };
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls_parameters()?),
            TlsMode::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(name) = config.hello_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            builder = builder.hello_name(ClientId::Domain(name.to_owned()));
        }
        let username = config.username.filter(|u| !u.trim().is_empty());
        match (username, config.password) {
            (Some(username), Some(password)) => {
                if config.tls == TlsMode::None {
                    tracing::warn!(
                        host,
                        port,
                        "the SMTP password is sent without TLS; use smtp_tls = starttls or tls unless the relay is on this machine"
                    );
                }
                builder = builder.credentials(Credentials::new(username, password.expose_secret().to_owned()));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(MailError::Relay(
                    "smtp_username is set but smtp_password is not".to_owned(),
                ));
            }
            (None, Some(_)) => {
                return Err(MailError::Relay(
                    "smtp_password is set but smtp_username is not".to_owned(),
                ));
            }
        }
        Ok(Self {
            transport: builder.build(),
            endpoint: format!("{host}:{port}"),
        })
    }

    /// `host:port` of the relay.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

/// The SMTP reply codes that mean "your login is wrong or missing": the operator's
/// problem, not the recipient's, so messages wait for the fix instead of bouncing.
const AUTH_CODES: [&str; 4] = ["530", "534", "535", "538"];

fn classify(endpoint: &str, error: &lettre::transport::smtp::Error) -> SendError {
    // A reply reads best as the server wrote it: "550 5.1.1 <bob@…>: no such user".
    let reply = match (error.status(), std::error::Error::source(error)) {
        (Some(code), Some(message)) => Some(format!("{code} {message}")),
        _ => None,
    };
    if error.is_permanent() {
        let text = reply.unwrap_or_else(|| error.to_string());
        if error
            .status()
            .is_some_and(|code| AUTH_CODES.contains(&code.to_string().as_str()))
        {
            return SendError::Transient(format!(
                "the relay {endpoint} refused our login ({text}); check smtp_username and smtp_password"
            ));
        }
        return SendError::Permanent(text);
    }
    let text = reply.unwrap_or_else(|| error.to_string());
    SendError::Transient(format!("{text} (relay {endpoint})"))
}

#[async_trait]
impl Transport for SmtpRelay {
    async fn send(&self, to: &EmailAddress, envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        let recipient: Address = to
            .as_str()
            .parse()
            .map_err(|e| SendError::Permanent(format!("{to} cannot be used as an SMTP recipient: {e}")))?;
        let envelope_from = envelope_from.trim();
        let reverse_path = if envelope_from.is_empty() {
            None
        } else {
            Some(envelope_from.parse::<Address>().map_err(|e| {
                SendError::Transient(format!(
                    "the envelope sender {envelope_from:?} is not an address ({e}); fix mail_from"
                ))
            })?)
        };
        let envelope = Envelope::new(reverse_path, vec![recipient])
            .map_err(|e| SendError::Permanent(format!("no valid SMTP envelope: {e}")))?;
        self.transport
            .send_raw(&envelope, raw)
            .await
            .map(|_| ())
            .map_err(|error| classify(&self.endpoint, &error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_modes_are_read_from_their_configuration_words() -> Result<(), MailError> {
        assert_eq!("none".parse::<TlsMode>()?, TlsMode::None);
        assert_eq!(" STARTTLS ".parse::<TlsMode>()?, TlsMode::StartTls);
        assert_eq!("tls".parse::<TlsMode>()?, TlsMode::Tls);
        let refused = "ssl3".parse::<TlsMode>().map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err("smtp_tls = \"ssl3\" is not a TLS mode; use `none`, `starttls` or `tls`".to_owned())
        );
        Ok(())
    }

    #[test]
    fn half_a_login_is_refused_before_anything_is_sent() {
        let mut config = SmtpRelayConfig::new("relay.example.com");
        config.username = Some("alice".to_owned());
        let error = SmtpRelay::new(config).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            error,
            Err("the SMTP relay settings do not work: smtp_username is set but smtp_password is not".to_owned())
        );
    }

    #[test]
    fn the_password_never_appears_in_debug_output() -> Result<(), MailError> {
        let mut config = SmtpRelayConfig::new("relay.example.com");
        config.username = Some("alice".to_owned());
        config.password = Some(SecretString::from("hunter2-very-secret"));
        assert!(!format!("{config:?}").contains("hunter2"));
        let relay = SmtpRelay::new(config)?;
        assert!(!format!("{relay:?}").contains("hunter2"));
        assert_eq!(relay.endpoint(), "relay.example.com:587");
        Ok(())
    }
}
