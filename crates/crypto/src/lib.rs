//! Sealpost's cryptography, free of I/O (streams come in as `std::io` traits).
//!
//! - [`password`]: argon2id hashing at the OWASP floor (m=19456 KiB, t=2, p=1),
//!   verification, and detection of hashes made with weaker parameters.
//! - [`token`]: random secrets (session ids, CSRF tokens, temporary passwords) and
//!   the hashes under which they are stored.
//! - [`keys`]: the key hierarchy — master key, account keys, per-message data
//!   keys — and AES-256 key wrap with padding (RFC 5649) between its levels.
//! - [`envelope`]: the sealed-payload format, AES-256-GCM in fixed-size segments
//!   (the STREAM construction), sealed and opened in bounded memory; the byte
//!   layout and test vectors are in `docs/ENVELOPE-FORMAT.md`.
//! - [`secret`]: per-recipient secrets of the No Password Required level (the
//!   data key wrapped under a key derived from each) and purpose keys derived
//!   from the master key.
//!
//! All symmetric primitives come from aws-lc-rs, the provider rustls uses here.

pub mod envelope;
pub mod keys;
pub mod password;
pub mod secret;
pub mod token;

/// The operating system's random source failed; nothing secret can be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomError;

/// Why sealing a payload or wrapping a key failed. Opening has its own error,
/// [`envelope::OpenError`], because its causes (tampering, truncation, the wrong
/// message) call for different reactions.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// No salt, nonce prefix or key could be drawn.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// A wrapped key did not unwrap to a 256-bit key.
    #[error("the stored key could not be unwrapped: the wrapping key is wrong, or the stored key is damaged")]
    KeyWrap,
    /// Reading the plaintext or writing the sealed stream failed.
    #[error("reading the plaintext or writing the sealed data failed")]
    Io(#[from] std::io::Error),
    /// A segment length outside `1..=16 MiB` was asked for.
    #[error("the segment length {0} is outside the supported range of 1 byte to 16 MiB")]
    SegmentLength(u32),
    /// The payload needs more than 2^32 segments (256 TiB with the default).
    #[error("the payload is too long for one envelope (more than 2^32 segments)")]
    TooLong,
    /// aws-lc refused an operation that cannot fail with valid arguments; a bug.
    #[error("the {0} primitive failed unexpectedly")]
    Primitive(&'static str),
}
