//! Seeded property tests of the payload container ([`unpack_parts`]) and the
//! content part ([`Content::decode`]). The container arrives from anyone in the
//! cross-site "Open Online" post; the content part is read after its envelope
//! opened. Neither parser may panic on any input, and what one writes the other
//! reads back.
//!
//! This is the bounded, always-run counterpart of the cargo-fuzz targets
//! `unpack_parts` and `decode_content` in `fuzz/`: thousands of random values and
//! mutations of their encodings from a fixed seed, so a failure is reproducible
//! and every `cargo test -p sealpost-domain` can fail on one.

use std::panic::catch_unwind;

use super::*;

/// Random values and inputs per test.
const ROUNDS: usize = 3_000;
/// Mutated copies of each encoding.
const MUTATIONS: usize = 4;

/// xorshift64: small, deterministic, and enough to spread inputs around.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Text with what breaks naive parsers: multi-byte characters, markup, NUL.
fn text(rng: &mut Rng, max: usize) -> String {
    const POOL: [char; 14] = [
        'a', 'Z', '7', ' ', '\n', '<', '>', '&', ';', 'é', '—', '€', '😀', '\u{0}',
    ];
    let len = rng.below(max + 1);
    (0..len).map(|_| POOL[rng.below(POOL.len())]).collect()
}

fn content(rng: &mut Rng) -> Content {
    let attachments = (0..rng.below(4))
        .map(|_| AttachmentMeta {
            part: rng.next() as u32,
            name: text(rng, 12),
            content_type: text(rng, 12),
            size: rng.next(),
        })
        .collect();
    Content {
        subject: text(rng, 20),
        body: text(rng, 60),
        format: if rng.below(2) == 0 {
            BodyFormat::Text
        } else {
            BodyFormat::Html
        },
        attachments,
    }
}

fn parts(rng: &mut Rng) -> Vec<(u32, Vec<u8>)> {
    (0..rng.below(5))
        .map(|_| {
            let len = rng.below(40);
            (rng.next() as u32, rng.bytes(len))
        })
        .collect()
}

/// One damaged copy of `bytes`: a flipped bit, a cut, inserted or deleted bytes,
/// a length field overwritten with an edge value, a moved block, or noise.
fn mutate(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = rng.below(out.len() + 1);
    match rng.below(7) {
        0 if !out.is_empty() => {
            let i = rng.below(out.len());
            out[i] ^= 1 << rng.below(8);
        }
        1 => out.truncate(at),
        2 => {
            let n = 1 + rng.below(8);
            let noise = rng.bytes(n);
            out.splice(at..at, noise);
        }
        3 => {
            let end = (at + 1 + rng.below(8)).min(out.len());
            out.drain(at..end);
        }
        4 => {
            // Length and count fields are 4 or 8 bytes: give one an edge value.
            let wide = if rng.below(2) == 0 { 4 } else { 8 };
            let value: u64 = match rng.below(5) {
                0 => 0,
                1 => u64::MAX,
                2 => u64::from(u32::MAX),
                3 => u64::from(MAX_PARTS) + 1,
                _ => rng.below(out.len() + 2) as u64,
            };
            let field = &value.to_be_bytes()[8 - wide..];
            let end = (at + wide).min(out.len());
            out.splice(at..end, field.iter().copied());
        }
        5 if !out.is_empty() => {
            let from = rng.below(out.len());
            let len = rng.below(out.len() - from + 1);
            let block = out[from..from + len].to_vec();
            let to = rng.below(out.len() + 1);
            out.splice(to..to, block);
        }
        _ => {
            let len = rng.below(64);
            out = rng.bytes(len);
            if rng.below(2) == 0 {
                // Noise behind a valid start, to get past the first checks.
                let keep = bytes.len().min(1 + rng.below(9));
                out.splice(0..0, bytes[..keep].iter().copied());
            }
        }
    }
    out
}

/// Decodes `bytes` as a content part: no panic, and what decodes encodes back to
/// the same bytes (version 2) or to a version 2 part that decodes the same (1).
fn check_content(bytes: &[u8]) {
    let decoded = catch_unwind(|| Content::decode(bytes).map(|c| (c.body_text(), c)));
    assert!(decoded.is_ok(), "Content::decode panicked on {bytes:02x?}");
    if let Ok(Some((_, content))) = decoded {
        let again = content.encode();
        if bytes.first() == Some(&2) {
            assert_eq!(again, bytes, "a version 2 part re-encodes to other bytes");
        } else {
            assert_eq!(Content::decode(&again).as_ref(), Some(&content), "{bytes:02x?}");
        }
    }
}

/// Unpacks `bytes` as a payload container: no panic, and what unpacks packs back
/// to the same bytes.
fn check_container(bytes: &[u8]) {
    let unpacked = catch_unwind(|| unpack_parts(bytes));
    assert!(unpacked.is_ok(), "unpack_parts panicked on {bytes:02x?}");
    if let Ok(Some(parts)) = unpacked {
        assert_eq!(pack_parts(&parts), bytes, "a container re-packs to other bytes");
    }
}

#[test]
fn thousands_of_random_and_mutated_content_parts_never_panic_and_round_trip() {
    let mut rng = Rng(0x5ea1_9057_c0de_0001);
    for round in 0..ROUNDS {
        let content = content(&mut rng);
        let bytes = content.encode();
        assert_eq!(Content::decode(&bytes).as_ref(), Some(&content), "round {round}");
        check_content(&bytes);
        for _ in 0..MUTATIONS {
            check_content(&mutate(&mut rng, &bytes));
        }
    }
}

#[test]
fn thousands_of_random_and_mutated_containers_never_panic_and_round_trip() {
    let mut rng = Rng(0x5ea1_9057_c0de_0002);
    for round in 0..ROUNDS {
        let parts = parts(&mut rng);
        let bytes = pack_parts(&parts);
        assert_eq!(unpack_parts(&bytes).as_ref(), Some(&parts), "round {round}");
        for _ in 0..MUTATIONS {
            check_container(&mutate(&mut rng, &bytes));
        }
    }
}

#[test]
fn a_container_claiming_more_parts_than_it_may_hold_is_refused() {
    // The full number of parts is there, but the count says one more: it used to
    // read as that many parts, and so as a second spelling of the same payload.
    let parts = vec![(0u32, Vec::new()); MAX_PARTS as usize];
    let mut bytes = pack_parts(&parts);
    assert_eq!(unpack_parts(&bytes).map(|p| p.len()), Some(MAX_PARTS as usize));
    bytes[4..8].copy_from_slice(&(MAX_PARTS + 1).to_be_bytes());
    let read = unpack_parts(&bytes).map(|p| p.len());
    assert_eq!(read, None, "a container claiming {} parts was read", MAX_PARTS + 1);
    check_container(&bytes);
}
