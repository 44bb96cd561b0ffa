//! [`seal_stream`], [`open_stream`] and [`verify_stream`]: `Read` to `Write` in
//! bounded memory.

use std::io::{self, BufRead, Read, Write};

use zeroize::Zeroizing;

use crate::CryptoError;
use crate::keys::Key256;

use super::{
    Context, DEFAULT_SEGMENT_LEN, HEADER_LEN, OpenError, Opener, StreamKey, TAG_LEN, build_header, check_segment_len,
    grow_within, random_parameters,
};

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
