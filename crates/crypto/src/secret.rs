//! Per-recipient secrets: the No Password Required security level.
//!
//! A message of a No Password Required profile gives each recipient a fresh
//! 256-bit [`RecipientSecret`]. It travels only in that recipient's envelope file
//! and notification link; the service keeps two values derived from it and never
//! the secret itself:
//!
//! - a **verifier**, `HKDF-SHA256(ikm = secret, salt = message id, info =
//!   "sealpost recipient verifier v1")`, 32 bytes, by which the service finds the
//!   recipient a presented secret belongs to (one-way: the secret is uniformly
//!   random and 256 bits long, so no salt or slow hash is needed);
//! - the message's data key **wrapped** (AES-256 KWP, RFC 5649) under
//!   `HKDF-SHA256(ikm = secret, salt = message id, info = "sealpost recipient
//!   key v1" ‖ recipient address)`. Only a request carrying the secret can unwrap
//!   it, and a secret of one recipient or message derives another key.
//!
//! [`derive_key`] also derives the service's own purpose keys from the master key
//! (the sealed outbox copy of such mail, the short-lived download grant).

use std::fmt;

use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroize as _;

use crate::keys::{self, KEY_LEN, Key256};
use crate::{CryptoError, RandomError};

/// Characters of an encoded secret (32 bytes, URL-safe base64 without padding).
pub const ENCODED_LEN: usize = 43;

const VERIFIER_LABEL: &[u8] = b"sealpost recipient verifier v1";
const KEY_LABEL: &[u8] = b"sealpost recipient key v1";
const PURPOSE_LABEL: &[u8] = b"sealpost purpose key v1 ";

/// A recipient's secret. `Debug` is redacted; the bytes are zeroed on drop.
#[derive(Clone)]
pub struct RecipientSecret([u8; KEY_LEN]);

impl RecipientSecret {
    /// 256 fresh random bits.
    pub fn generate() -> Result<Self, RandomError> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|_| RandomError)?;
        Ok(Self(bytes))
    }

    /// The form that goes into the envelope and the link: URL-safe base64, 43 characters.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Reads [`Self::encode`]'s form; anything else (other length, alphabet,
    /// non-canonical trailing bits) is `None`.
    pub fn parse(encoded: &str) -> Option<Self> {
        if encoded.len() != ENCODED_LEN {
            return None;
        }
        let mut decoded = URL_SAFE_NO_PAD.decode(encoded).ok()?;
        let bytes: [u8; KEY_LEN] = decoded.as_slice().try_into().ok()?;
        decoded.zeroize();
        Some(Self(bytes))
    }

    /// The value the service stores to recognise this secret for `message_id`.
    pub fn verifier(&self, message_id: &[u8; 16]) -> Result<[u8; KEY_LEN], CryptoError> {
        expand(&self.0, message_id, &[VERIFIER_LABEL])
    }

    /// The key that wraps the data key for `recipient` of `message_id`.
    fn wrapping_key(&self, message_id: &[u8; 16], recipient: &str) -> Result<Key256, CryptoError> {
        let mut okm = expand(&self.0, message_id, &[KEY_LABEL, recipient.as_bytes()])?;
        let key = Key256::from_bytes(okm);
        okm.zeroize();
        Ok(key)
    }

    /// `dek` wrapped for `recipient` of `message_id` (40 bytes).
    pub fn wrap(&self, message_id: &[u8; 16], recipient: &str, dek: &Key256) -> Result<Vec<u8>, CryptoError> {
        keys::wrap(&self.wrapping_key(message_id, recipient)?, dek)
    }

    /// The data key [`Self::wrap`] protected; any other secret, message or
    /// recipient fails the key wrap's integrity check ([`CryptoError::KeyWrap`]).
    pub fn unwrap(&self, message_id: &[u8; 16], recipient: &str, wrapped: &[u8]) -> Result<Key256, CryptoError> {
        keys::unwrap(&self.wrapping_key(message_id, recipient)?, wrapped)
    }
}

impl Drop for RecipientSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for RecipientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecipientSecret([redacted])")
    }
}

/// A key for one purpose of the service (`purpose` names it), derived from the
/// master key, so that no purpose key is stored and one never serves two uses.
pub fn derive_key(master: &Key256, purpose: &str) -> Result<Key256, CryptoError> {
    let mut okm = expand(master.expose(), &[], &[PURPOSE_LABEL, purpose.as_bytes()])?;
    let key = Key256::from_bytes(okm);
    okm.zeroize();
    Ok(key)
}

struct Len32;

impl KeyType for Len32 {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

fn expand(ikm: &[u8], salt: &[u8], info: &[&[u8]]) -> Result<[u8; KEY_LEN], CryptoError> {
    let prk = Salt::new(HKDF_SHA256, salt).extract(ikm);
    let mut out = [0u8; KEY_LEN];
    prk.expand(info, Len32)
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| CryptoError::Primitive("HKDF-SHA256"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_reads_back_and_nothing_else_does() -> Result<(), Box<dyn std::error::Error>> {
        let secret = RecipientSecret::generate()?;
        let encoded = secret.encode();
        assert_eq!(encoded.len(), ENCODED_LEN);
        let again = RecipientSecret::parse(&encoded).ok_or("does not read back")?;
        assert_eq!(again.encode(), encoded);
        assert!(format!("{secret:?}").contains("redacted"));
        for bad in [
            "",
            "short",
            &"A".repeat(44),
            &format!("{}+", &encoded[..42]),
            &format!("{}=", &encoded[..42]),
        ] {
            assert!(RecipientSecret::parse(bad).is_none(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn only_the_right_secret_message_and_recipient_unwrap_the_key() -> Result<(), Box<dyn std::error::Error>> {
        let (a, b) = (RecipientSecret::generate()?, RecipientSecret::generate()?);
        let (m1, m2) = ([1u8; 16], [2u8; 16]);
        let dek = Key256::generate()?;
        let wrapped = a.wrap(&m1, "ann@example.com", &dek)?;
        assert_eq!(a.unwrap(&m1, "ann@example.com", &wrapped)?.expose(), dek.expose());
        assert!(b.unwrap(&m1, "ann@example.com", &wrapped).is_err(), "another secret");
        assert!(a.unwrap(&m2, "ann@example.com", &wrapped).is_err(), "another message");
        assert!(a.unwrap(&m1, "bob@example.com", &wrapped).is_err(), "another recipient");
        assert_ne!(a.verifier(&m1)?, a.verifier(&m2)?);
        assert_ne!(a.verifier(&m1)?, b.verifier(&m1)?);
        let master = Key256::generate()?;
        assert_ne!(
            derive_key(&master, "one")?.expose(),
            derive_key(&master, "two")?.expose()
        );
        assert_eq!(
            derive_key(&master, "one")?.expose(),
            derive_key(&master, "one")?.expose()
        );
        Ok(())
    }
}
