//! Benchmark of secure messages, against the real `sealpost` binary over HTTP, on
//! SQLite with mail written to a folder (no SMTP server needed). Prints figures;
//! asserts only that the server answers correctly.
//!
//! Measures:
//! - the server's peak memory (VmHWM) and resident memory (VmRSS) before and after
//!   one 100 MiB attachment is uploaded through `/portal/compose` and sealed, and the
//!   time the upload takes (with `SEALPOST_MAX_ATTACHMENT_MB=200` and
//!   `SEALPOST_MAX_ENVELOPE_MB=1`, so no envelope copy is built and the figure shows
//!   the streaming sealing path);
//! - the throughput and latency (p50, p99) of the opened-message page `/m/{id}` for
//!   a message with a 100 KB body, under `wrk -t2 -c32 -d10s` rotating the cookies
//!   of 32 registered recipients' sessions, side by side in the same run with nginx
//!   (started here on a loopback port) serving the same page bytes from a file, and
//!   their ratio; without nginx or wrk, under 32 concurrent sessions of the
//!   benchmark's own clients (p50, p99, max);
//! - that every view left exactly one access record.
//!
//! Run: `cargo bench -p sealpost-cli --bench messages` (add
//! `SEALPOST_BENCH_PERF=/tmp/perf.data` to profile the server under wrk, with call
//! stacks).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use sealpost_testkit::load::{self, Nginx, WrkFigures, WrkRun};
use sealpost_testkit::{Attachment, Browser, Mailbox, Sealpost};

const SENDER: &str = "sender@bench.example";
const PASSWORD: &str = "Bench-Passphrase-42";
const ATTACHMENT_BYTES: usize = 100 * 1024 * 1024;
const BODY_BYTES: usize = 100 * 1000;
const SESSIONS: usize = 32;
const WARM_UP: usize = 10;
const ROUNDS: usize = 200;
/// How long each side of the side-by-side run lasts.
const WRK_DURATION: Duration = Duration::from_secs(10);
/// A word the message body starts with, so every answer can be checked.
const MARKER: &str = "BenchMarkerQuokka";

/// `VmHWM` (peak resident) and `VmRSS` (resident) of a process, in KiB.
fn memory_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .with_context(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

/// Resets the process's `VmHWM` to its current resident size (Linux `clear_refs`
/// value 5), so the next reading is the peak of what follows; false if refused.
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(index.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

fn add_user(data: &Path, email: &str) -> anyhow::Result<()> {
    Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data).add_user(email, ("Bench", "User"), PASSWORD, Mailbox::Vouched)
}

fn recipient(n: usize) -> String {
    format!("recipient{n:02}@bench.example")
}

/// Sends a message through `/portal/compose`; returns its public id.
async fn compose(
    client: &reqwest::Client,
    base: &str,
    to: &str,
    body: String,
    attachment: Option<Vec<u8>>,
) -> anyhow::Result<String> {
    let files = attachment
        .map(|bytes| Attachment {
            name: "large.bin",
            content_type: "application/octet-stream",
            bytes,
        })
        .into_iter()
        .collect();
    let fields = [("to", to), ("subject", "Benchmark"), ("body", body.as_str())];
    let answer = sealpost_testkit::compose(client, base, &fields, files).await?;
    match answer.sent_id() {
        Some(id) if answer.status == 303 && id.len() == 32 => Ok(id.to_owned()),
        _ => {
            let text: String = answer.body.chars().take(2000).collect();
            bail!("compose answered {} {:?}: {text}", answer.status, answer.location);
        }
    }
}

/// GETs `url` and checks the answer holds the message.
async fn open(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = client.get(url).send().await?;
    let status = response.status();
    let body = response.text().await?;
    let elapsed = started.elapsed();
    ensure!(
        status.is_success() && body.contains(MARKER) && body.len() > BODY_BYTES,
        "{url} answered {status} without the message ({} bytes)",
        body.len()
    );
    Ok(elapsed)
}

/// A 100 KB body of readable lines, starting with the marker.
fn large_body() -> String {
    let mut body = format!("{MARKER}\n");
    let line = "The quick brown fox jumps over the lazy dog, then reads its registered mail.\n";
    while body.len() + line.len() <= BODY_BYTES {
        body.push_str(line);
    }
    while body.len() < BODY_BYTES {
        body.push('.');
    }
    body
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path();
    let seeding = Instant::now();
    add_user(data, SENDER)?;
    Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data).create_account("Bench Corp", SENDER)?;
    for n in 0..SESSIONS {
        add_user(data, &recipient(n))?;
    }
    println!(
        "seeded 1 sender and {SESSIONS} recipients with the binary in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let server = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data)
        .serve()
        .env("SEALPOST_MAX_ATTACHMENT_MB", "200")
        .env("SEALPOST_MAX_ENVELOPE_MB", "1")
        .start()
        .await?;
    let base = server.base.clone();
    let pid = server.pid();

    // 1. Peak memory while sealing a 100 MiB attachment.
    let sender = Browser::portal(&base, SENDER, PASSWORD).await?.http;
    let (hwm_start, _) = memory_kib(pid)?;
    let reset_upload = reset_peak(pid);
    let (hwm_before, rss_before) = memory_kib(pid)?;
    let attachment: Vec<u8> = (0..ATTACHMENT_BYTES)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let upload = Instant::now();
    compose(
        &sender,
        &base,
        &recipient(0),
        "A large attachment.".to_owned(),
        Some(attachment),
    )
    .await?;
    let upload_time = upload.elapsed();
    let (hwm_after, rss_after) = memory_kib(pid)?;
    let blobs = dir_size(&data.join("blobs"))?;
    ensure!(
        blobs >= ATTACHMENT_BYTES as u64,
        "the sealed attachment is not stored: {blobs} bytes of blobs"
    );

    // 2. The opened-message page under concurrent sessions.
    let to: Vec<String> = (0..SESSIONS).map(recipient).collect();
    let id = compose(&sender, &base, &to.join(", "), large_body(), None).await?;
    let url = format!("{base}/m/{id}");
    let mut browsers = Vec::with_capacity(SESSIONS);
    for address in &to {
        browsers.push(Browser::portal(&base, address, PASSWORD).await?);
    }
    let (_, rss_logins) = memory_kib(pid)?;
    for browser in &browsers {
        for _ in 0..WARM_UP {
            open(&browser.http, &url).await?;
        }
    }
    let page = browsers
        .first()
        .context("no sessions")?
        .http
        .get(&url)
        .send()
        .await?
        .bytes()
        .await?;
    let (_, rss_load_before) = memory_kib(pid)?;
    let reset_load = reset_peak(pid);
    let load = match load::tools() {
        Ok(()) => Load::SideBySide(side_by_side(data, pid, &url, &browsers, &page)?),
        Err(missing) => {
            println!("{missing}: measuring in-process instead of side by side with nginx");
            Load::InProcess(in_process(browsers, &url).await?)
        }
    };
    let (hwm_load, rss_load) = memory_kib(pid)?;
    drop(server);
    let opened_events = {
        use sqlx::Connection as _;
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("sealpost.db"));
        let mut db = sqlx::SqliteConnection::connect_with(&options).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'message.opened'")
            .fetch_one(&mut db)
            .await?;
        db.close().await?;
        count
    };
    let (fewest, most) = load.views();
    let before = (SESSIONS * WARM_UP + 1) as u64;
    ensure!(
        (before + fewest..=before + most).contains(&u64::try_from(opened_events)?),
        "{opened_events} access records for {} to {} views: every answered view must be recorded once",
        before + fewest,
        before + most
    );

    println!();
    println!("sealpost messages benchmark (release binary, SQLite, mail to a folder)");
    println!("{:-<78}", "");
    println!("100 MiB attachment through /portal/compose");
    println!(
        "  upload + seal + store        {:>9.2} s   ({:.1} MiB/s)",
        upload_time.as_secs_f64(),
        ATTACHMENT_BYTES as f64 / 1_048_576.0 / upload_time.as_secs_f64()
    );
    println!(
        "  server VmHWM since start     {:>9.1} MiB   (the sender's login: argon2)",
        mib(hwm_start)
    );
    println!(
        "  server VmHWM  before/after   {:>9.1} MiB -> {:.1} MiB   (+{:.1} MiB; peak {})",
        mib(hwm_before),
        mib(hwm_after),
        mib(hwm_after.saturating_sub(hwm_before)),
        if reset_upload {
            "reset before the upload"
        } else {
            "NOT reset: includes earlier work"
        }
    );
    println!(
        "  server VmRSS  before/after   {:>9.1} MiB -> {:.1} MiB",
        mib(rss_before),
        mib(rss_after)
    );
    println!("  blobs on disk after          {:>9.1} MiB", blobs as f64 / 1_048_576.0);
    load.print();
    println!(
        "  access records written       {:>9}   (one per view: {} warm-up + 1 + those measured{})",
        opened_events,
        SESSIONS * WARM_UP,
        load.extra_views()
    );
    println!(
        "  server VmRSS after {SESSIONS} logins {:>7.1} MiB   (each login hashes with argon2)",
        mib(rss_logins)
    );
    println!(
        "  server VmRSS before / after  {:>9.1} MiB -> {:.1} MiB, VmHWM during {:.1} MiB{}",
        mib(rss_load_before),
        mib(rss_load),
        mib(hwm_load),
        if reset_load { "" } else { " (NOT reset)" }
    );
    println!("{:-<78}", "");
    Ok(())
}

/// What the opened-message page measured: side by side with nginx, or (without
/// nginx or wrk) with the benchmark's own clients.
enum Load {
    SideBySide(SideBySide),
    InProcess(InProcess),
}

impl Load {
    fn print(&self) {
        match self {
            Load::SideBySide(s) => s.print(),
            Load::InProcess(i) => i.print(),
        }
    }

    /// The fewest and most views the server answered while measured.
    fn views(&self) -> (u64, u64) {
        match self {
            Load::SideBySide(s) => (s.sealpost.requests, s.sealpost.requests + SESSIONS as u64),
            Load::InProcess(i) => (i.times.len() as u64, i.times.len() as u64),
        }
    }

    /// How the measured views relate to the access records: wrk stops counting
    /// with requests still in flight, which the server answers and records.
    fn extra_views(&self) -> String {
        match self {
            Load::SideBySide(s) => format!(
                ": {} counted by wrk, plus those in flight at its end",
                s.sealpost.requests
            ),
            Load::InProcess(i) => format!(": {}", i.times.len()),
        }
    }
}

struct SideBySide {
    sealpost: WrkFigures,
    nginx: WrkFigures,
    page_bytes: usize,
}

/// `wrk -t2 -c32 -d10s --latency` on Sealpost's `/m/{id}` (each request with the
/// next of the 32 sessions' cookies) and then on nginx serving the same page bytes
/// from a file. With `SEALPOST_BENCH_PERF=<file>`, `perf record` samples the
/// server during its run into that file (`perf report --no-children -i <file>`),
/// with call stacks unwound from DWARF: the release build keeps no frame pointers,
/// so `-g` alone shows no Rust callers.
fn side_by_side(data: &Path, pid: u32, url: &str, browsers: &[Browser], page: &[u8]) -> anyhow::Result<SideBySide> {
    let dir = data.join("side-by-side");
    std::fs::create_dir_all(&dir)?;
    let cookies = browsers
        .iter()
        .map(Browser::cookie_header)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let run = WrkRun {
        threads: 2,
        connections: SESSIONS,
        duration: WRK_DURATION,
    };
    let perf = std::env::var_os("SEALPOST_BENCH_PERF").map(|file| {
        std::process::Command::new("perf")
            .args(["record", "--call-graph", "dwarf,16384", "-F", "499", "-o"])
            .arg(file)
            .args([
                "-p",
                &pid.to_string(),
                "--",
                "sleep",
                &(WRK_DURATION.as_secs() - 2).to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
    });
    let sealpost = run.run(&dir, url, &cookies)?;
    if let Some(perf) = perf {
        perf?.wait()?;
    }
    ensure!(
        sealpost.bytes_per_request >= page.len() as f64,
        "Sealpost answered {:.0} bytes a request, less than the page's {}: sessions lost?",
        sealpost.bytes_per_request,
        page.len()
    );
    let nginx = Nginx::serve(&dir.join("nginx"), "message.html", "text/html; charset=utf-8", page)?;
    let figures = run.run(&dir, &nginx.url, &[]);
    let log = nginx.error_log();
    drop(nginx);
    let figures = figures.with_context(|| format!("nginx's error log: {log}"))?;
    Ok(SideBySide {
        sealpost,
        nginx: figures,
        page_bytes: page.len(),
    })
}

impl SideBySide {
    fn print(&self) {
        println!(
            "GET /m/{{id}}, {} KB body ({} bytes of page), wrk -t2 -c{SESSIONS} -d{}s --latency, {SESSIONS} sessions",
            BODY_BYTES / 1000,
            self.page_bytes,
            WRK_DURATION.as_secs()
        );
        for (name, f) in [("sealpost", &self.sealpost), ("nginx, same bytes", &self.nginx)] {
            println!(
                "  {name:<18} {:>9.0} requests/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
                f.requests_per_second,
                ms(f.p50),
                ms(f.p99)
            );
        }
        println!(
            "  ratio sealpost / nginx       {:>9.3}x  (goal: >= 0.1x, p99 < 20 ms)",
            self.sealpost.requests_per_second / self.nginx.requests_per_second
        );
    }
}

struct InProcess {
    times: Vec<Duration>,
    wall: Duration,
}

/// Each session's client opens the page [`ROUNDS`] times, all at once.
async fn in_process(browsers: Vec<Browser>, url: &str) -> anyhow::Result<InProcess> {
    let load = Instant::now();
    let mut tasks = Vec::with_capacity(SESSIONS);
    for browser in browsers {
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(ROUNDS);
            for _ in 0..ROUNDS {
                times.push(open(&browser.http, &url).await?);
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::with_capacity(SESSIONS * ROUNDS);
    for task in tasks {
        times.extend(task.await??);
    }
    let wall = load.elapsed();
    times.sort();
    Ok(InProcess { times, wall })
}

impl InProcess {
    fn print(&self) {
        let times = &self.times;
        println!(
            "GET /m/{{id}}, {} KB body, {SESSIONS} concurrent sessions x {ROUNDS} requests (after {WARM_UP} warm-up each)",
            BODY_BYTES / 1000
        );
        println!(
            "  latency p50 / p99 / max      {:>9.2} ms / {:.2} ms / {:.2} ms",
            ms(percentile(times, 0.5)),
            ms(percentile(times, 0.99)),
            ms(times.last().copied().unwrap_or_default())
        );
        println!(
            "  throughput                   {:>9.0} requests/s ({} requests in {:.2} s)",
            times.len() as f64 / self.wall.as_secs_f64(),
            times.len(),
            self.wall.as_secs_f64()
        );
    }
}

/// Bytes of the files under `dir`.
fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
