//! [`seal`] and [`open`]: whole payloads in memory; `open` is all-or-nothing.

use zeroize::Zeroizing;

use crate::CryptoError;
use crate::keys::Key256;

use super::{
    Context, DEFAULT_SEGMENT_LEN, HEADER_LEN, OpenError, Opener, PREFIX_LEN, SALT_LEN, Sealer, TAG_LEN, parse_header,
    sealed_len,
};

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
