//! Password hashes: argon2id in PHC string format.
//!
//! Hashing costs about 20 ms in a release build on this project's reference machine;
//! callers on an async runtime run it on a blocking thread.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::RandomError;

/// Memory cost in KiB (OWASP / ASVS minimum for argon2id).
pub const MEMORY_KIB: u32 = 19_456;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// Hashing failed for a reason that is not the caller's input.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("argon2 failed: {0}")]
    Argon2(String),
}

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).map_err(|e| HashError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh 16-byte salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| RandomError)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError::Argon2(e.to_string()))?;
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Argon2(e.to_string()))
}

/// What checking a password against a stored hash found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Wrong password, or a hash we cannot read.
    Mismatch,
    /// Right password, hash at today's parameters.
    Match,
    /// Right password, but the hash is weaker than today's parameters: store a new one.
    MatchNeedsRehash,
}

/// Checks `password` against a stored PHC string. Verification uses the parameters in
/// the string, so old hashes keep working while [`Verification::MatchNeedsRehash`]
/// tells the caller to upgrade them.
pub fn verify(password: &str, stored: &str) -> Verification {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verification::Mismatch;
    };
    if Argon2::default().verify_password(password.as_bytes(), &parsed).is_err() {
        return Verification::Mismatch;
    }
    let weaker = parsed.algorithm.as_str() != "argon2id"
        || Params::try_from(&parsed)
            .map(|p| p.m_cost() < MEMORY_KIB || p.t_cost() < ITERATIONS)
            .unwrap_or(true);
    if weaker {
        Verification::MatchNeedsRehash
    } else {
        Verification::Match
    }
}

/// A hash of a random password, verified against when a login names an unknown user
/// so that unknown and known users take the same time to refuse.
pub fn dummy_hash() -> Result<String, HashError> {
    hash("sealpost dummy password for constant-shape refusals")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_matches_and_wrong_one_does_not() -> Result<(), HashError> {
        let stored = hash("correct horse battery")?;
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert_eq!(verify("correct horse battery", &stored), Verification::Match);
        assert_eq!(verify("correct horse battery!", &stored), Verification::Mismatch);
        assert_eq!(verify("anything", "not a hash"), Verification::Mismatch);
        Ok(())
    }

    #[test]
    fn weaker_hashes_ask_to_be_upgraded() -> Result<(), Box<dyn std::error::Error>> {
        let params = Params::new(4096, 1, 1, None).map_err(|e| e.to_string())?;
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(
                b"old password here",
                &SaltString::encode_b64(b"0123456789abcdef").map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?
            .to_string();
        assert_eq!(verify("old password here", &weak), Verification::MatchNeedsRehash);
        Ok(())
    }
}
