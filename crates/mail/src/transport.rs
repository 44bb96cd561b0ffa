//! Transports: how a rendered message leaves the outbox.
//!
//! [`Transport`] is the one operation the worker needs: hand over the raw bytes
//! for one recipient. Two implementations:
//!
//! - [`smtp::SmtpRelay`]: an SMTP relay (the organisation's mail server or a
//!   submission service), through lettre with rustls on the aws-lc-rs provider.
//! - [`maildir::MailDir`]: one `.eml` file per message in a directory. The default
//!   when no relay is configured, so a fresh installation works with no mail server
//!   (and tests can read what was "sent").
//!
//! The kind of [`SendError`] decides what the worker does: try this message again
//! later ([`SendError::Transient`]), try again later and take the failure as news
//! about the relay itself ([`SendError::Unavailable`]: when the relay accepts mail
//! again, everything that waited for it is sent at once), or give up and tell the
//! sender ([`SendError::Permanent`]).

pub mod dkim;
pub mod maildir;
pub mod smtp;

use async_trait::async_trait;
use sealpost_domain::types::EmailAddress;

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later, and about this message: a 4xx reply to its
    /// sender, recipient or content (greylisting, a full mailbox), a full disk.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Worth trying again later, and about the relay, not this message: it cannot be
    /// reached, breaks the connection, fails TLS, refuses our login, answers 421 or
    /// does not answer in time. Every message waits for it alike.
    #[error("relay unavailable: {0}")]
    Unavailable(String),
    /// Trying again will not help: a 5xx reply such as "no such user".
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl SendError {
    /// The detail, without the transient/permanent prefix: what the bounce quotes.
    pub fn detail(&self) -> &str {
        match self {
            Self::Transient(detail) | Self::Unavailable(detail) | Self::Permanent(detail) => detail,
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Transient(_) | Self::Unavailable(_))
    }
}

/// Delivers one rendered message to one recipient.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `raw` (a complete RFC 5322 message with CRLF line endings) to `to`, with
    /// `envelope_from` as the SMTP reverse path (empty for the null sender `<>`).
    ///
    /// May be called again with the same bytes after a crash (at-least-once); the
    /// stable `Message-ID` inside lets receivers recognise the repetition.
    async fn send(&self, to: &EmailAddress, envelope_from: &str, raw: &[u8]) -> Result<(), SendError>;

    /// Hands `raw` over unchanged for every one of `to` (the SMTP gateway relaying
    /// an untagged message: nothing is added, no signature either); `Ok` only once
    /// all were taken. By default
    /// one [`Self::send`] per recipient; the SMTP relay overrides it with one
    /// transaction, so a refused recipient leaves nothing sent to the others.
    async fn relay(&self, to: &[EmailAddress], envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        for recipient in to {
            self.send(recipient, envelope_from, raw).await?;
        }
        Ok(())
    }

    /// Called by the outbox worker while it waits for mail (about once a
    /// second): closes what the transport keeps open between deliveries and no
    /// longer needs (the SMTP relay's idle sessions). By default nothing.
    async fn tidy(&self) {}

    /// Called once on shutdown, after the last delivery: ends what the transport
    /// keeps open (the SMTP relay's sessions, each with `QUIT`). By default
    /// nothing.
    async fn close(&self) {}
}

/// The `Message-ID` of a raw message, without angle brackets, if it has one.
///
/// Reads only the header section and unfolds continuation lines.
pub fn message_id_of(raw: &[u8]) -> Option<String> {
    let id = header_value(raw, "message-id")?
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned();
    (!id.is_empty()).then_some(id)
}

/// The unfolded value of the first header field called `name` (any case), if any.
///
/// Reads only the header section, so a body line that looks like a header is ignored.
pub fn header_value(raw: &[u8], name: &str) -> Option<String> {
    let header_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 1))
        .unwrap_or(raw.len());
    let headers = String::from_utf8_lossy(raw.get(..header_end)?);
    let mut value: Option<String> = None;
    for line in headers.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(current) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                current.push(' ');
                current.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((field, rest)) = line.split_once(':')
            && field.trim().eq_ignore_ascii_case(name)
        {
            value = Some(rest.trim().to_owned());
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_is_read_from_the_headers_only() {
        let raw = b"From: a@example.com\r\nMessage-ID:\r\n <abc123@example.com>\r\nSubject: x\r\n\r\nMessage-ID: <body@example.com>\r\n";
        assert_eq!(message_id_of(raw).as_deref(), Some("abc123@example.com"));
        assert_eq!(message_id_of(b"Subject: x\r\n\r\nMessage-ID: <b@c>\r\n"), None);
    }
}
