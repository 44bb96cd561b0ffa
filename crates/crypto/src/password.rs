//! Password hashes: argon2id in PHC string format.
//!
//! Hashing costs about 20 ms in a release build on this project's reference machine;
//! callers on an async runtime run it on a blocking thread.
//!
//! Argon2's working memory (19 MiB at today's parameters) is kept between hashes
//! instead of being allocated and freed each time: freed, it stayed in whichever
//! allocator arena the hashing thread used, so a burst of logins left several
//! arenas holding 19 MiB each (141 MiB resident after 32 logins). A few buffers are
//! kept, one per core, which is as many as the service hashes at once.

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

fn failed(e: impl std::fmt::Display) -> HashError {
    HashError::Argon2(e.to_string())
}

/// Working memory of finished hashes, for the next ones.
static SPARE_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// How many buffers [`SPARE_MEMORY`] keeps: one per core.
static KEPT_BUFFERS: LazyLock<usize> = LazyLock::new(|| std::thread::available_parallelism().map_or(2, usize::from));

/// Runs `f` on `blocks` blocks of argon2 working memory, reusing a kept buffer
/// when there is one, and keeps the buffer afterwards if it is of today's size
/// and fewer than one per core are kept.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let spare = SPARE_MEMORY.lock().ok().and_then(|mut kept| kept.pop());
    let mut memory = spare.unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let result = f(memory.get_mut(..blocks).unwrap_or_default());
    if memory.len() <= MEMORY_KIB as usize
        && let Ok(mut kept) = SPARE_MEMORY.lock()
        && kept.len() < *KEPT_BUFFERS
    {
        kept.push(memory);
    }
    result
}

/// The `len`-byte argon2 output of `password` and `salt`, in kept working memory.
fn compute(argon2: &Argon2<'_>, password: &str, salt: &[u8], len: usize) -> argon2::password_hash::Result<Output> {
    Output::init_with(len, |out| {
        with_memory(argon2.params().block_count(), |memory| {
            argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
        })
        .map_err(argon2::password_hash::Error::from)
    })
}

/// Hashes a password with a fresh 16-byte salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| RandomError)?;
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).map_err(failed)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = compute(&argon2, password, &salt, Params::DEFAULT_OUTPUT_LEN).map_err(failed)?;
    let salt = SaltString::encode_b64(&salt).map_err(failed)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Recomputes the hash of `password` with everything `stored` says (algorithm,
/// version, parameters, salt, output length); `None` if `stored` cannot be read.
fn recompute(password: &str, stored: &PasswordHash<'_>) -> Option<Output> {
    let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
    let version = stored
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let params = Params::try_from(stored).ok()?;
    let expected = stored.hash?;
    let mut salt = [0u8; 64];
    let salt = stored.salt?.decode_b64(&mut salt).ok()?;
    compute(&Argon2::new(algorithm, version, params), password, salt, expected.len()).ok()
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
    // `Output`'s equality is constant-time.
    if parsed.hash.is_none() || recompute(password, &parsed) != parsed.hash {
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
    use argon2::password_hash::PasswordHasher as _;

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

    /// Hashes made here and by the argon2 crate's own `PasswordHasher` verify
    /// both ways, so stored hashes stay interchangeable with the standard encoder.
    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hasher_and_verifier() -> Result<(), Box<dyn std::error::Error>> {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let ours = hash("interchangeable password")?;
        let parsed = PasswordHash::new(&ours).map_err(|e| e.to_string())?;
        Argon2::default()
            .verify_password(b"interchangeable password", &parsed)
            .map_err(|e| e.to_string())?;
        assert!(
            Argon2::default()
                .verify_password(b"interchangeable passwore", &parsed)
                .is_err()
        );
        // What the argon2 crate itself writes is verified, with today's parameters
        // and with other argon2 variants and output lengths (read from the string).
        let cases = [
            (
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None),
                (
                    "interchangeable password",
                    "interchangeable passwore",
                    b"0123456789abcdef",
                ),
                Verification::Match,
            ),
            (
                Algorithm::Argon2i,
                Version::V0x10,
                Params::new(8192, 3, 2, Some(24)),
                ("legacy password", "legacy passwore", b"fedcba9876543210"),
                Verification::MatchNeedsRehash,
            ),
        ];
        for (algorithm, version, params, (password, wrong, salt), verdict) in cases {
            let salt = SaltString::encode_b64(salt).map_err(|e| e.to_string())?;
            let theirs = Argon2::new(algorithm, version, params.map_err(|e| e.to_string())?)
                .hash_password(password.as_bytes(), &salt)
                .map_err(|e| e.to_string())?
                .to_string();
            assert_eq!(verify(password, &theirs), verdict);
            assert_eq!(verify(wrong, &theirs), Verification::Mismatch);
        }
        Ok(())
    }

    /// However many hashes run at once, at most one buffer per core is kept
    /// afterwards, none larger than today's size.
    #[test]
    fn kept_working_memory_is_bounded_by_the_cores() -> Result<(), Box<dyn std::error::Error>> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let burst: Vec<_> = (0..cores + 3)
            .map(|_| std::thread::spawn(|| hash("any password at all").map(drop)))
            .collect();
        for thread in burst {
            thread.join().map_err(|_| "a hashing thread panicked")??;
        }
        let kept = SPARE_MEMORY.lock().map_err(|e| e.to_string())?;
        assert!(kept.len() <= cores, "{} buffers kept for {cores} cores", kept.len());
        // At most today's size each: another test's weaker hash may have left a
        // smaller buffer, which a later hash grows.
        assert!(kept.iter().all(|m| m.len() <= MEMORY_KIB as usize));
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
