//! Fuzz target: the envelope parser and opener must never panic, and nothing but
//! an intact envelope may open.
//!
//! The first input byte steers the run: its low bit picks the mode, the rest seeds
//! the chunk sizes fed to `Opener::push`.
//! - Mode 0 opens the remaining bytes as an envelope. The expected context is
//!   taken from the header when it parses, so the fuzzer gets past the context
//!   check into the segment code.
//! - Mode 1 seals the remaining bytes (16-byte segments, fixed key), flips one bit
//!   chosen by the seed, and checks the damaged envelope is refused and the intact
//!   one opens to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealpost_crypto::envelope::{self, Context, OpenError, Opener};
use sealpost_crypto::keys::Key256;

const FALLBACK: Context = Context { account_id: 1, message_id: [0; 16], part: 0 };

fuzz_target!(|data: &[u8]| {
    let Some((&steer, rest)) = data.split_first() else {
        return;
    };
    let dek = Key256::from_bytes([7; 32]);
    let mut rng = u64::from(steer) | 0x9e37_79b9_0000_0000;
    if steer & 1 == 0 {
        let expected = envelope::parse_header(rest).map_or(FALLBACK, |(info, _)| info.context);
        let chunked = open_chunked(&dek, &expected, rest, &mut rng);
        let whole = envelope::open(&dek, &expected, rest);
        assert_eq!(chunked.is_ok(), whole.is_ok());
        let _ = envelope::verify_stream(&dek, &expected, rest);
    } else {
        let Ok(sealed) = envelope::seal_with(&dek, &FALLBACK, rest, 16, [1; 16], [2; 7]) else {
            return;
        };
        let opened = open_chunked(&dek, &FALLBACK, &sealed, &mut rng);
        assert_eq!(opened.ok().as_deref(), Some(rest));
        let mut damaged = sealed.clone();
        let at = (next(&mut rng) % damaged.len() as u64) as usize;
        damaged[at] ^= 1 << (next(&mut rng) % 8);
        assert!(open_chunked(&dek, &FALLBACK, &damaged, &mut rng).is_err());
        assert!(envelope::open(&dek, &FALLBACK, &damaged).is_err());
        assert!(envelope::verify_stream(&dek, &FALLBACK, damaged.as_slice()).is_err());
    }
});

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn open_chunked(dek: &Key256, expected: &Context, data: &[u8], rng: &mut u64) -> Result<Vec<u8>, OpenError> {
    let (_, header_len) = envelope::parse_header(data)?;
    let (header, mut body) = data.split_at(header_len);
    let mut opener = Opener::new(dek, expected, header)?;
    let mut out = Vec::new();
    while !body.is_empty() {
        let n = ((next(rng) % 80) as usize).min(body.len());
        let (chunk, tail) = body.split_at(n);
        out.extend(opener.push(chunk)?);
        body = tail;
    }
    out.extend(opener.finish()?);
    Ok(out)
}
