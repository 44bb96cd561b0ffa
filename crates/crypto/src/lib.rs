//! Sealpost's cryptography, free of I/O.
//!
//! - [`password`]: argon2id hashing at the OWASP floor (m=19456 KiB, t=2, p=1),
//!   verification, and detection of hashes made with weaker parameters.
//! - [`token`]: random secrets (session ids, CSRF tokens, temporary passwords) and
//!   the hashes under which they are stored.

pub mod password;
pub mod token;

/// The operating system's random source failed; nothing secret can be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomError;
