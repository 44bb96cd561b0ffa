//! Sealpost's mail: everything between "an email must go out" and a recipient's mailbox.
//!
//! The outbox is a table (DESIGN §7): the change that causes an email writes the
//! rendered message into it in the same transaction, and a worker delivers it later.
//! This crate holds both ends of that queue and what sits between:
//!
//! - [`render`]: [`MailNotifier`], the domain's [`Notifier`](sealpost_domain::ports::Notifier).
//!   It renders every email Sealpost sends (notifications with the **Registered
//!   Envelope** attached, activation and password-reset links, read receipts and
//!   bounces) as complete RFC 5322 messages in the recipient's language, with a
//!   stable `Message-ID`, so that retries send the same bytes.
//! - [`transport`]: the [`Transport`] port and its two implementations, the SMTP
//!   relay ([`SmtpRelay`], lettre over rustls with the aws-lc-rs provider) and the
//!   `.eml` directory ([`MailDir`], the default, so the service works with no mail
//!   server). A failure is [`SendError::Transient`] (try this message again later),
//!   [`SendError::Unavailable`] (the relay itself failed or went quiet: try again
//!   later) or [`SendError::Permanent`] (give up and tell the sender). Every SMTP
//!   step has a deadline.
//! - [`worker`]: [`OutboxWorker`], whose parallel lanes claim due rows, hand them to
//!   the transport, and record the outcome: sent, retried with growing delays for up
//!   to four days, or failed with a bounce queued to the sender. When the relay
//!   answers again after failures, the waiting mail is sent at once.
//!
//! - [`gateway`]: the inbound SMTP gateway (the organisation's mail server submits,
//!   each message is sealed as a secure message of the token's account).
//!
//! What is secret never passes through the outbound side: a notification says
//! *that* a message arrived and carries the sealed payload at most. The gateway
//! holds a submitted message in memory only, from DATA until the domain has
//! sealed it; logs and audit events carry ids and counts, never mail bodies.

#![warn(missing_docs)]

pub mod error;
pub mod gateway;
pub mod render;
mod timefmt;
pub mod transport;
pub mod worker;

pub use error::MailError;
pub use render::MailNotifier;
pub use transport::dkim::{DkimSigning, DomainSigner};
pub use transport::maildir::MailDir;
pub use transport::smtp::{SmtpRelay, SmtpRelayConfig, TlsMode};
pub use transport::{SendError, Transport};
pub use worker::OutboxWorker;
