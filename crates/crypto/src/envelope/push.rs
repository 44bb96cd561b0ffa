//! [`Sealer`] and [`Opener`]: the envelope pushed in chunks of any size, for async
//! callers that feed a multipart upload or a blob download piece by piece.

use zeroize::{Zeroize as _, Zeroizing};

use crate::CryptoError;
use crate::keys::Key256;

use super::{
    Context, DEFAULT_SEGMENT_LEN, HEADER_LEN, OpenError, PREFIX_LEN, SALT_LEN, StreamKey, TAG_LEN, append_with,
    build_header, check_segment_len, field, grow_within, parse_header, random_parameters,
};

/// Seals a payload pushed in chunks of any size, for a caller that receives it
/// piece by piece (a multipart upload) and stores it as it goes.
///
/// Holds at most one segment of plaintext: a full segment is kept until more input
/// shows that it is not the last one. Errors (which need a payload of more than
/// 2^32 segments, or a failing primitive) are reported by [`Sealer::finish`], so
/// `push` can stay infallible; nothing that `push` returned is then usable.
pub struct Sealer {
    pub(super) key: StreamKey,
    pub(super) segment_len: usize,
    counter: u32,
    pub(super) pending: Zeroizing<Vec<u8>>,
    failure: Option<CryptoError>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        progress(f, "Sealer", self.segment_len, self.counter)
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
    pub(super) key: StreamKey,
    pub(super) segment_len: usize,
    counter: u32,
    pub(super) pending: Vec<u8>,
    failure: Option<OpenError>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        progress(f, "Opener", self.segment_len, self.counter)
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

/// What `Debug` shows of a sealer or opener: how far it got, never key material.
fn progress(f: &mut std::fmt::Formatter<'_>, name: &str, segment_len: usize, counter: u32) -> std::fmt::Result {
    f.debug_struct(name)
        .field("segment_len", &segment_len)
        .field("counter", &counter)
        .finish_non_exhaustive()
}
