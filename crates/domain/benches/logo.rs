//! What checking a logo costs, printed as a table (not a test).
//!
//! `cargo bench -p sealpost-domain --bench logo`
//!
//! 1. Peak memory (VmHWM) before and after refusing a 50000×50000 PNG header
//!    (a decompression bomb) and a 4096×4097 one: the refusal comes from the
//!    header, so the peak must not move. Runs first, as VmHWM only grows.
//! 2. Time of `Logo::from_upload` (detect, decode within the limits, scale into
//!    600×200, re-encode as PNG) for typical and the largest accepted uploads,
//!    best of 5, and the size of the PNG kept.

use std::error::Error;
use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{ImageFormat, Rgb, RgbImage};
use sealpost_domain::branding::Logo;

type BenchResult<T = ()> = Result<T, Box<dyn Error>>;

fn encode(width: u32, height: u32, format: ImageFormat) -> BenchResult<Vec<u8>> {
    // A gradient with noise, so the encoders cannot shrink it to nothing.
    let mut seed = 0x2545_f491_u32;
    let image = RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed & 0x1f) as u8;
        Rgb([(x % 256) as u8 ^ noise, (y % 256) as u8, noise.wrapping_mul(7)])
    });
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format)?;
    Ok(out)
}

/// A small PNG whose header claims `width`×`height`.
fn claiming(width: u32, height: u32) -> BenchResult<Vec<u8>> {
    let mut bytes = encode(8, 8, ImageFormat::Png)?;
    bytes[16..20].copy_from_slice(&width.to_be_bytes());
    bytes[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    Ok(bytes)
}

fn peak_kib() -> BenchResult<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM")?;
    Ok(line.split_whitespace().nth(1).ok_or("no value")?.parse()?)
}

fn best_of(runs: usize, bytes: &[u8]) -> BenchResult<(Duration, usize)> {
    let mut best = Duration::MAX;
    let mut kept = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let logo = Logo::from_upload(bytes).map_err(|e| format!("refused: {e}"))?;
        best = best.min(start.elapsed());
        kept = logo.png().len();
    }
    Ok((best, kept))
}

fn main() -> BenchResult {
    let bomb = claiming(50_000, 50_000)?;
    let tall = claiming(4096, 4097)?;
    let before = peak_kib()?;
    let start = Instant::now();
    let refused = Logo::from_upload(&bomb).err();
    let bomb_time = start.elapsed();
    let refused_tall = Logo::from_upload(&tall).err();
    let after = peak_kib()?;
    println!("refusal                       result                     time       peak before → after");
    println!(
        "PNG claiming 50000×50000      {:<26} {:>7.1} µs  {} KiB → {} KiB",
        format!("{refused:?}"),
        bomb_time.as_secs_f64() * 1e6,
        before,
        after
    );
    println!("PNG claiming 4096×4097        {refused_tall:?}");
    println!();
    println!("accepted upload               bytes in    time (best of 5)   PNG kept");
    for (what, width, height, format) in [
        ("PNG 1200×300", 1200, 300, ImageFormat::Png),
        ("JPEG 1200×300", 1200, 300, ImageFormat::Jpeg),
        ("JPEG 4000×1000", 4000, 1000, ImageFormat::Jpeg),
        ("PNG 4096×512", 4096, 512, ImageFormat::Png),
        ("WebP 1200×300 (lossless)", 1200, 300, ImageFormat::WebP),
    ] {
        let bytes = encode(width, height, format)?;
        if bytes.len() > Logo::MAX_UPLOAD_BYTES {
            println!("{what:<29} {:>8}    over the 2 MiB limit", bytes.len());
            continue;
        }
        let (time, kept) = best_of(5, &bytes)?;
        println!(
            "{what:<29} {:>8}    {:>9.1} ms       {:>8}",
            bytes.len(),
            time.as_secs_f64() * 1e3,
            kept
        );
    }
    Ok(())
}
