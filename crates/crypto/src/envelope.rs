//! The sealed-payload ("envelope") format: AES-256-GCM in fixed-size segments.
//!
//! A message's content, each attachment and its subject summary are sealed
//! separately under the message's data key (DEK, see [`crate::keys`]). The format
//! is the STREAM construction of Tink's AES-GCM-HKDF streaming AEAD and of age:
//!
//! ```text
//! header (60 bytes) ‖ segment 0 ‖ segment 1 ‖ … ‖ last segment
//! segment i = AES-256-GCM(key, nonce = prefix ‖ i ‖ last?, aad = header, plaintext i) ‖ tag
//! ```
//!
//! - Every segment but the last carries exactly `segment_len` plaintext bytes; the
//!   last carries `0..=segment_len`, so memory stays at about two segments however
//!   large the payload, and a reader can verify and release data segment by segment.
//! - The counter in the nonce detects reordered or dropped segments; the
//!   last-segment flag detects truncation at a segment boundary; the header, with
//!   the account id, message id and part, is the associated data of every segment,
//!   so a payload moved to another message, account or part does not open.
//! - The per-payload key is HKDF-SHA256 of the DEK with a random salt, so one DEK
//!   can seal several parts without ever repeating a (key, nonce) pair.
//!
//! The exact byte layout, the reasoning and test vectors are in
//! `docs/ENVELOPE-FORMAT.md`; the test `published_test_vectors_are_reproduced` keeps
//! the two in step.
//!
//! Three ways in, from simplest to most flexible:
//! - [`seal`] / [`open`]: whole payloads in memory; `open` is all-or-nothing.
//! - [`seal_stream`] / [`verify_stream`] / [`open_stream`]: `Read` to `Write` in
//!   bounded memory. `open_stream` writes verified segments as it goes, so a
//!   tampered blob yields a prefix of its plaintext before the error: call
//!   [`verify_stream`] on a stored blob first when the reader must never see a
//!   partial payload.
//! - [`Sealer`] / [`Opener`]: push-based, for async callers that feed chunks of a
//!   multipart upload or of a blob download.
//!
//! Layout: this file holds the format itself (constants, header, per-payload key,
//! one segment sealed or opened); the three ways in live in `whole`, `stream`
//! and `push`.

use std::io;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use zeroize::Zeroize as _;

use crate::keys::Key256;
use crate::{CryptoError, RandomError};

mod push;
mod stream;
mod whole;

pub use self::push::{Opener, Sealer};
pub use self::stream::{open_stream, seal_stream, seal_stream_with_segment_len, verify_stream};
pub use self::whole::{open, seal, seal_with};

/// The first bytes of every envelope, so that a blob can be recognised and a
/// stray file refused early.
pub const MAGIC: [u8; 4] = *b"SPE1";

/// The format version this code writes and reads.
pub const VERSION: u8 = 1;

/// Length of a version-1 header; read this many bytes before calling
/// [`Opener::new`] (or let [`parse_header`] say so).
pub const HEADER_LEN: usize = 60;

/// The AES-GCM tag that ends every segment.
pub const TAG_LEN: usize = 16;

/// Plaintext bytes per segment unless told otherwise. 16 KiB keeps the sealed
/// segment a streaming writer fills inside the L1 cache, which the `envelope`
/// benchmark found the fastest for sealing (64 KiB and more spill into L2 and lose
/// about a tenth); the cost is a 16-byte tag per segment (0.1 %) and a GCM set-up,
/// which measured as nothing. Readers take the length from each header, so
/// envelopes written with another length still open.
pub const DEFAULT_SEGMENT_LEN: u32 = 16 * 1024;

/// The largest segment length a reader accepts: a forged header must not make an
/// [`Opener`] allocate more than this.
pub const MAX_SEGMENT_LEN: u32 = 16 * 1024 * 1024;

const SALT_LEN: usize = 16;
const PREFIX_LEN: usize = 7;
const INFO_LABEL: &[u8] = b"sealpost envelope v1";

// Header layout; see docs/ENVELOPE-FORMAT.md.
const AT_VERSION: usize = 4;
const AT_SEGMENT_LEN: usize = 5;
const AT_SALT: usize = 9;
const AT_PREFIX: usize = AT_SALT + SALT_LEN;
const AT_ACCOUNT: usize = AT_PREFIX + PREFIX_LEN;
const AT_MESSAGE: usize = AT_ACCOUNT + 8;
const AT_PART: usize = AT_MESSAGE + 16;
const _: () = assert!(AT_PART + 4 == HEADER_LEN);

/// What a payload belongs to. It is written into the header and authenticated
/// with every segment, so a payload copied to another message, account or part
/// fails to open with [`OpenError::WrongContext`] or [`OpenError::Tampered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Context {
    /// The account whose key wraps the data key: a blob moved between tenants
    /// must not open.
    pub account_id: i64,
    /// The message's random public id (not its database row id, which a restore
    /// or migration may change).
    pub message_id: [u8; 16],
    /// Which part of the message: [`Context::CONTENT`], attachments from 1, or
    /// [`Context::SUBJECT_SUMMARY`]; parts share one data key and must not be
    /// swappable.
    pub part: u32,
}

impl Context {
    /// The `part` of the message body.
    pub const CONTENT: u32 = 0;
    /// The `part` of the sealed subject summary.
    pub const SUBJECT_SUMMARY: u32 = u32::MAX;
}

/// What a header says, for a caller that wants to look before opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The format version (always [`VERSION`] for a header that parsed).
    pub version: u8,
    /// Plaintext bytes per segment; ciphertext segments are [`TAG_LEN`] longer.
    pub segment_len: u32,
    /// The message, account and part the payload claims to belong to.
    /// Unauthenticated until the first segment opens.
    pub context: Context,
}

/// Why a sealed payload could not be opened. The messages are meant for a person:
/// the web layer may show them to a recipient.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No envelope magic, an absurd segment length, or a header of the wrong size.
    #[error("this is not a Sealpost envelope, or its header is damaged")]
    Malformed,
    /// A header from a newer (or unknown) format version.
    #[error("the envelope uses format version {0}, which this version of Sealpost cannot read")]
    UnsupportedVersion(u8),
    /// The header names another message, account or part than the one asked for.
    #[error("the envelope belongs to a different message, account or part")]
    WrongContext,
    /// A segment failed authentication: altered, reordered, spliced, or the data
    /// key is wrong.
    #[error("the envelope has been altered or damaged, or the key does not match it")]
    Tampered,
    /// The data ends before the last segment.
    #[error("the envelope is incomplete: its end is missing")]
    Truncated,
    /// More bytes follow a complete, authenticated last segment.
    #[error("the envelope is followed by unexpected extra data")]
    TrailingData,
    /// The reader or writer of a streaming function failed.
    #[error("reading the envelope or writing its content failed")]
    Io(#[from] io::Error),
}

impl OpenError {
    /// The same error again, for an [`Opener`] that is asked to continue after a
    /// failure.
    fn replay(&self) -> Self {
        match self {
            Self::Malformed => Self::Malformed,
            Self::UnsupportedVersion(v) => Self::UnsupportedVersion(*v),
            Self::WrongContext => Self::WrongContext,
            Self::Tampered => Self::Tampered,
            Self::Truncated => Self::Truncated,
            Self::TrailingData => Self::TrailingData,
            Self::Io(e) => Self::Io(io::Error::new(e.kind(), e.to_string())),
        }
    }
}

/// The length of the sealed form of `plaintext_len` bytes, so that a caller can
/// announce a blob's size (a quota check, a `Content-Length`) before sealing it.
pub fn sealed_len(plaintext_len: u64, segment_len: u32) -> u64 {
    let segments = plaintext_len.div_ceil(u64::from(segment_len.max(1))).max(1);
    HEADER_LEN as u64 + plaintext_len + segments * TAG_LEN as u64
}

/// Reads the header at the start of `bytes` (which may hold more) and returns what
/// it says and how many bytes it took. Checks magic, version and segment length;
/// the context is checked by [`Opener::new`], authenticity by the first segment.
pub fn parse_header(bytes: &[u8]) -> Result<(HeaderInfo, usize), OpenError> {
    let magic_len = bytes.len().min(MAGIC.len());
    if bytes.get(..magic_len) != MAGIC.get(..magic_len) {
        return Err(OpenError::Malformed);
    }
    let Some(&version) = bytes.get(AT_VERSION) else {
        return Err(OpenError::Truncated);
    };
    if version != VERSION {
        return Err(OpenError::UnsupportedVersion(version));
    }
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Err(OpenError::Truncated);
    };
    let segment_len = u32::from_be_bytes(field(header, AT_SEGMENT_LEN));
    if segment_len == 0 || segment_len > MAX_SEGMENT_LEN {
        return Err(OpenError::Malformed);
    }
    let context = Context {
        account_id: i64::from_be_bytes(field(header, AT_ACCOUNT)),
        message_id: field(header, AT_MESSAGE),
        part: u32::from_be_bytes(field(header, AT_PART)),
    };
    Ok((
        HeaderInfo {
            version,
            segment_len,
            context,
        },
        HEADER_LEN,
    ))
}

/// `N` bytes of `bytes` from `at`, zero-filled if `bytes` is shorter (never the
/// case for the constant offsets used on a full header).
fn field<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = bytes.get(at..at + N) {
        out.copy_from_slice(src);
    }
    out
}

fn build_header(ctx: &Context, segment_len: u32, salt: &[u8; SALT_LEN], prefix: &[u8; PREFIX_LEN]) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    let fields: [&[u8]; 8] = [
        &MAGIC,
        &[VERSION],
        &segment_len.to_be_bytes(),
        salt,
        prefix,
        &ctx.account_id.to_be_bytes(),
        &ctx.message_id,
        &ctx.part.to_be_bytes(),
    ];
    let mut at = 0;
    for f in fields {
        if let Some(dst) = header.get_mut(at..at + f.len()) {
            dst.copy_from_slice(f);
        }
        at += f.len();
    }
    header
}

/// The per-payload AEAD key and the header it authenticates; seals and opens one
/// segment at a time.
struct StreamKey {
    aead: LessSafeKey,
    header: [u8; HEADER_LEN],
}

impl StreamKey {
    /// HKDF-SHA256(ikm = DEK, salt = header salt, info = label ‖ header without the
    /// salt) → AES-256-GCM key.
    fn derive(dek: &Key256, header: [u8; HEADER_LEN]) -> Result<Self, Unspecified> {
        let salt = Salt::new(HKDF_SHA256, header.get(AT_SALT..AT_PREFIX).ok_or(Unspecified)?);
        let prk = salt.extract(dek.expose());
        let info = [
            INFO_LABEL,
            header.get(..AT_SALT).ok_or(Unspecified)?,
            header.get(AT_PREFIX..).ok_or(Unspecified)?,
        ];
        let okm = prk.expand(&info, &AES_256_GCM)?;
        Ok(Self {
            aead: LessSafeKey::new(UnboundKey::from(okm)),
            header,
        })
    }

    fn nonce(&self, counter: u32, last: bool) -> Nonce {
        let mut nonce = [0u8; NONCE_LEN];
        let prefix: [u8; PREFIX_LEN] = field(&self.header, AT_PREFIX);
        let (p, rest) = nonce.split_at_mut(PREFIX_LEN);
        p.copy_from_slice(&prefix);
        let (c, flag) = rest.split_at_mut(4);
        c.copy_from_slice(&counter.to_be_bytes());
        flag.fill(u8::from(last));
        Nonce::assume_unique_for_key(nonce)
    }

    fn aad(&self) -> Aad<&[u8]> {
        Aad::from(self.header.as_slice())
    }

    /// Seals `plaintext` into the start of `out` as ciphertext ‖ tag, in one pass
    /// (the plaintext is read where it lies, never copied first), and returns the
    /// sealed length.
    fn seal_to(&self, counter: u32, last: bool, plaintext: &[u8], out: &mut [u8]) -> Result<usize, CryptoError> {
        let sealed = plaintext.len() + TAG_LEN;
        let failed = |_| CryptoError::Primitive("AES-GCM");
        let (ciphertext, tag) = out
            .get_mut(..sealed)
            .ok_or(Unspecified)
            .map_err(failed)?
            .split_at_mut(plaintext.len());
        self.aead
            .seal_out_of_place_scatter(self.nonce(counter, last), self.aad(), plaintext, ciphertext, &[], tag)
            .map_err(failed)?;
        Ok(sealed)
    }

    /// Appends the sealed segment (ciphertext ‖ tag) to `out`.
    fn seal_into(&self, counter: u32, last: bool, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), CryptoError> {
        let start = out.len();
        out.resize(start + plaintext.len() + TAG_LEN, 0);
        let result = self.seal_to(counter, last, plaintext, out.get_mut(start..).unwrap_or_default());
        if result.is_err() {
            out.truncate(start);
        }
        result.map(drop)
    }

    /// Authenticates `segment` (ciphertext ‖ tag) and decrypts it into the start of
    /// `out`, returning the plaintext length. On failure `out` is zeroed.
    fn open_to(&self, counter: u32, last: bool, segment: &[u8], out: &mut [u8]) -> Result<usize, Unspecified> {
        let len = segment.len().checked_sub(TAG_LEN).ok_or(Unspecified)?;
        let (ciphertext, tag) = segment.split_at(len);
        let dst = out.get_mut(..len).ok_or(Unspecified)?;
        let result = self
            .aead
            .open_separate_gather(self.nonce(counter, last), self.aad(), ciphertext, tag, dst);
        if result.is_err() {
            dst.zeroize();
        }
        result.map(|()| len)
    }

    /// Opens a full-size segment that more data follows, so it must not be the
    /// last. If it is a valid last segment after all, the extra data is reported.
    fn open_middle(&self, counter: u32, segment: &[u8], out: &mut [u8]) -> Result<usize, OpenError> {
        // A non-last segment at counter u32::MAX would leave no counter for the last.
        if counter < u32::MAX
            && let Ok(len) = self.open_to(counter, false, segment, out)
        {
            return Ok(len);
        }
        if self.open_to(counter, true, segment, out).is_ok() {
            out.zeroize();
            return Err(OpenError::TrailingData);
        }
        Err(OpenError::Tampered)
    }

    /// Opens the bytes that end the input, which must be the last segment. If they
    /// are a valid non-last segment instead, the stream was cut at a boundary.
    fn open_final(&self, counter: u32, segment: &[u8], segment_len: usize, out: &mut [u8]) -> Result<usize, OpenError> {
        if segment.len() < TAG_LEN {
            return Err(OpenError::Truncated);
        }
        if let Ok(len) = self.open_to(counter, true, segment, out) {
            return Ok(len);
        }
        if segment.len() == segment_len + TAG_LEN
            && counter < u32::MAX
            && self.open_to(counter, false, segment, out).is_ok()
        {
            out.zeroize();
            return Err(OpenError::Truncated);
        }
        Err(OpenError::Tampered)
    }
}

/// Appends room for `len` bytes to `out`, runs `f` on it and keeps what `f` says it
/// wrote, or removes the room again (zeroed) if `f` fails.
fn append_with<E>(out: &mut Vec<u8>, len: usize, f: impl FnOnce(&mut [u8]) -> Result<usize, E>) -> Result<(), E> {
    let start = out.len();
    out.resize(start + len, 0);
    let result = match out.get_mut(start..) {
        Some(dst) => f(dst),
        None => Ok(0),
    };
    match result {
        Ok(written) => {
            out.truncate(start + written);
            Ok(())
        }
        Err(e) => {
            if let Some(dst) = out.get_mut(start..) {
                dst.zeroize();
            }
            out.truncate(start);
            Err(e)
        }
    }
}

/// Makes room for `extra` more bytes in `buf`, growing geometrically but never
/// past `limit` (the caller never needs more than `limit`).
fn grow_within(buf: &mut Vec<u8>, extra: usize, limit: usize) {
    let needed = buf.len() + extra;
    if needed > buf.capacity() {
        let target = (buf.capacity() * 2).min(limit).max(needed);
        buf.reserve_exact(target - buf.len());
    }
}

fn check_segment_len(segment_len: u32) -> Result<usize, CryptoError> {
    if segment_len == 0 || segment_len > MAX_SEGMENT_LEN {
        return Err(CryptoError::SegmentLength(segment_len));
    }
    usize::try_from(segment_len).map_err(|_| CryptoError::SegmentLength(segment_len))
}

fn random_parameters() -> Result<([u8; SALT_LEN], [u8; PREFIX_LEN]), RandomError> {
    let mut salt = [0u8; SALT_LEN];
    let mut prefix = [0u8; PREFIX_LEN];
    getrandom::fill(&mut salt).map_err(|_| RandomError)?;
    getrandom::fill(&mut prefix).map_err(|_| RandomError)?;
    Ok((salt, prefix))
}

#[cfg(test)]
mod tests;
