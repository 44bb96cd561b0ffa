//! Outbox rows that must not rest in the database readable: the notification of
//! a No Password Required message carries its recipient's secret (in the link
//! and the envelope file), which the service must never store. Such a row holds
//! the rendered mail sealed as an envelope (`docs/ENVELOPE-FORMAT.md`) under a
//! key derived from the master key; the outbox worker opens it just before
//! handing it to the transport. Any other row holds the plain mail, which never
//! starts with the envelope's magic (a mail starts with a header name).

use std::borrow::Cow;

use sealpost_crypto::envelope::{self, Context};
use sealpost_crypto::keys::Key256;
use sealpost_crypto::secret::derive_key;

use crate::error::DomainError;

/// The purpose the key is derived for.
const PURPOSE: &str = "sealed outbox mail";

/// The fixed context every sealed mail carries (no account or message is bound:
/// the key serves nothing else).
const CONTEXT: Context = Context {
    account_id: 0,
    message_id: [0; 16],
    part: 0,
};

/// Seals and opens outbox mail.
pub struct MailSeal(Key256);

impl std::fmt::Debug for MailSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailSeal([redacted])")
    }
}

impl MailSeal {
    /// The seal of the installation whose master key is `master`.
    pub fn from_master(master: &Key256) -> Result<Self, DomainError> {
        derive_key(master, PURPOSE).map(Self).map_err(DomainError::internal)
    }

    /// `raw` sealed for the outbox.
    pub fn seal(&self, raw: &[u8]) -> Result<Vec<u8>, DomainError> {
        envelope::seal(&self.0, &CONTEXT, raw).map_err(DomainError::internal)
    }

    /// The mail to send: `stored` opened when it is sealed, as it is otherwise.
    pub fn open<'a>(&self, stored: &'a [u8]) -> Result<Cow<'a, [u8]>, DomainError> {
        if is_sealed(stored) {
            let plain = envelope::open(&self.0, &CONTEXT, stored).map_err(DomainError::internal)?;
            Ok(Cow::Owned(plain))
        } else {
            Ok(Cow::Borrowed(stored))
        }
    }
}

/// Whether an outbox row's mail is sealed.
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(&envelope::MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_mail_opens_and_plain_mail_passes_through() -> Result<(), Box<dyn std::error::Error>> {
        let seal = MailSeal::from_master(&Key256::generate()?)?;
        let raw = b"From: a@example.com\r\nSubject: x\r\n\r\nsecret-link\r\n";
        let sealed = seal.seal(raw)?;
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(11).any(|w| w == b"secret-link"));
        assert_eq!(&*seal.open(&sealed)?, raw);
        assert_eq!(&*seal.open(raw)?, raw);
        let other = MailSeal::from_master(&Key256::generate()?)?;
        assert!(other.open(&sealed).is_err());
        Ok(())
    }
}
