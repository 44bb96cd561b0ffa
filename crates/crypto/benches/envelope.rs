//! Envelope throughput and memory, printed as a table (not a test).
//!
//! `cargo bench -p sealpost-crypto --bench envelope`
//!
//! 1. Peak memory (VmHWM) before and after sealing, then sealing-and-verifying,
//!    100 MiB streamed from a generating reader: it must stay at a few MB. This
//!    runs first, because VmHWM only ever grows.
//! 2. Seal and open of a 64 MiB payload through the streaming API, against raw
//!    aws-lc-rs AES-256-GCM over the same 64 MiB in one call, best of 5, in GB/s
//!    and as a percentage of raw; for the default and other segment lengths.
//!    A second percentage ("like-raw") compares with raw AES-GCM doing the same
//!    data movement the API cannot avoid: copying each segment out of a `Read`er,
//!    or filling a freshly allocated output `Vec`. The gap between the two
//!    columns is memory traffic, not envelope overhead: with 64 MiB (beyond L3)
//!    one core copies at ~18 GB/s, so copy plus 10.5 GB/s AES-GCM in series gives
//!    ~6.6 GB/s whatever the segment length.

use std::error::Error;
use std::hint::black_box;
use std::io::{self, Read};
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use sealpost_crypto::envelope::{self, Context, DEFAULT_SEGMENT_LEN, Sealer};
use sealpost_crypto::keys::Key256;

type BenchResult<T = ()> = Result<T, Box<dyn Error>>;

const PAYLOAD: usize = 64 << 20;
const STREAMED: u64 = 100 << 20;
const RUNS: usize = 5;

fn main() -> BenchResult {
    let dek = Key256::generate()?;
    let ctx = Context {
        account_id: 1,
        message_id: [7; 16],
        part: Context::CONTENT,
    };
    println!("load average: {}", std::fs::read_to_string("/proc/loadavg")?.trim());

    memory(&dek, &ctx)?;
    throughput(&dek, &ctx)
}

fn memory(dek: &Key256, ctx: &Context) -> BenchResult {
    println!("\n== peak memory, {} MiB streamed ==", STREAMED >> 20);
    println!("{:<48} {:>8} kB", "VmHWM at start", vm_hwm_kb()?);
    let sealed = envelope::seal_stream(dek, ctx, Generator::new(STREAMED), io::sink())?;
    assert_eq!(sealed, STREAMED);
    println!("{:<48} {:>8} kB", "VmHWM after seal_stream to io::sink", vm_hwm_kb()?);
    let verified = envelope::verify_stream(dek, ctx, SealingReader::new(dek, ctx, STREAMED)?)?;
    assert_eq!(verified, STREAMED);
    println!(
        "{:<48} {:>8} kB",
        "VmHWM after verify_stream of a sealing reader",
        vm_hwm_kb()?
    );
    Ok(())
}

fn throughput(dek: &Key256, ctx: &Context) -> BenchResult {
    println!("\n== throughput, {} MiB payload, best of {RUNS} ==", PAYLOAD >> 20);
    let payload: Vec<u8> = (0..PAYLOAD).map(|i| (i * 31 + 7) as u8).collect();
    let raw = Raw::new(dek)?;
    let seg = DEFAULT_SEGMENT_LEN as usize;

    // The baseline asked for: one call over a buffer already in memory.
    let mut buffer = payload.clone();
    let raw_seal = best_of(|| {
        let _tag = black_box(raw.seal(0, &mut buffer)?);
        Ok(())
    })?;
    let mut raw_open = Duration::MAX;
    for _ in 0..RUNS {
        buffer.copy_from_slice(&payload);
        let tag = raw.seal(1, &mut buffer)?;
        let start = Instant::now();
        raw.open(1, &tag, &mut buffer)?;
        raw_open = raw_open.min(start.elapsed());
    }
    // What any `Read`-based API must also do: copy each segment out of the reader
    // before sealing it (here from a 64 MiB slice, so from DRAM, not cache).
    let mut scratch = vec![0u8; seg];
    let copy_seal = best_of(|| {
        for (i, chunk) in payload.chunks(seg).enumerate() {
            let piece = scratch.get_mut(..chunk.len()).unwrap_or_default();
            piece.copy_from_slice(chunk);
            let _tag = black_box(raw.seal(i as u32, piece)?);
        }
        Ok(())
    })?;
    let mut segments = payload.clone();
    let tags = segments
        .chunks_mut(seg)
        .enumerate()
        .map(|(i, piece)| raw.seal(i as u32, piece))
        .collect::<BenchResult<Vec<_>>>()?;
    let copy_open = best_of(|| {
        for ((i, chunk), tag) in segments.chunks(seg).enumerate().zip(&tags) {
            let piece = scratch.get_mut(..chunk.len()).unwrap_or_default();
            piece.copy_from_slice(chunk);
            raw.open(i as u32, tag, piece)?;
        }
        Ok(())
    })?;
    // What any API returning a new buffer must also do: fault in fresh pages.
    let fresh_seal = best_of(|| {
        let mut fresh = payload.clone();
        let _tag = black_box(raw.seal(2, &mut fresh)?);
        Ok(())
    })?;
    drop((buffer, segments, scratch));

    println!("{:<46} {:>6}  {:>6}  {:>10}", "", "GB/s", "% raw", "% like-raw");
    let line = |label: &str, time: Duration, raw: Duration, like: Duration| {
        let gbps = PAYLOAD as f64 / time.as_secs_f64() / 1e9;
        let pct = |base: Duration| 100.0 * base.as_secs_f64() / time.as_secs_f64();
        println!("{label:<46} {gbps:>6.2}  {:>5.0} %  {:>8.0} %", pct(raw), pct(like));
    };
    println!("raw aws-lc-rs AES-256-GCM (\"% raw\" = first two lines)");
    line("  seal in place, one call", raw_seal, raw_seal, raw_seal);
    line("  open in place, one call", raw_open, raw_open, raw_open);
    line(
        "  copy 64 KiB from &[u8] + seal, per segment",
        copy_seal,
        raw_seal,
        copy_seal,
    );
    line(
        "  copy 64 KiB from &[u8] + open, per segment",
        copy_open,
        raw_open,
        copy_open,
    );
    line("  seal into a freshly allocated Vec", fresh_seal, raw_seal, fresh_seal);

    let mut sealed = Vec::new();
    for segment_len in [16 << 10, 64 << 10, 256 << 10, 1 << 20] {
        let default = if segment_len == DEFAULT_SEGMENT_LEN {
            " (default)"
        } else {
            ""
        };
        println!(
            "envelope, segment length {} KiB{default} (\"like-raw\" = copy + seal/open)",
            segment_len >> 10
        );
        let seal_time = best_of(|| {
            let n = envelope::seal_stream_with_segment_len(dek, ctx, segment_len, payload.as_slice(), io::sink())?;
            black_box(n);
            Ok(())
        })?;
        line("  seal_stream: &[u8] -> io::sink", seal_time, raw_seal, copy_seal);

        sealed.clear();
        envelope::seal_stream_with_segment_len(dek, ctx, segment_len, payload.as_slice(), &mut sealed)?;
        let open_time = best_of(|| {
            let n = envelope::open_stream(dek, ctx, sealed.as_slice(), io::sink())?;
            black_box(n);
            Ok(())
        })?;
        line("  open_stream: &[u8] -> io::sink", open_time, raw_open, copy_open);

        if segment_len == DEFAULT_SEGMENT_LEN {
            let mut out = Vec::with_capacity(sealed.len());
            let push_time = best_of(|| {
                out.clear();
                let (mut sealer, header) = Sealer::new(dek, ctx)?;
                out.extend_from_slice(&header);
                for chunk in payload.chunks(1 << 20) {
                    sealer.push_into(chunk, &mut out);
                }
                out.extend(sealer.finish()?);
                Ok(())
            })?;
            line(
                "  Sealer::push_into, 1 MiB chunks -> reused Vec",
                push_time,
                raw_seal,
                copy_seal,
            );
            let seal_all_time = best_of(|| {
                black_box(envelope::seal(dek, ctx, &payload)?.len());
                Ok(())
            })?;
            println!("  (\"like-raw\" below = raw seal into a freshly allocated Vec)");
            line("  seal -> new Vec", seal_all_time, raw_seal, fresh_seal);
            let open_all_time = best_of(|| {
                black_box(envelope::open(dek, ctx, &sealed)?.len());
                Ok(())
            })?;
            line(
                "  open (all or nothing) -> new Vec",
                open_all_time,
                raw_open,
                fresh_seal,
            );
        }
    }
    Ok(())
}

/// Raw AES-256-GCM under the DEK, with the header-sized AAD the envelope uses.
struct Raw(LessSafeKey);

impl Raw {
    fn new(dek: &Key256) -> BenchResult<Self> {
        Ok(Self(LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, dek.expose()).map_err(|_| "raw key")?,
        )))
    }

    fn nonce(i: u32) -> Nonce {
        let mut n = [0u8; 12];
        n[7..11].copy_from_slice(&i.to_be_bytes());
        Nonce::assume_unique_for_key(n)
    }

    fn seal(&self, i: u32, buf: &mut [u8]) -> BenchResult<Tag> {
        Ok(self
            .0
            .seal_in_place_separate_tag(Self::nonce(i), Aad::from([0u8; 60]), buf)
            .map_err(|_| "raw seal")?)
    }

    fn open(&self, i: u32, tag: &Tag, buf: &mut [u8]) -> BenchResult {
        self.0
            .open_in_place_separate_tag(Self::nonce(i), Aad::from([0u8; 60]), tag.as_ref(), buf)
            .map_err(|_| "raw open")?;
        Ok(())
    }
}

fn best_of(mut run: impl FnMut() -> BenchResult) -> BenchResult<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..RUNS {
        let start = Instant::now();
        run()?;
        best = best.min(start.elapsed());
    }
    Ok(best)
}

fn vm_hwm_kb() -> BenchResult<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    let kb = line.split_whitespace().nth(1).ok_or("VmHWM without a value")?;
    Ok(kb.parse()?)
}

/// Yields `remaining` bytes of a pattern without holding them.
struct Generator {
    remaining: u64,
    counter: u8,
}

impl Generator {
    fn new(len: u64) -> Self {
        Self {
            remaining: len,
            counter: 0,
        }
    }
}

impl Read for Generator {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        for b in buf.iter_mut().take(n) {
            *b = self.counter;
            self.counter = self.counter.wrapping_add(1);
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Seals a [`Generator`] on the fly through a [`Sealer`], so that the opening side
/// can be measured on a large envelope that never exists in memory.
struct SealingReader {
    source: Generator,
    sealer: Option<Sealer>,
    ready: Vec<u8>,
    at: usize,
}

impl SealingReader {
    fn new(dek: &Key256, ctx: &Context, len: u64) -> BenchResult<Self> {
        let (sealer, header) = Sealer::new(dek, ctx)?;
        Ok(Self {
            source: Generator::new(len),
            sealer: Some(sealer),
            ready: header,
            at: 0,
        })
    }
}

impl Read for SealingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.ready.len() {
            let Some(sealer) = self.sealer.as_mut() else {
                return Ok(0);
            };
            self.ready.clear();
            self.at = 0;
            let mut chunk = [0u8; 16 << 10];
            let n = self.source.read(&mut chunk)?;
            if n == 0 {
                if let Some(sealer) = self.sealer.take() {
                    self.ready = sealer.finish().map_err(io::Error::other)?;
                }
            } else {
                sealer.push_into(chunk.get(..n).unwrap_or_default(), &mut self.ready);
            }
        }
        let available = self.ready.get(self.at..).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(available.get(..n).unwrap_or_default());
        self.at += n;
        Ok(n)
    }
}
