//! Fuzz target: the envelope's payload container, which anyone can post to
//! "Open Online". `unpack_parts` must never panic, a container it reads must be
//! the one spelling of its parts (packing them again gives the same bytes), and
//! what `pack_parts` writes must read back.
//!
//! The first input byte steers the run: its low bit picks the mode.
//! - Mode 0 unpacks the remaining bytes.
//! - Mode 1 cuts the remaining bytes into parts (the next bytes of the input
//!   choose each part's number and length), packs them, and unpacks the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealpost_domain::services::content::{pack_parts, unpack_parts};

fuzz_target!(|data: &[u8]| {
    let Some((&steer, rest)) = data.split_first() else {
        return;
    };
    if steer & 1 == 0 {
        if let Some(parts) = unpack_parts(rest) {
            assert_eq!(pack_parts(&parts), rest);
        }
    } else {
        let parts = cut_into_parts(rest);
        assert_eq!(unpack_parts(&pack_parts(&parts)), Some(parts));
    }
});

/// Parts made of the input: a byte for the part number, a byte for the length,
/// then that many bytes (or what is left).
fn cut_into_parts(mut data: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut parts = Vec::new();
    while let [part, len, tail @ ..] = data {
        let n = usize::from(*len).min(tail.len());
        let (bytes, after) = tail.split_at(n);
        parts.push((u32::from(*part), bytes.to_vec()));
        data = after;
    }
    parts
}
