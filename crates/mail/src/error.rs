//! Configuration errors: what the operator must fix before mail can flow.
//!
//! Delivery failures are not errors of this kind; they are
//! [`SendError`](crate::transport::SendError)s and end up in the outbox row.

/// A mail setting that cannot work, with a message that says which one and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address setting (for example the sender address of system mails) does not parse.
    #[error(
        "{setting} = {value:?} is not an email address; write it as `name@example.com` or `Name <name@example.com>`"
    )]
    BadAddress {
        /// The setting's name, as the operator writes it.
        setting: &'static str,
        /// What was given.
        value: String,
    },
    /// The TLS mode setting is not one of the three known words.
    #[error("{setting} = {value:?} is not a TLS mode; use `none`, `starttls` or `tls`")]
    BadTlsMode {
        /// The setting's name.
        setting: &'static str,
        /// What was given.
        value: String,
    },
    /// The SMTP relay settings are incomplete or contradictory.
    #[error("the SMTP relay settings do not work: {0}")]
    Relay(String),
    /// The TLS client could not be set up (for example no usable root certificates).
    #[error("could not set up TLS for the SMTP relay {host}: {source}")]
    Tls {
        /// The relay host.
        host: String,
        /// What lettre/rustls said.
        #[source]
        source: lettre::transport::smtp::Error,
    },
}
