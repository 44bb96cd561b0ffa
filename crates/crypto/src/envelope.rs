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

use std::io::{self, BufRead, Read, Write};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use zeroize::{Zeroize as _, Zeroizing};

use crate::keys::Key256;
use crate::{CryptoError, RandomError};

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

/// Seals a payload pushed in chunks of any size, for a caller that receives it
/// piece by piece (a multipart upload) and stores it as it goes.
///
/// Holds at most one segment of plaintext: a full segment is kept until more input
/// shows that it is not the last one. Errors (which need a payload of more than
/// 2^32 segments, or a failing primitive) are reported by [`Sealer::finish`], so
/// `push` can stay infallible; nothing that `push` returned is then usable.
pub struct Sealer {
    key: StreamKey,
    segment_len: usize,
    counter: u32,
    pending: Zeroizing<Vec<u8>>,
    failure: Option<CryptoError>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("segment_len", &self.segment_len)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// Starts sealing under `dek` for `ctx` with a random salt and nonce prefix and
    /// [`DEFAULT_SEGMENT_LEN`]. Returns the header, which must be stored first.
    pub fn new(dek: &Key256, ctx: &Context) -> Result<(Self, Vec<u8>), CryptoError> {
        Self::with_segment_len(dek, ctx, DEFAULT_SEGMENT_LEN)
    }

    /// Like [`Sealer::new`] with another segment length (`1..=16 MiB`), for tuning
    /// and tests; readers learn the length from the header.
    pub fn with_segment_len(dek: &Key256, ctx: &Context, segment_len: u32) -> Result<(Self, Vec<u8>), CryptoError> {
        let (salt, prefix) = random_parameters()?;
        Self::with_parameters(dek, ctx, segment_len, salt, prefix)
    }

    /// Deterministic sealing for test vectors only: a repeated salt and prefix
    /// under the same DEK repeats nonces and breaks confidentiality.
    #[doc(hidden)]
    pub fn with_parameters(
        dek: &Key256,
        ctx: &Context,
        segment_len: u32,
        salt: [u8; SALT_LEN],
        nonce_prefix: [u8; PREFIX_LEN],
    ) -> Result<(Self, Vec<u8>), CryptoError> {
        let seg = check_segment_len(segment_len)?;
        let header = build_header(ctx, segment_len, &salt, &nonce_prefix);
        let key = StreamKey::derive(dek, header).map_err(|_| CryptoError::Primitive("HKDF-SHA256"))?;
        let sealer = Self {
            key,
            segment_len: seg,
            counter: 0,
            pending: Zeroizing::new(Vec::with_capacity(seg)),
            failure: None,
        };
        Ok((sealer, header.to_vec()))
    }

    /// Takes the next chunk of plaintext and returns the ciphertext segments it
    /// completed (possibly none), to be appended after the header and earlier
    /// output.
    pub fn push(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.push_into(plaintext, &mut out);
        out
    }

    /// [`Sealer::push`] appending to the caller's buffer.
    pub fn push_into(&mut self, mut plaintext: &[u8], out: &mut Vec<u8>) {
        if self.failure.is_some() {
            return;
        }
        let room = self.segment_len - self.pending.len();
        let (head, rest) = plaintext.split_at(room.min(plaintext.len()));
        self.pending.extend_from_slice(head);
        plaintext = rest;
        if plaintext.is_empty() {
            return;
        }
        // The pending segment is full and more follows: it is not the last.
        out.reserve(plaintext.len() + self.pending.len() + (plaintext.len() / self.segment_len + 1) * TAG_LEN);
        let result = self.seal_middle(None, out).and_then(|()| {
            while plaintext.len() > self.segment_len {
                let (segment, rest) = plaintext.split_at(self.segment_len);
                self.seal_middle(Some(segment), out)?;
                plaintext = rest;
            }
            Ok(())
        });
        match result {
            Ok(()) => {
                self.pending.clear();
                self.pending.extend_from_slice(plaintext);
            }
            Err(e) => self.failure = Some(e),
        }
    }

    /// Seals `segment` (or the pending buffer) as a non-last segment.
    fn seal_middle(&mut self, segment: Option<&[u8]>, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        if self.counter == u32::MAX {
            return Err(CryptoError::TooLong);
        }
        self.key
            .seal_into(self.counter, false, segment.unwrap_or(&self.pending), out)?;
        self.counter += 1;
        Ok(())
    }

    /// Seals what is left as the last segment and returns it; an empty payload is
    /// one empty last segment. Reports any error met by [`Sealer::push`].
    pub fn finish(mut self) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(self.pending.len() + TAG_LEN);
        self.finish_into(&mut out)?;
        Ok(out)
    }

    fn finish_into(&mut self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        if let Some(e) = self.failure.take() {
            return Err(e);
        }
        self.key.seal_into(self.counter, true, &self.pending, out)
    }
}

/// Opens a payload pushed in chunks of any size, releasing plaintext only of
/// segments that have been authenticated.
///
/// A full-size segment is held back until more input shows that it is not the
/// last one, so `push` never releases the final segment; [`Opener::finish`] does,
/// and only it can tell that the payload is complete. Plaintext released by `push`
/// is authentic but may be a prefix of a truncated or tampered payload: a caller
/// that must not act on partial data uses [`open`] or [`verify_stream`] first.
/// After an error every further call returns the same error.
pub struct Opener {
    key: StreamKey,
    segment_len: usize,
    counter: u32,
    pending: Vec<u8>,
    failure: Option<OpenError>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("segment_len", &self.segment_len)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Opener {
    /// Starts opening a payload whose `header` (exactly [`HEADER_LEN`] bytes, see
    /// [`parse_header`]) has been read. Refuses a header that is malformed, of an
    /// unknown version, or that names another context than `expected`.
    pub fn new(dek: &Key256, expected: &Context, header: &[u8]) -> Result<Self, OpenError> {
        let (info, len) = parse_header(header)?;
        if header.len() != len {
            return Err(OpenError::Malformed);
        }
        if info.context != *expected {
            return Err(OpenError::WrongContext);
        }
        let header: [u8; HEADER_LEN] = field(header, 0);
        // HKDF cannot fail for a 32-byte output; a header that made it fail would be
        // unusable anyway.
        let key = StreamKey::derive(dek, header).map_err(|_| OpenError::Malformed)?;
        let segment_len = usize::try_from(info.segment_len).map_err(|_| OpenError::Malformed)?;
        Ok(Self {
            key,
            segment_len,
            counter: 0,
            // Grows with the data pushed, up to one segment: a forged header cannot
            // make the opener allocate more than it is sent.
            pending: Vec::new(),
            failure: None,
        })
    }

    /// Takes the next chunk of the sealed data (after the header) and returns the
    /// plaintext of the segments it completed and authenticated.
    pub fn push(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, OpenError> {
        let mut out = Vec::new();
        self.push_into(ciphertext, &mut out)?;
        Ok(out)
    }

    /// [`Opener::push`] appending to the caller's buffer; on error nothing is
    /// appended by this call.
    pub fn push_into(&mut self, ciphertext: &[u8], out: &mut Vec<u8>) -> Result<(), OpenError> {
        if let Some(e) = &self.failure {
            return Err(e.replay());
        }
        let start = out.len();
        let result = self.push_segments(ciphertext, out);
        if let Err(e) = &result {
            if let Some(released) = out.get_mut(start..) {
                released.zeroize();
            }
            out.truncate(start);
            self.failure = Some(e.replay());
        }
        result
    }

    fn push_segments(&mut self, mut ciphertext: &[u8], out: &mut Vec<u8>) -> Result<(), OpenError> {
        let full = self.segment_len + TAG_LEN;
        // Room for every segment this call releases, in one allocation, so that no
        // reallocation leaves copies of plaintext behind.
        let available = self.pending.len() + ciphertext.len();
        if available > full {
            out.reserve((available - 1) / full * self.segment_len);
        }
        if !self.pending.is_empty() {
            let room = full - self.pending.len();
            let (head, rest) = ciphertext.split_at(room.min(ciphertext.len()));
            grow_within(&mut self.pending, head.len(), full);
            self.pending.extend_from_slice(head);
            ciphertext = rest;
            if ciphertext.is_empty() {
                return Ok(());
            }
            // The pending segment is full and more follows: it is not the last.
            let (key, counter, pending) = (&self.key, self.counter, &self.pending);
            append_with(out, self.segment_len, |dst| key.open_middle(counter, pending, dst))?;
            self.pending.clear();
            self.counter = self.counter.checked_add(1).ok_or(OpenError::Tampered)?;
        }
        while ciphertext.len() > full {
            let (segment, rest) = ciphertext.split_at(full);
            let (key, counter) = (&self.key, self.counter);
            append_with(out, self.segment_len, |dst| key.open_middle(counter, segment, dst))?;
            self.counter = self.counter.checked_add(1).ok_or(OpenError::Tampered)?;
            ciphertext = rest;
        }
        grow_within(&mut self.pending, ciphertext.len(), full);
        self.pending.extend_from_slice(ciphertext);
        Ok(())
    }

    /// Opens the last segment and returns its plaintext. Fails with
    /// [`OpenError::Truncated`] if the data ended before a last segment.
    pub fn finish(mut self) -> Result<Vec<u8>, OpenError> {
        let mut out = Vec::new();
        self.finish_into(&mut out)?;
        Ok(out)
    }

    fn finish_into(&mut self, out: &mut Vec<u8>) -> Result<(), OpenError> {
        if let Some(e) = self.failure.take() {
            return Err(e);
        }
        let (key, counter, pending, seg) = (&self.key, self.counter, &self.pending, self.segment_len);
        append_with(out, pending.len().saturating_sub(TAG_LEN), |dst| {
            key.open_final(counter, pending, seg, dst)
        })
    }
}

/// Seals a whole payload held in memory: header and all segments.
pub fn seal(dek: &Key256, ctx: &Context, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (sealer, header) = Sealer::new(dek, ctx)?;
    seal_all(sealer, header, plaintext)
}

/// [`seal`] with a fixed segment length, salt and nonce prefix, to produce the
/// published test vectors. Never use it for real data: a repeated salt and prefix
/// under one DEK repeats nonces.
#[doc(hidden)]
pub fn seal_with(
    dek: &Key256,
    ctx: &Context,
    plaintext: &[u8],
    segment_len: u32,
    salt: [u8; SALT_LEN],
    nonce_prefix: [u8; PREFIX_LEN],
) -> Result<Vec<u8>, CryptoError> {
    let (sealer, header) = Sealer::with_parameters(dek, ctx, segment_len, salt, nonce_prefix)?;
    seal_all(sealer, header, plaintext)
}

fn seal_all(sealer: Sealer, header: Vec<u8>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (key, seg) = (&sealer.key, sealer.segment_len);
    let total = sealed_len(
        plaintext.len() as u64,
        u32::try_from(seg).unwrap_or(DEFAULT_SEGMENT_LEN),
    );
    // Zeroed up front (a large buffer arrives as fresh zero pages, with no extra
    // pass), then every segment is sealed straight into its place.
    let mut out = vec![0u8; usize::try_from(total).map_err(|_| CryptoError::TooLong)?];
    let (head, body) = out.split_at_mut(header.len().min(HEADER_LEN));
    head.copy_from_slice(header.get(..head.len()).unwrap_or_default());
    let segments = plaintext.len().div_ceil(seg).max(1);
    for (i, dst) in body.chunks_mut(seg + TAG_LEN).enumerate() {
        let counter = u32::try_from(i).map_err(|_| CryptoError::TooLong)?;
        let piece = plaintext.get(i * seg..).unwrap_or_default();
        key.seal_to(counter, i + 1 == segments, piece.get(..seg).unwrap_or(piece), dst)?;
    }
    Ok(out)
}

/// Opens a whole sealed payload held in memory. All or nothing: on any error no
/// plaintext is returned.
pub fn open(dek: &Key256, expected: &Context, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    let (_, header_len) = parse_header(sealed)?;
    let (header, body) = sealed.split_at(header_len);
    let opener = Opener::new(dek, expected, header)?;
    let (key, seg) = (&opener.key, opener.segment_len);
    // Every segment opens straight into its place in one zeroed buffer.
    let mut out = Zeroizing::new(vec![0u8; body.len()]);
    let mut segments = body.chunks(seg + TAG_LEN).enumerate().peekable();
    let mut len = 0;
    if segments.peek().is_none() {
        return Err(OpenError::Truncated);
    }
    while let Some((i, segment)) = segments.next() {
        let counter = u32::try_from(i).map_err(|_| OpenError::Tampered)?;
        let dst = out.get_mut(len..).unwrap_or_default();
        len += if segments.peek().is_some() {
            key.open_middle(counter, segment, dst)?
        } else {
            key.open_final(counter, segment, seg, dst)?
        };
    }
    out.truncate(len);
    Ok(std::mem::take(&mut *out))
}

/// Seals everything `reader` yields into `writer` (header first) in memory of
/// about two segments, and returns the plaintext length. The writer receives only
/// ciphertext.
///
/// The reader is a [`BufRead`] so that data it already holds is not copied again:
/// a full segment with more data behind it is sealed straight out of the reader's
/// buffer (a byte slice, or a `BufReader` with room for more than one segment).
/// Shorter reads are gathered into a segment first.
pub fn seal_stream<R: BufRead, W: Write>(
    dek: &Key256,
    ctx: &Context,
    reader: R,
    writer: W,
) -> Result<u64, CryptoError> {
    seal_stream_with_segment_len(dek, ctx, DEFAULT_SEGMENT_LEN, reader, writer)
}

/// [`seal_stream`] with another segment length, for the benchmark's trade-off
/// table.
#[doc(hidden)]
pub fn seal_stream_with_segment_len<R: BufRead, W: Write>(
    dek: &Key256,
    ctx: &Context,
    segment_len: u32,
    mut reader: R,
    mut writer: W,
) -> Result<u64, CryptoError> {
    let seg = check_segment_len(segment_len)?;
    let (salt, prefix) = random_parameters()?;
    let header = build_header(ctx, segment_len, &salt, &prefix);
    let key = StreamKey::derive(dek, header).map_err(|_| CryptoError::Primitive("HKDF-SHA256"))?;
    writer.write_all(&header)?;

    // A segment gathered from short reads, and the sealed form of each segment
    // on its way to the writer; both allocated once.
    let mut gathered = Zeroizing::new(Vec::with_capacity(seg));
    let mut sealed = vec![0u8; seg + TAG_LEN];
    let mut counter = 0u32;
    let mut total = 0u64;
    loop {
        let available = fill_buf(&mut reader)?;
        let (plaintext, consumed) = if available.is_empty() {
            // The end: what was gathered, possibly nothing, is the last segment.
            let n = key.seal_to(counter, true, &gathered, &mut sealed)?;
            writer.write_all(sealed.get(..n).unwrap_or_default())?;
            total += gathered.len() as u64;
            break;
        } else if gathered.len() == seg {
            (gathered.as_slice(), 0)
        } else if gathered.is_empty() && available.len() > seg {
            (available.get(..seg).unwrap_or_default(), seg)
        } else {
            let take = (seg - gathered.len()).min(available.len());
            gathered.extend_from_slice(available.get(..take).unwrap_or_default());
            reader.consume(take);
            continue;
        };
        // A full segment with more data behind it: not the last.
        if counter == u32::MAX {
            return Err(CryptoError::TooLong);
        }
        let n = key.seal_to(counter, false, plaintext, &mut sealed)?;
        reader.consume(consumed);
        if consumed == 0 {
            gathered.clear();
        }
        writer.write_all(sealed.get(..n).unwrap_or_default())?;
        total += seg as u64;
        counter += 1;
    }
    writer.flush()?;
    Ok(total)
}

/// Opens a sealed stream from `reader` into `writer` in memory of about two
/// segments, and returns the plaintext length. Like [`seal_stream`], it opens full
/// segments straight out of the reader's buffer when the reader holds them.
///
/// Each segment's plaintext is written once it is authenticated, so if the stream
/// turns out to be truncated or tampered, `writer` has already received a prefix.
/// When that must not happen (a recipient downloading a stored blob), run
/// [`verify_stream`] over the blob first.
pub fn open_stream<R: BufRead, W: Write>(
    dek: &Key256,
    expected: &Context,
    mut reader: R,
    mut writer: W,
) -> Result<u64, OpenError> {
    let mut header = [0u8; HEADER_LEN];
    let header_read = read_full(&mut reader, &mut header)?;
    let opener = Opener::new(dek, expected, header.get(..header_read).unwrap_or_default())?;
    let (key, seg) = (opener.key, opener.segment_len);
    let full = seg + TAG_LEN;

    // Both buffers grow with the data actually read, so a forged header that
    // claims 16 MiB segments costs no more memory than the bytes sent.
    let mut gathered = Vec::new();
    let mut plain = Zeroizing::new(Vec::new());
    let mut counter = 0u32;
    let mut total = 0u64;
    loop {
        let available = fill_buf(&mut reader)?;
        let (segment, consumed) = if available.is_empty() {
            // The end: what was gathered must be the last segment.
            grow_zeroed(&mut plain, gathered.len().saturating_sub(TAG_LEN));
            let len = key.open_final(counter, &gathered, seg, &mut plain)?;
            writer.write_all(plain.get(..len).unwrap_or_default())?;
            total += len as u64;
            break;
        } else if gathered.len() == full {
            (gathered.as_slice(), 0)
        } else if gathered.is_empty() && available.len() > full {
            (available.get(..full).unwrap_or_default(), full)
        } else {
            let take = (full - gathered.len()).min(available.len());
            grow_within(&mut gathered, take, full);
            gathered.extend_from_slice(available.get(..take).unwrap_or_default());
            reader.consume(take);
            continue;
        };
        // A full segment with more data behind it: it must not be the last.
        grow_zeroed(&mut plain, seg);
        let len = key.open_middle(counter, segment, &mut plain)?;
        reader.consume(consumed);
        if consumed == 0 {
            gathered.clear();
        }
        writer.write_all(plain.get(..len).unwrap_or_default())?;
        total += len as u64;
        counter = counter.checked_add(1).ok_or(OpenError::Tampered)?;
    }
    writer.flush()?;
    Ok(total)
}

/// Authenticates a whole sealed stream without keeping its plaintext, and returns
/// the plaintext length. Run it over a stored blob before streaming it to a
/// recipient with [`open_stream`], so that a tampered blob is refused before any
/// of it is sent.
pub fn verify_stream<R: BufRead>(dek: &Key256, expected: &Context, reader: R) -> Result<u64, OpenError> {
    open_stream(dek, expected, reader, io::sink())
}

/// What `reader` holds next, reading more if it holds nothing; empty at the end.
/// Retries interrupted reads.
fn fill_buf<R: BufRead>(reader: &mut R) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Ok([]) => return Ok(&[]),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The reader holds data now, so this returns it without reading again.
    reader.fill_buf()
}

/// Lengthens `buf` (zero-filled) to at least `len` bytes; never shortens it.
fn grow_zeroed(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0);
    }
}

/// Fills `buf` from `reader` unless the input ends first; returns the bytes read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests;
