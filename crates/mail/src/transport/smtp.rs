//! The SMTP relay: hands messages to the organisation's mail server.
//!
//! lettre's asynchronous SMTP connection on Tokio, TLS through rustls with the
//! aws-lc-rs provider only (DESIGN §9: with `ring` also compiled in, rustls panics at
//! run time), roots from the operating system's certificate store.
//!
//! **Every exchange has a deadline.** lettre's asynchronous transport bounds only the
//! TCP connect; a relay that accepts and then never answers (or stalls after `DATA`)
//! would hold a delivery for ever. So the session is driven step by step here, each
//! step under [`tokio::time::timeout`]: connecting with the greeting and `EHLO`,
//! `STARTTLS`, the login, `MAIL FROM`, each `RCPT TO`, `DATA` — each within the
//! configured timeout — and the message itself within the timeout plus the time to
//! send it at [`MIN_TRANSFER_RATE`].
//!
//! **A session serves several messages.** After a delivery the relay accepted, the
//! session is kept for the next one (as Postfix's own SMTP client caches its
//! connections): under load each lane of the outbox worker sends `MAIL`, `RCPT`,
//! `DATA` and the message, without a new connection, greeting, `EHLO`, STARTTLS
//! handshake and login every time. Only a session whose last transaction ended in the
//! relay's acceptance is kept; one kept longer than [`IDLE_LIMIT`] unused, opened
//! longer than [`SESSION_AGE_LIMIT`] ago or used for [`SESSION_MESSAGE_LIMIT`]
//! messages is closed with `QUIT` instead (the worker calls [`Transport::tidy`]
//! while it waits, so idle sessions do not linger, and [`Transport::close`] on
//! shutdown, so none is cut without `QUIT`). A kept session that will not
//! take the next `MAIL FROM` (the relay closed it meanwhile) is closed and the
//! message goes over a new one: nothing of it had been accepted yet. `QUIT` gets a
//! short deadline and its outcome is ignored: the mail is delivered, and reporting a
//! failure then would send it twice.
//!
//! Replies are sorted for the worker: a 5xx reply is [`SendError::Permanent`],
//! except the relay refusing our own credentials (530, 534, 535, 538), a
//! configuration problem the operator can fix while the messages wait; another 4xx
//! reply is [`SendError::Transient`] (about this message); and a relay that cannot
//! be reached, breaks the connection, fails TLS, does not answer in time or answers
//! 421 is [`SendError::Unavailable`] (about every message).

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use lettre::address::Address;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Quit, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
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
    /// How long each exchange with the relay may take (connecting with its
    /// greeting, each command's reply; the message itself gets this plus its transfer
    /// time at [`MIN_TRANSFER_RATE`]) before the attempt is a temporary failure.
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

/// The slowest upload the message step allows for: 128 KiB/s (about 1 Mbit/s). A
/// 10 MiB envelope may take 80 s on top of the timeout before the relay's final
/// reply is overdue.
pub const MIN_TRANSFER_RATE: u64 = 128 * 1024;

/// How long `QUIT` may take after the relay accepted the message; its outcome is
/// ignored either way.
const QUIT_LIMIT: Duration = Duration::from_secs(2);

/// How long a session may wait unused for the next message before it is closed
/// (Postfix's client keeps its cached connections 2 s).
pub const IDLE_LIMIT: Duration = Duration::from_secs(2);

/// How long after it was opened a session takes no more messages (Postfix's client:
/// 300 s): a relay that rotates its certificate or configuration sees us anew.
pub const SESSION_AGE_LIMIT: Duration = Duration::from_secs(300);

/// How many messages one session carries at most, a modest number under the
/// per-connection limits relays set (Exchange's own send connectors carry 20 per
/// connection); a relay that takes fewer answers the next `MAIL FROM` with 421,
/// and the message goes over a new session.
pub const SESSION_MESSAGE_LIMIT: u32 = 20;

/// How many sessions are kept at most: one per lane of the outbox worker at the
/// most, and the gateway's relayed messages beside them.
const MAX_KEPT: usize = 16;

/// An open session with the relay, ready for `MAIL FROM`.
struct Session {
    conn: AsyncSmtpConnection,
    opened: Instant,
    /// When its last message was accepted; `None` while it has carried none.
    last_used: Option<Instant>,
    /// How many messages it has carried.
    carried: u32,
}

impl Session {
    fn new(conn: AsyncSmtpConnection) -> Self {
        Self {
            conn,
            opened: Instant::now(),
            last_used: None,
            carried: 0,
        }
    }

    /// Whether it may carry another message at `now`.
    fn may_carry_more(&self, now: Instant) -> bool {
        self.carried < SESSION_MESSAGE_LIMIT
            && now.duration_since(self.opened) < SESSION_AGE_LIMIT
            && self.last_used.is_none_or(|at| now.duration_since(at) < IDLE_LIMIT)
            && !self.conn.has_broken()
    }

    /// Ends the session politely, within [`QUIT_LIMIT`], in a task of its own
    /// (nobody waits for it); its outcome is ignored.
    fn close(self) {
        tokio::spawn(self.quit());
    }

    /// Sends `QUIT` and waits for the answer, within [`QUIT_LIMIT`]; the outcome
    /// is ignored.
    async fn quit(mut self) {
        let _ = tokio::time::timeout(QUIT_LIMIT, self.conn.command(Quit)).await;
    }
}

/// How the connection gets its TLS, with the parameters prepared once at start.
#[derive(Clone)]
enum Security {
    None,
    StartTls(TlsParameters),
    Wrapper(TlsParameters),
}

/// Delivers through an SMTP relay.
pub struct SmtpRelay {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    /// Never logged nor shown in `Debug`.
    credentials: Option<Credentials>,
    timeout: Duration,
    /// `host:port`, for log lines and error messages.
    endpoint: String,
    /// Sessions whose last message the relay accepted, the most recent last.
    kept: Mutex<Vec<Session>>,
}

impl fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the credentials.
        f.debug_struct("SmtpRelay")
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("kept_sessions", &self.kept_sessions())
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
        let security = match config.tls {
            TlsMode::None => Security::None,
            TlsMode::StartTls => Security::StartTls(tls_parameters()?),
            TlsMode::Tls => Security::Wrapper(tls_parameters()?),
        };
        let hello = match config.hello_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => ClientId::Domain(name.to_owned()),
            None => ClientId::default(),
        };
        let username = config.username.filter(|u| !u.trim().is_empty());
        let credentials = match (username, config.password) {
            (Some(username), Some(password)) => {
                if config.tls == TlsMode::None {
                    tracing::warn!(
                        host,
                        port,
                        "the SMTP password is sent without TLS; use smtp_tls = starttls or tls unless the relay is on this machine"
                    );
                }
                Some(Credentials::new(username, password.expose_secret().to_owned()))
            }
            (None, None) => None,
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
        };
        Ok(Self {
            endpoint: format!("{host}:{port}"),
            host,
            port,
            security,
            hello,
            credentials,
            timeout: config.timeout,
            kept: Mutex::default(),
        })
    }

    /// `host:port` of the relay.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// How many sessions are open and waiting for the next message.
    pub fn kept_sessions(&self) -> usize {
        self.kept.lock().map_or(0, |kept| kept.len())
    }

    /// The kept sessions that may carry no more, taken out to be closed.
    fn take_spent(kept: &mut Vec<Session>) -> Vec<Session> {
        let now = Instant::now();
        kept.extract_if(.., |session| !session.may_carry_more(now)).collect()
    }

    /// The most recently used kept session that may carry another message; the
    /// ones that may not are taken out too, for the caller to close.
    fn take_kept(&self) -> (Option<Session>, Vec<Session>) {
        let Ok(mut kept) = self.kept.lock() else {
            return (None, Vec::new());
        };
        let spent = Self::take_spent(&mut kept);
        (kept.pop(), spent)
    }

    /// Keeps `session`, whose message the relay just accepted, for the next one;
    /// or closes it when it has carried enough or enough are kept.
    fn keep(&self, mut session: Session) {
        session.carried += 1;
        let now = Instant::now();
        session.last_used = Some(now);
        let refused = if session.may_carry_more(now) {
            match self.kept.lock() {
                Ok(mut kept) if kept.len() < MAX_KEPT => {
                    kept.push(session);
                    None
                }
                _ => Some(session),
            }
        } else {
            Some(session)
        };
        if let Some(session) = refused {
            session.close();
        }
    }

    /// Closes the kept sessions that may carry no more (unused for
    /// [`IDLE_LIMIT`], or too old).
    fn close_spent(&self) {
        if let Ok(mut kept) = self.kept.lock() {
            Self::take_spent(&mut kept).into_iter().for_each(Session::close);
        }
    }

    /// Runs one step of the session under its deadline.
    async fn step<T>(
        &self,
        what: &str,
        limit: Duration,
        step: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<T, SendError> {
        match tokio::time::timeout(limit, step).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(classify(&self.endpoint, &error)),
            Err(_) => Err(SendError::Unavailable(format!(
                "the relay {} did not answer within {:.1} s {what}",
                self.endpoint,
                limit.as_secs_f64()
            ))),
        }
    }

    /// Connects, greets, secures and logs in: a session ready for `MAIL FROM`.
    async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let wrapper = match &self.security {
            Security::Wrapper(parameters) => Some(parameters.clone()),
            Security::None | Security::StartTls(_) => None,
        };
        let mut conn = self
            .step(
                "to the connection and greeting",
                self.timeout,
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.hello,
                    wrapper,
                    None,
                ),
            )
            .await?;
        if let Security::StartTls(parameters) = &self.security {
            if !conn.can_starttls() {
                return Err(SendError::Unavailable(format!(
                    "the relay {} does not offer STARTTLS, which smtp_tls = starttls requires",
                    self.endpoint
                )));
            }
            self.step(
                "to STARTTLS",
                self.timeout,
                conn.starttls(parameters.clone(), &self.hello),
            )
            .await?;
        }
        if let Some(credentials) = &self.credentials {
            self.step("to the login", self.timeout, conn.auth(DEFAULT_MECHANISMS, credentials))
                .await?;
        }
        Ok(conn)
    }
}

/// Whether an address needs no SMTPUTF8.
fn is_ascii(address: &Address) -> bool {
    AsRef::<str>::as_ref(address).is_ascii()
}

/// How long `len` bytes take at [`MIN_TRANSFER_RATE`].
fn transfer_time(len: usize) -> Duration {
    let len = u64::try_from(len).unwrap_or(u64::MAX);
    Duration::from_millis(len.saturating_mul(1000) / MIN_TRANSFER_RATE)
}

/// The SMTP reply codes that mean "your login is wrong or missing": the operator's
/// problem, not the recipient's, so messages wait for the fix instead of bouncing.
const AUTH_CODES: [&str; 4] = ["530", "534", "535", "538"];

fn classify(endpoint: &str, error: &lettre::transport::smtp::Error) -> SendError {
    // A reply reads best as the server wrote it: "550 5.1.1 <bob@…>: no such user".
    let code = error.status().map(|code| code.to_string());
    let reply = match (&code, std::error::Error::source(error)) {
        (Some(code), Some(message)) => Some(format!("{code} {message}")),
        _ => None,
    };
    let text = reply.unwrap_or_else(|| error.to_string());
    let code = code.as_deref();
    if code.is_some_and(|code| AUTH_CODES.contains(&code)) {
        return SendError::Unavailable(format!(
            "the relay {endpoint} refused our login ({text}); check smtp_username and smtp_password"
        ));
    }
    if error.is_permanent() {
        return SendError::Permanent(text);
    }
    if error.is_transient() && code != Some("421") {
        return SendError::Transient(format!("{text} (relay {endpoint})"));
    }
    SendError::Unavailable(format!("{text} (relay {endpoint})"))
}

impl SmtpRelay {
    /// One SMTP transaction: MAIL, a RCPT per recipient (any refusal ends it
    /// before DATA), DATA with `raw`.
    async fn transaction(&self, to: &[EmailAddress], envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        let recipients = to
            .iter()
            .map(|to| {
                to.as_str()
                    .parse::<Address>()
                    .map_err(|e| SendError::Permanent(format!("{to} cannot be used as an SMTP recipient: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
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
        let ascii_addresses = recipients.iter().all(is_ascii) && reverse_path.as_ref().is_none_or(is_ascii);

        // A step that fails drops the session: it is not used again.
        let mut session = self.session_at_mail(reverse_path, ascii_addresses, raw).await?;
        for recipient in recipients {
            self.step(
                "to RCPT TO",
                self.timeout,
                session.conn.command(Rcpt::new(recipient, Vec::new())),
            )
            .await?;
        }
        self.step("to DATA", self.timeout, session.conn.command(Data)).await?;
        self.step(
            "after the message was sent",
            self.timeout + transfer_time(raw.len()),
            session.conn.message(raw),
        )
        .await?;
        // Accepted: the mail is the relay's now, whatever becomes of the session.
        self.keep(session);
        Ok(())
    }

    /// A session that has accepted `MAIL FROM` for a message: a kept one if it
    /// still takes mail, else a new one.
    async fn session_at_mail(
        &self,
        reverse_path: Option<Address>,
        ascii_addresses: bool,
        raw: &[u8],
    ) -> Result<Session, SendError> {
        let (kept, spent) = self.take_kept();
        spent.into_iter().for_each(Session::close);
        if let Some(mut session) = kept {
            match self
                .mail_from(&mut session, reverse_path.clone(), ascii_addresses, raw)
                .await
            {
                Ok(()) => return Ok(session),
                // Nothing of this message was accepted: over a new session, once.
                Err(error) => {
                    tracing::debug!(relay = %self.endpoint, %error, "a kept relay session did not take MAIL FROM; opening a new one");
                }
            }
        }
        let mut session = Session::new(self.open().await?);
        self.mail_from(&mut session, reverse_path, ascii_addresses, raw).await?;
        Ok(session)
    }

    /// `MAIL FROM` with the parameters the message needs (SMTPUTF8 for an
    /// international address, which the relay must offer; 8BITMIME for 8-bit
    /// content when offered).
    async fn mail_from(
        &self,
        session: &mut Session,
        reverse_path: Option<Address>,
        ascii_addresses: bool,
        raw: &[u8],
    ) -> Result<(), SendError> {
        let conn = &mut session.conn;
        let mut options = Vec::new();
        if !ascii_addresses {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(SendError::Permanent(format!(
                    "the relay {} cannot take an international address (no SMTPUTF8)",
                    self.endpoint
                )));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !raw.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        self.step(
            "to MAIL FROM",
            self.timeout,
            conn.command(Mail::new(reverse_path, options)),
        )
        .await
        .map(drop)
    }
}

#[async_trait]
impl Transport for SmtpRelay {
    async fn send(&self, to: &EmailAddress, envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        self.transaction(std::slice::from_ref(to), envelope_from, raw).await
    }

    async fn relay(&self, to: &[EmailAddress], envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        // lettre ends DATA with CRLF "." CRLF itself: the last line's own CRLF is
        // that first CRLF, so the relay receives exactly `raw`, no blank line added.
        let content = raw.strip_suffix(b"\r\n").unwrap_or(raw);
        self.transaction(to, envelope_from, content).await
    }

    async fn tidy(&self) {
        self.close_spent();
    }

    async fn close(&self) {
        let kept = match self.kept.lock() {
            Ok(mut kept) => std::mem::take(&mut *kept),
            Err(_) => return,
        };
        let mut quitting: tokio::task::JoinSet<()> = kept.into_iter().map(Session::quit).collect();
        while quitting.join_next().await.is_some() {}
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
