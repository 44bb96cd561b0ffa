//! The key hierarchy: 256-bit keys and how one key protects another.
//!
//! Sealpost keeps three levels of keys, as KMS, Vault and Tink do:
//!
//! 1. the **master key**, from the environment or a key file, never stored in the
//!    database;
//! 2. versioned **account keys**, stored wrapped under the master key;
//! 3. a fresh **data key** (DEK) per message, stored wrapped under the account key
//!    and used to seal the message's payload (see [`crate::envelope`]).
//!
//! Rotating the master key or an account key therefore re-wraps a few small keys
//! and never re-encrypts payloads. Wrapping is AES-256 key wrap with padding
//! (RFC 5649, NIST SP 800-38F "KWP"): deterministic, no nonce to manage, and an
//! integrity check that makes a wrong wrapping key or a damaged blob fail loudly
//! instead of producing a wrong key.
//!
//! ```
//! use sealpost_crypto::keys::{self, Key256};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let master = Key256::generate()?;
//! let account_key = Key256::generate()?;
//! let stored_account_key = keys::wrap(&master, &account_key)?;
//!
//! let dek = Key256::generate()?;
//! let stored_dek = keys::wrap(&account_key, &dek)?;
//!
//! // Later: unwrap top-down.
//! let account_key = keys::unwrap(&master, &stored_account_key)?;
//! let dek_again = keys::unwrap(&account_key, &stored_dek)?;
//! assert_eq!(dek.expose(), dek_again.expose());
//! # Ok(())
//! # }
//! ```

use std::fmt;

use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrapPadded as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::{Zeroize as _, Zeroizing};

use crate::{CryptoError, RandomError};

/// Length of every key in the hierarchy, in bytes.
pub const KEY_LEN: usize = 32;

/// Length of a wrapped [`Key256`]: KWP adds one 8-byte integrity block to the
/// 32 key bytes (32 is a multiple of 8, so there is no padding).
pub const WRAPPED_KEY_LEN: usize = KEY_LEN + 8;

/// A 256-bit secret key: the master key, an account key or a data key.
///
/// The bytes live on the heap so that moving the key does not leave copies on the
/// stack, and they are zeroed when the key is dropped. `Debug` prints
/// `Key256([redacted])` so a key cannot end up in a log by accident; there is no
/// `Display`.
#[derive(Clone)]
pub struct Key256(Box<[u8; KEY_LEN]>);

impl Key256 {
    /// A fresh key from the operating system's random source, for a new account
    /// key, a new data key or a new master key file.
    pub fn generate() -> Result<Self, RandomError> {
        let mut key = Box::new([0u8; KEY_LEN]);
        getrandom::fill(key.as_mut_slice()).map_err(|_| RandomError)?;
        Ok(Self(key))
    }

    /// A key from raw bytes, for keys that were just unwrapped or derived. The
    /// argument is a copy the caller still owns; zeroize it if it came from
    /// somewhere long-lived.
    pub fn from_bytes(mut bytes: [u8; KEY_LEN]) -> Self {
        let key = Self(Box::new(bytes));
        bytes.zeroize();
        key
    }

    /// Parses the standard base64 form used for the master key in the environment
    /// or in a key file. Surrounding whitespace (a trailing newline in a file) is
    /// ignored.
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        let decoded = Zeroizing::new(STANDARD.decode(encoded.trim()).map_err(|_| KeyError::Base64)?);
        let bytes: &[u8; KEY_LEN] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Length(decoded.len()))?;
        Ok(Self(Box::new(*bytes)))
    }

    /// The standard base64 form (44 characters), for writing a new master key to
    /// its key file. The caller owns the returned secret and should zeroize it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// The raw key bytes, for handing to a primitive. Named `expose` so that every
    /// place that touches the secret is easy to find.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl Drop for Key256 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Key256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key256([redacted])")
    }
}

/// Why a textual key could not be read; the message tells the operator what a
/// valid master key looks like.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not standard base64 (`A–Z a–z 0–9 + /`, padded with `=`).
    #[error("the key is not valid standard base64; generate one with `openssl rand -base64 32`")]
    Base64,
    /// Valid base64 of the wrong number of bytes.
    #[error("the key must be 32 bytes (44 base64 characters) but decodes to {0} bytes")]
    Length(usize),
}

/// Wraps `key` under `kek` with AES-256 key wrap with padding (RFC 5649), giving
/// [`WRAPPED_KEY_LEN`] bytes that are safe to store next to the data they protect.
///
/// Deterministic: the same pair always gives the same blob, which is fine for
/// wrapping uniformly random keys (nothing about the key leaks but its equality).
pub fn wrap(kek: &Key256, key: &Key256) -> Result<Vec<u8>, CryptoError> {
    let kek = AesKek::new(&AES_256, kek.expose()).map_err(|_| CryptoError::Primitive("AES key wrap"))?;
    let mut out = vec![0u8; KEY_LEN + 15];
    let len = kek
        .wrap_with_padding(key.expose(), &mut out)
        .map_err(|_| CryptoError::Primitive("AES key wrap"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Recovers a key wrapped by [`wrap`]. A wrong `kek`, a damaged or truncated
/// blob, or a blob that wraps anything but a 256-bit key gives
/// [`CryptoError::KeyWrap`], never a wrong key.
pub fn unwrap(kek: &Key256, wrapped: &[u8]) -> Result<Key256, CryptoError> {
    let kek = AesKek::new(&AES_256, kek.expose()).map_err(|_| CryptoError::Primitive("AES key wrap"))?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let key = kek
        .unwrap_with_padding(wrapped, &mut out)
        .map_err(|_| CryptoError::KeyWrap)?;
    let key: &[u8; KEY_LEN] = (&*key).try_into().map_err(|_| CryptoError::KeyWrap)?;
    Ok(Key256(Box::new(*key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn hex(s: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        (0..s.len())
            .step_by(2)
            .map(|i| Ok(u8::from_str_radix(s.get(i..i + 2).ok_or("odd hex")?, 16)?))
            .collect()
    }

    fn key(s: &str) -> Result<Key256, Box<dyn std::error::Error>> {
        let bytes: [u8; KEY_LEN] = hex(s)?.as_slice().try_into()?;
        Ok(Key256::from_bytes(bytes))
    }

    /// AES-256 KWP vectors wrapping 32-byte keys, from Project Wycheproof
    /// `testvectors/kwp_test.json` (tcId 149–151). RFC 5649's own vectors use a
    /// 192-bit KEK and do not apply to AES-256.
    const WYCHEPROOF_KWP_256: [(&str, &str, &str); 3] = [
        (
            "38e1b1d075d9d852b9a6c01c8ff6965af01bac457a4e339ae3e1d7b2ffacc0cd",
            "80ad6820f1c90981e2ca42b817a345c1179d0a11d8e23a8adc0505e13d87295a",
            "b63b7e0fec7e315816233db6758fd3e744b9f6a40862bdf866487e53bcb950d8b2649269e51b4475",
        ),
        (
            "c641f1689d81caa8ba37d895272240664054ed974cfffc40e6c5c0cad1b916c7",
            "3fd0ba19955e46749f54d88e99d080b7339d588fe612ec0f4021ca3ca2104270",
            "837cfc316b49299edaf427e0988020ee876204b29d847669daab72c8660b0d860e9de3bd851198ff",
        ),
        (
            "aa0ab9d68ed4a04e723f81b44c0c88d0bcde7a80cfd476eb4b8836d9aa01ec4c",
            "57faa8766f6d6a0aa1cf643f857c150df5b31303b50af480e21c4b5e8c8a15d5",
            "0e9e2e9aa34bbf973d67bc534ac86fc5b5a5f9da5f026866177894ec6077a5c84501510e1bf4afb3",
        ),
    ];

    #[test]
    fn wrapping_matches_published_aes256_kwp_vectors() -> TestResult {
        for (kek, plain, wrapped) in WYCHEPROOF_KWP_256 {
            let (kek, plain, wrapped) = (key(kek)?, key(plain)?, hex(wrapped)?);
            assert_eq!(wrap(&kek, &plain)?, wrapped);
            assert_eq!(unwrap(&kek, &wrapped)?.expose(), plain.expose());
        }
        Ok(())
    }

    #[test]
    fn unwrapping_with_the_wrong_kek_is_refused() -> TestResult {
        let (_, _, wrapped) = WYCHEPROOF_KWP_256[0];
        let (other_kek, _, _) = WYCHEPROOF_KWP_256[1];
        let result = unwrap(&key(other_kek)?, &hex(wrapped)?);
        assert!(matches!(result, Err(CryptoError::KeyWrap)), "{result:?}");
        Ok(())
    }

    #[test]
    fn unwrapping_a_damaged_blob_is_refused_for_every_byte_and_length() -> TestResult {
        let (kek, _, wrapped) = WYCHEPROOF_KWP_256[0];
        let (kek, wrapped) = (key(kek)?, hex(wrapped)?);
        for i in 0..wrapped.len() {
            for bit in 0..8 {
                let mut damaged = wrapped.clone();
                if let Some(byte) = damaged.get_mut(i) {
                    *byte ^= 1 << bit;
                }
                assert!(matches!(unwrap(&kek, &damaged), Err(CryptoError::KeyWrap)));
            }
        }
        for len in 0..wrapped.len() {
            assert!(matches!(
                unwrap(&kek, wrapped.get(..len).ok_or("len")?),
                Err(CryptoError::KeyWrap)
            ));
        }
        let mut longer = wrapped.clone();
        longer.extend_from_slice(&[0; 8]);
        assert!(matches!(unwrap(&kek, &longer), Err(CryptoError::KeyWrap)));
        Ok(())
    }

    #[test]
    fn unwrapping_a_blob_that_holds_a_shorter_key_is_refused() -> TestResult {
        // Wycheproof tcId 143: a valid KWP blob of a 16-byte key under an AES-256 KEK.
        let kek = key("fce0429c610658ef8e7cfb0154c51de2239a8a317f5af5b6714f985fb5c4d75c")?;
        let wrapped = hex("e3eab96d9a2fda12f9e252053aff15e753e5ea6f5172c92b")?;
        assert!(matches!(unwrap(&kek, &wrapped), Err(CryptoError::KeyWrap)));
        Ok(())
    }

    #[test]
    fn the_three_levels_wrap_and_unwrap_top_down() -> TestResult {
        let master = Key256::generate()?;
        let account = Key256::generate()?;
        let dek = Key256::generate()?;
        let stored_account = wrap(&master, &account)?;
        let stored_dek = wrap(&account, &dek)?;
        assert_eq!(stored_account.len(), WRAPPED_KEY_LEN);
        assert_eq!(stored_dek.len(), WRAPPED_KEY_LEN);

        let account_again = unwrap(&master, &stored_account)?;
        let dek_again = unwrap(&account_again, &stored_dek)?;
        assert_eq!(dek_again.expose(), dek.expose());
        // The master key cannot open a DEK directly: the levels do not mix.
        assert!(matches!(unwrap(&master, &stored_dek), Err(CryptoError::KeyWrap)));
        Ok(())
    }

    #[test]
    fn keys_round_trip_through_base64_and_never_print() -> TestResult {
        let k = Key256::generate()?;
        let text = k.to_base64();
        assert_eq!(text.len(), 44);
        assert_eq!(Key256::from_base64(&format!("{text}\n"))?.expose(), k.expose());
        assert_eq!(format!("{k:?}"), "Key256([redacted])");
        assert!(!format!("{k:?}").contains(&text));
        assert_ne!(Key256::generate()?.expose(), k.expose());
        Ok(())
    }

    #[test]
    fn malformed_base64_keys_are_refused_with_a_reason() {
        assert!(matches!(Key256::from_base64("not base64!"), Err(KeyError::Base64)));
        assert!(matches!(Key256::from_base64("AAAA"), Err(KeyError::Length(3))));
        let message = Key256::from_base64("AAAA").err().map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some("the key must be 32 bytes (44 base64 characters) but decodes to 3 bytes")
        );
    }
}
