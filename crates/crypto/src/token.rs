//! Random secrets and the hashes they are stored under.
//!
//! A session id is 256 random bits, sent to the browser in a cookie and stored only
//! as its SHA-256: a stolen database does not yield live sessions. SHA-256 without a
//! salt is right here because the input is uniformly random and long.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::RandomError;

/// `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> Result<String, RandomError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|_| RandomError)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The stored form of a token: hex SHA-256 with a prefix naming the scheme, so a
/// future change of scheme can tell old rows apart.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A uniformly random number in `low..=high` (for account numbers).
pub fn random_in(low: u64, high: u64) -> Result<u64, RandomError> {
    let span = high.saturating_sub(low).saturating_add(1);
    let limit = u64::MAX - u64::MAX % span;
    loop {
        let mut buf = [0u8; 8];
        getrandom::fill(&mut buf).map_err(|_| RandomError)?;
        let value = u64::from_le_bytes(buf);
        if value < limit {
            return Ok(low + value % span);
        }
    }
}

/// A temporary password a person can read aloud and type: four groups of four
/// characters from an alphabet without look-alikes (no 0/O, 1/l/I), about 80 bits.
pub fn temporary_password() -> Result<String, RandomError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(19);
    let mut buf = [0u8; 64];
    getrandom::fill(&mut buf).map_err(|_| RandomError)?;
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut chosen = 0;
    for byte in buf {
        if usize::from(byte) >= limit {
            continue;
        }
        if chosen > 0 && chosen % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]));
        chosen += 1;
        if chosen == 16 {
            return Ok(out);
        }
    }
    // 64 bytes with a rejection rate under 11 % fall short with negligible odds; try again.
    temporary_password()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() -> Result<(), RandomError> {
        let a = random_token(32)?;
        let b = random_token(32)?;
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert!(hash_token(&a).starts_with("sha256:"));
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        Ok(())
    }

    #[test]
    fn temporary_passwords_are_readable() -> Result<(), RandomError> {
        let p = temporary_password()?;
        assert_eq!(p.len(), 19, "{p}");
        assert_eq!(p.matches('-').count(), 3);
        assert!(!p.contains(['0', 'O', '1', 'l', 'I']));
        Ok(())
    }
}
