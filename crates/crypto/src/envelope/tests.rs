//! Tests of the envelope format: the published vectors, round trips through every
//! API and chunking, and every kind of damage an attacker or a storage fault can
//! do, which must never open.

use std::io::{BufRead, Read};

use super::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A small segment length, so that multi-segment payloads stay tiny.
const SEG: usize = 16;
const SEG_U32: u32 = 16;
const FULL: usize = SEG + TAG_LEN;

fn dek() -> Key256 {
    Key256::from_bytes(core::array::from_fn(|i| i as u8))
}

fn ctx() -> Context {
    Context {
        account_id: 42,
        message_id: core::array::from_fn(|i| 0xc0 + i as u8),
        part: Context::CONTENT,
    }
}

fn hex(s: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    (0..s.len())
        .step_by(2)
        .map(|i| Ok(u8::from_str_radix(s.get(i..i + 2).ok_or("odd hex")?, 16)?))
        .collect()
}

/// xorshift64: deterministic pseudo-randomness for chunkings and mutations, so a
/// failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform enough in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `0..max_len` random bytes.
    fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = self.below(max_len);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

/// Seals with the small segment length and random salt and prefix.
fn seal_small(plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (mut sealer, mut out) = Sealer::with_segment_len(&dek(), &ctx(), SEG_U32)?;
    sealer.push_into(plain, &mut out);
    out.extend(sealer.finish()?);
    Ok(out)
}

/// Opens through [`Opener`], feeding the body in random chunks (some empty).
fn open_chunked(key: &Key256, context: &Context, sealed: &[u8], rng: &mut Rng) -> Result<Vec<u8>, OpenError> {
    let (_, header_len) = parse_header(sealed)?;
    let (header, mut body) = sealed.split_at(header_len);
    let mut opener = Opener::new(key, context, header)?;
    let mut out = Vec::new();
    while !body.is_empty() {
        let (chunk, rest) = body.split_at(rng.below(3 * FULL + 2).min(body.len()));
        out.extend(opener.push(chunk)?);
        body = rest;
    }
    out.extend(opener.finish()?);
    Ok(out)
}

fn open_via_stream(key: &Key256, context: &Context, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
    let mut out = Vec::new();
    let len = open_stream(key, context, sealed, &mut out)?;
    assert_eq!(len, out.len() as u64);
    assert_eq!(verify_stream(key, context, sealed)?, len);
    Ok(out)
}

/// Every way of opening must agree; returns their common verdict.
fn open_all_ways(sealed: &[u8], rng: &mut Rng) -> Result<Vec<u8>, OpenError> {
    let whole = open(&dek(), &ctx(), sealed);
    let chunked = open_chunked(&dek(), &ctx(), sealed, rng);
    let streamed = open_via_stream(&dek(), &ctx(), sealed);
    let mut out = Vec::new();
    let trickled = open_stream(&dek(), &ctx(), Trickle::new(sealed, rng.next() | 1), &mut out).map(|_| out);
    let verdict = |r: &Result<Vec<u8>, OpenError>| match r {
        Ok(p) => format!("Ok({p:?})"),
        Err(e) => format!("Err({e:?})"),
    };
    assert_eq!(verdict(&whole), verdict(&chunked), "open and Opener disagree");
    assert_eq!(verdict(&whole), verdict(&streamed), "open and open_stream disagree");
    assert_eq!(
        verdict(&whole),
        verdict(&trickled),
        "open and open_stream of short reads disagree"
    );
    whole
}

// Keep in step with docs/ENVELOPE-FORMAT.md, "Test vectors".
const VECTOR_HEADER: &str = "535045310100000010a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6\
                             000000000000002ac0c1c2c3c4c5c6c7c8c9cacbcccdcecf00000000";
const VECTORS: [(&[u8], &str); 3] = [
    (b"", "6c52eb5873fbc735226f93abe93d6081"),
    (b"hello", "8523e2fc110509ae958934a7cd97adcd726ed22b78"),
    (
        b"Sealpost envelope",
        "e146aa5a3a2ff41b6da234829012d2aa9bb9cff238d6dd2ce411e63eb955731d\
         6fa6394d442f1343094b211ac92fc43c43",
    ),
];

#[test]
fn published_test_vectors_are_reproduced() -> TestResult {
    let salt = core::array::from_fn(|i| 0xa0 + i as u8);
    let prefix = core::array::from_fn(|i| 0xb0 + i as u8);
    for (plain, segments) in VECTORS {
        let expected = hex(&format!("{VECTOR_HEADER}{segments}"))?;
        assert_eq!(seal_with(&dek(), &ctx(), plain, SEG_U32, salt, prefix)?, expected);
        assert_eq!(open(&dek(), &ctx(), &expected)?, plain);
    }
    Ok(())
}

#[test]
fn payloads_of_every_edge_length_round_trip_through_every_api() -> TestResult {
    let mut rng = Rng(0x5ea1_90f7);
    for len in [
        0,
        1,
        SEG - 1,
        SEG,
        SEG + 1,
        2 * SEG,
        3 * SEG,
        3 * SEG + 5,
        100 * SEG + 3,
    ] {
        let plain = plaintext(len);
        let sealed = seal_small(&plain)?;
        assert_eq!(sealed.len() as u64, sealed_len(len as u64, SEG_U32), "length {len}");
        assert_eq!(open_all_ways(&sealed, &mut rng)?, plain, "length {len}");

        let mut streamed = Vec::new();
        let read = seal_stream_with_segment_len(&dek(), &ctx(), SEG_U32, plain.as_slice(), &mut streamed)?;
        assert_eq!(read, len as u64);
        assert_eq!(open_all_ways(&streamed, &mut rng)?, plain, "stream length {len}");
    }
    let d = DEFAULT_SEGMENT_LEN as usize;
    for len in [0, 1, d - 1, d, d + 1, 3 * d] {
        let plain = plaintext(len);
        let sealed = seal(&dek(), &ctx(), &plain)?;
        assert_eq!(sealed.len() as u64, sealed_len(len as u64, DEFAULT_SEGMENT_LEN));
        assert_eq!(open(&dek(), &ctx(), &sealed)?, plain);
        let mut streamed = Vec::new();
        seal_stream(&dek(), &ctx(), plain.as_slice(), &mut streamed)?;
        assert_eq!(streamed.len(), sealed.len());
        assert_eq!(open_via_stream(&dek(), &ctx(), &streamed)?, plain);
    }
    Ok(())
}

#[test]
fn any_chunking_of_push_gives_the_same_bytes() -> TestResult {
    let mut rng = Rng(7);
    let salt = [1; 16];
    let prefix = [2; 7];
    for len in [0, 1, SEG, SEG + 1, 3 * SEG, 7 * SEG + 9] {
        let plain = plaintext(len);
        let reference = seal_with(&dek(), &ctx(), &plain, SEG_U32, salt, prefix)?;
        for _ in 0..50 {
            let (mut sealer, mut out) = Sealer::with_parameters(&dek(), &ctx(), SEG_U32, salt, prefix)?;
            let mut rest = plain.as_slice();
            while !rest.is_empty() {
                let (chunk, tail) = rest.split_at(rng.below(3 * SEG + 2).min(rest.len()));
                out.extend(sealer.push(chunk));
                rest = tail;
            }
            out.extend(sealer.push(&[]));
            out.extend(sealer.finish()?);
            assert_eq!(out, reference, "length {len}");
        }
    }
    Ok(())
}

/// A reader that offers its data in windows of random length, some shorter and
/// some longer than a segment, and now and then fails with `Interrupted`: it
/// exercises both the gathering and the zero-copy paths of the streaming functions.
struct Trickle<'a> {
    data: &'a [u8],
    rng: Rng,
    window: usize,
}

impl<'a> Trickle<'a> {
    fn new(data: &'a [u8], seed: u64) -> Self {
        Self {
            data,
            rng: Rng(seed),
            window: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Trickle<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.window == 0 && !self.data.is_empty() {
            if self.rng.below(6) == 0 {
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            self.window = (1 + self.rng.below(3 * FULL)).min(self.data.len());
        }
        Ok(self.data.get(..self.window).unwrap_or_default())
    }

    fn consume(&mut self, amount: usize) {
        self.data = self.data.get(amount..).unwrap_or_default();
        self.window = self.window.saturating_sub(amount);
    }
}

#[test]
fn streams_survive_short_and_interrupted_reads() -> TestResult {
    for len in 0..=6 * SEG + 1 {
        for seed in [3, 4, 5] {
            let plain = plaintext(len);
            let mut sealed = Vec::new();
            let read = seal_stream_with_segment_len(&dek(), &ctx(), SEG_U32, Trickle::new(&plain, seed), &mut sealed)?;
            assert_eq!(read, len as u64);
            assert_eq!(sealed.len() as u64, sealed_len(len as u64, SEG_U32), "length {len}");
            assert_eq!(open(&dek(), &ctx(), &sealed)?, plain, "length {len}");
            let mut out = Vec::new();
            open_stream(&dek(), &ctx(), Trickle::new(&sealed, seed + 10), &mut out)?;
            assert_eq!(out, plain, "length {len}");
        }
    }
    Ok(())
}

#[test]
fn flipping_any_bit_of_header_or_segments_never_opens() -> TestResult {
    let mut rng = Rng(11);
    let plain = plaintext(3 * SEG + 5);
    let sealed = seal_small(&plain)?;
    for i in 0..sealed.len() {
        for bit in 0..8 {
            let mut damaged = sealed.clone();
            if let Some(b) = damaged.get_mut(i) {
                *b ^= 1 << bit;
            }
            let result = open_all_ways(&damaged, &mut rng);
            let acceptable = if i < HEADER_LEN {
                matches!(
                    result,
                    Err(OpenError::Malformed
                        | OpenError::UnsupportedVersion(_)
                        | OpenError::WrongContext
                        | OpenError::Tampered)
                )
            } else {
                matches!(result, Err(OpenError::Tampered))
            };
            assert!(acceptable, "byte {i} bit {bit}: {result:?}");
        }
    }
    Ok(())
}

#[test]
fn truncation_anywhere_never_opens_and_at_a_boundary_says_truncated() -> TestResult {
    let mut rng = Rng(13);
    for len in [0, 5, SEG, 3 * SEG, 3 * SEG + 5] {
        let sealed = seal_small(&plaintext(len))?;
        for cut in 0..sealed.len() {
            let result = open_all_ways(sealed.get(..cut).ok_or("cut")?, &mut rng);
            let at_boundary = cut >= HEADER_LEN && (cut - HEADER_LEN).is_multiple_of(FULL);
            if at_boundary || cut < HEADER_LEN {
                assert!(
                    matches!(result, Err(OpenError::Truncated)),
                    "length {len} cut {cut}: {result:?}"
                );
            } else {
                assert!(
                    matches!(result, Err(OpenError::Truncated | OpenError::Tampered)),
                    "length {len} cut {cut}: {result:?}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn dropping_the_last_segment_says_truncated() -> TestResult {
    let mut rng = Rng(17);
    for len in [SEG + 1, 3 * SEG, 3 * SEG + 5] {
        let sealed = seal_small(&plaintext(len))?;
        let segments = (len.div_ceil(SEG)).max(1);
        let without_last = HEADER_LEN + (segments - 1) * FULL;
        let result = open_all_ways(sealed.get(..without_last).ok_or("cut")?, &mut rng);
        assert!(matches!(result, Err(OpenError::Truncated)), "length {len}: {result:?}");
    }
    Ok(())
}

fn segment(sealed: &[u8], i: usize) -> &[u8] {
    let start = HEADER_LEN + i * FULL;
    sealed.get(start..(start + FULL).min(sealed.len())).unwrap_or_default()
}

#[test]
fn reordered_duplicated_or_missing_middle_segments_say_tampered() -> TestResult {
    let mut rng = Rng(19);
    let sealed = seal_small(&plaintext(4 * SEG + 3))?;
    let header = sealed.get(..HEADER_LEN).ok_or("header")?;
    let rebuild = |order: &[usize]| {
        let mut out = header.to_vec();
        for &i in order {
            out.extend_from_slice(segment(&sealed, i));
        }
        out
    };
    assert_eq!(rebuild(&[0, 1, 2, 3, 4]), sealed);
    for order in [
        &[1, 0, 2, 3, 4][..],
        &[0, 1, 3, 2, 4],
        &[0, 1, 2, 4, 3],
        &[0, 0, 1, 2, 3, 4],
        &[0, 2, 3, 4],
        &[0, 1, 2, 3, 3, 4],
        &[4],
    ] {
        let result = open_all_ways(&rebuild(order), &mut rng);
        assert!(matches!(result, Err(OpenError::Tampered)), "{order:?}: {result:?}");
    }
    Ok(())
}

#[test]
fn segments_from_another_payload_under_the_same_key_say_tampered() -> TestResult {
    let mut rng = Rng(23);
    let plain = plaintext(2 * SEG + 1);
    let a = seal_small(&plain)?;
    let b = seal_small(&plain)?;
    // Same DEK, context and plaintext, but a fresh salt: nothing is interchangeable.
    let mut spliced = a.get(..HEADER_LEN + FULL).ok_or("a")?.to_vec();
    spliced.extend_from_slice(b.get(HEADER_LEN + FULL..).ok_or("b")?);
    assert!(matches!(open_all_ways(&spliced, &mut rng), Err(OpenError::Tampered)));
    let mut header_swapped = b.get(..HEADER_LEN).ok_or("b")?.to_vec();
    header_swapped.extend_from_slice(a.get(HEADER_LEN..).ok_or("a")?);
    assert!(matches!(
        open_all_ways(&header_swapped, &mut rng),
        Err(OpenError::Tampered)
    ));
    Ok(())
}

#[test]
fn bytes_after_a_full_last_segment_say_trailing_data() -> TestResult {
    let mut rng = Rng(29);
    for len in [SEG, 3 * SEG] {
        let sealed = seal_small(&plaintext(len))?;
        for extra in [
            &[0u8][..],
            &[0; TAG_LEN],
            &[7; FULL],
            &[9; FULL + 1],
            segment(&sealed, 0),
        ] {
            let mut longer = sealed.clone();
            longer.extend_from_slice(extra);
            let result = open_all_ways(&longer, &mut rng);
            assert!(
                matches!(result, Err(OpenError::TrailingData)),
                "length {len}: {result:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn bytes_after_a_short_last_segment_never_open() -> TestResult {
    // A short last segment ends where the data ends, so appended bytes become part
    // of it and it fails authentication (see "Limits" in ENVELOPE-FORMAT.md).
    let mut rng = Rng(31);
    for len in [0, 5, 3 * SEG + 5] {
        let sealed = seal_small(&plaintext(len))?;
        for extra in [&[0u8][..], &[0; FULL + 3]] {
            let mut longer = sealed.clone();
            longer.extend_from_slice(extra);
            let result = open_all_ways(&longer, &mut rng);
            assert!(matches!(result, Err(OpenError::Tampered)), "length {len}: {result:?}");
        }
    }
    Ok(())
}

#[test]
fn opening_for_another_message_account_or_part_says_wrong_context() -> TestResult {
    let sealed = seal_small(b"for message c0..cf of account 42")?;
    let mut other_message = ctx();
    other_message.message_id[15] ^= 1;
    let others = [
        Context {
            account_id: 43,
            ..ctx()
        },
        Context {
            account_id: -42,
            ..ctx()
        },
        other_message,
        Context { part: 1, ..ctx() },
        Context {
            part: Context::SUBJECT_SUMMARY,
            ..ctx()
        },
    ];
    for other in others {
        assert!(
            matches!(open(&dek(), &other, &sealed), Err(OpenError::WrongContext)),
            "{other:?}"
        );
        assert!(matches!(
            verify_stream(&dek(), &other, sealed.as_slice()),
            Err(OpenError::WrongContext)
        ));
    }
    let summary = Context {
        part: Context::SUBJECT_SUMMARY,
        ..ctx()
    };
    let sealed_summary = seal(&dek(), &summary, b"Quarterly figures")?;
    assert_eq!(open(&dek(), &summary, &sealed_summary)?, b"Quarterly figures");
    Ok(())
}

#[test]
fn opening_with_another_data_key_says_tampered() -> TestResult {
    let mut rng = Rng(37);
    let sealed = seal_small(&plaintext(2 * SEG + 3))?;
    let other = Key256::generate()?;
    assert!(matches!(open(&other, &ctx(), &sealed), Err(OpenError::Tampered)));
    assert!(matches!(
        open_chunked(&other, &ctx(), &sealed, &mut rng),
        Err(OpenError::Tampered)
    ));
    assert!(matches!(
        verify_stream(&other, &ctx(), sealed.as_slice()),
        Err(OpenError::Tampered)
    ));
    Ok(())
}

#[test]
fn headers_that_are_not_ours_are_refused_before_any_work() -> TestResult {
    let sealed = seal_small(b"x")?;
    let header = sealed.get(..HEADER_LEN).ok_or("header")?;
    let with = |at: usize, bytes: &[u8]| {
        let mut h = header.to_vec();
        if let Some(dst) = h.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        h
    };
    let opener = |h: &[u8]| Opener::new(&dek(), &ctx(), h).map(|_| ());
    assert!(matches!(opener(&with(0, b"PK\x03\x04")), Err(OpenError::Malformed)));
    assert!(matches!(
        opener(&with(AT_VERSION, &[2])),
        Err(OpenError::UnsupportedVersion(2))
    ));
    assert!(matches!(
        opener(&with(AT_SEGMENT_LEN, &0u32.to_be_bytes())),
        Err(OpenError::Malformed)
    ));
    let too_big = (MAX_SEGMENT_LEN + 1).to_be_bytes();
    assert!(matches!(
        opener(&with(AT_SEGMENT_LEN, &too_big)),
        Err(OpenError::Malformed)
    ));
    assert!(matches!(
        opener(&with(AT_SEGMENT_LEN, &u32::MAX.to_be_bytes())),
        Err(OpenError::Malformed)
    ));
    assert!(matches!(
        opener(header.get(..HEADER_LEN - 1).ok_or("h")?),
        Err(OpenError::Truncated)
    ));
    assert!(matches!(opener(b"SPE"), Err(OpenError::Truncated)));
    assert!(matches!(opener(b""), Err(OpenError::Truncated)));
    assert!(
        matches!(opener(&sealed), Err(OpenError::Malformed)),
        "header plus data is not a header"
    );
    opener(header)?;

    let (info, len) = parse_header(&sealed)?;
    assert_eq!(
        (info.version, info.segment_len, info.context, len),
        (VERSION, SEG_U32, ctx(), HEADER_LEN)
    );
    Ok(())
}

#[test]
fn an_opener_that_failed_keeps_failing() -> TestResult {
    let mut sealed = seal_small(&plaintext(5 * SEG))?;
    if let Some(b) = sealed.get_mut(HEADER_LEN + 3) {
        *b ^= 0x80;
    }
    let mut opener = Opener::new(&dek(), &ctx(), sealed.get(..HEADER_LEN).ok_or("h")?)?;
    assert!(matches!(
        opener.push(sealed.get(HEADER_LEN..).ok_or("b")?),
        Err(OpenError::Tampered)
    ));
    assert!(matches!(opener.push(&[]), Err(OpenError::Tampered)));
    assert!(matches!(opener.finish(), Err(OpenError::Tampered)));
    Ok(())
}

#[test]
fn streaming_memory_stays_within_a_segment_however_large_the_input() -> TestResult {
    let plain = plaintext(1 << 20);
    let (mut sealer, mut sealed) = Sealer::with_segment_len(&dek(), &ctx(), 4096)?;
    for chunk in plain.chunks(1000) {
        sealed.extend(sealer.push(chunk));
        assert!(sealer.pending.capacity() <= 4096, "{}", sealer.pending.capacity());
    }
    sealer.push_into(&plain, &mut sealed);
    assert!(sealer.pending.capacity() <= 4096);
    sealed.extend(sealer.finish()?);

    let mut opener = Opener::new(&dek(), &ctx(), sealed.get(..HEADER_LEN).ok_or("h")?)?;
    let mut opened = Vec::new();
    for chunk in sealed.get(HEADER_LEN..).ok_or("b")?.chunks(999) {
        opened.extend(opener.push(chunk)?);
        assert!(
            opener.pending.capacity() <= 4096 + TAG_LEN,
            "{}",
            opener.pending.capacity()
        );
    }
    opened.extend(opener.finish()?);
    assert_eq!(opened.len(), 2 * plain.len());
    Ok(())
}

#[test]
fn a_header_claiming_huge_segments_costs_only_the_bytes_sent() -> TestResult {
    let (mut sealer, header) = Sealer::with_segment_len(&dek(), &ctx(), MAX_SEGMENT_LEN)?;
    let body = sealer.push(&[1; 100]);
    assert!(body.is_empty());
    let mut opener = Opener::new(&dek(), &ctx(), &header)?;
    assert!(opener.push(&[0; 100])?.is_empty());
    assert!(opener.pending.capacity() < 1024, "{}", opener.pending.capacity());
    Ok(())
}

#[test]
fn sealing_refuses_unusable_segment_lengths() {
    for bad in [0, MAX_SEGMENT_LEN + 1] {
        assert!(matches!(
            Sealer::with_segment_len(&dek(), &ctx(), bad),
            Err(CryptoError::SegmentLength(_))
        ));
    }
}

#[test]
fn errors_read_as_sentences_for_a_person() {
    assert_eq!(
        OpenError::Truncated.to_string(),
        "the envelope is incomplete: its end is missing"
    );
    assert_eq!(
        OpenError::UnsupportedVersion(9).to_string(),
        "the envelope uses format version 9, which this version of Sealpost cannot read"
    );
}

/// The in-tree stand-in for the `open_envelope` fuzz target (see `fuzz/`): many
/// pseudo-random mutations of valid envelopes, and pure noise, through every
/// opening API in random chunks. Nothing may panic, and nothing but the
/// unmodified envelope may open.
#[test]
fn ten_thousand_mutated_envelopes_never_panic_or_open() -> TestResult {
    let mut rng = Rng(0x0dd_ba11);
    let mut opened = 0;
    for round in 0..10_000u32 {
        let plain = rng.bytes(6 * SEG);
        let original = seal_small(&plain)?;
        let mut data = original.clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut data, &mut rng);
        }
        if round.is_multiple_of(10) {
            data = rng.bytes(200);
            if rng.below(2) == 0 {
                // Noise behind a plausible header, so it reaches the segment code.
                let mut h = original.get(..HEADER_LEN).unwrap_or_default().to_vec();
                h.extend(data);
                data = h;
            }
        }
        match open_all_ways(&data, &mut rng) {
            Ok(p) => {
                assert_eq!(data, original, "round {round}: a modified envelope opened");
                assert_eq!(p, plain);
                opened += 1;
            }
            Err(_) => assert_ne!(data, original, "round {round}: an intact envelope did not open"),
        }
    }
    assert!(opened < 2_000, "mutations too weak: {opened} untouched");
    Ok(())
}

fn mutate(data: &mut Vec<u8>, rng: &mut Rng) {
    let len = data.len();
    let at = rng.below(len + 1);
    match rng.below(7) {
        0 => {
            if let Some(b) = data.get_mut(at) {
                *b ^= 1 << rng.below(8);
            }
        }
        1 => data.truncate(at),
        2 => {
            let extra = rng.bytes(2 * FULL);
            data.splice(at..at, extra);
        }
        3 => {
            let end = (at + rng.below(2 * FULL)).min(len);
            data.drain(at..end);
        }
        4 => {
            // Move a segment-sized block elsewhere.
            let end = (at + FULL).min(len);
            let block: Vec<u8> = data.drain(at..end).collect();
            let to = rng.below(data.len() + 1);
            data.splice(to..to, block);
        }
        5 => {
            if let Some(b) = data.get_mut(at) {
                *b = rng.next() as u8;
            }
        }
        _ => {}
    }
}
