//! Benchmark of the SMTP gateway against Postfix, in the same run: messages per
//! second accepted with 250 by the real `sealpost serve` (release build, SQLite,
//! the outbox worker delivering the notifications meanwhile) and by a real
//! Postfix instance of the benchmark's own that accepts into its queue and
//! delivers nothing (hold), and their ratio. Three rounds of each, in turn, the
//! gateway's notifications all delivered before Postfix's round starts; the
//! medians are compared (this machine's speed drifts by half from one run to the
//! next). Prints figures; asserts only that every message got its 250 and that
//! Postfix held them all.
//!
//! The load is the issue's: 10 KB messages over 20 parallel sessions, one message
//! per connection (as Postfix's `smtp-source -s 20 -l 10240 -m N` sends them).
//! `smtp-source` does not authenticate and the gateway takes no mail without AUTH
//! (it has no trusted-network mode), so both sides are driven by the benchmark's
//! own client (`sealpost_testkit::SmtpClient`, one thread per session): connect,
//! EHLO, AUTH PLAIN with the account token (the gateway only), MAIL, RCPT, DATA,
//! QUIT. `smtp-source` itself is run against Postfix too, to show that the
//! benchmark's client is not what limits Postfix.
//!
//! Each message is sealed, stored with its recipient and notification in one
//! transaction synced to disk, and answered 250 only then; Postfix syncs its
//! queue file before its 250 likewise.
//!
//! Where the gateway's notifications go while it is measured: by default over
//! SMTP, in plain text, to Postfix's `smtp-sink` on a loopback port, which answers
//! 250 and keeps nothing. That is production's path (`smtp_host`: the outbox
//! hands each notification to the organisation's relay, on another machine, whose
//! disk is not the gateway's); the delivery's whole work on this side (claim, SMTP
//! transaction, record of the delivery) stays in the measure.
//! `SEALPOST_BENCH_RELAY=folder` delivers them into a mail folder on this same
//! disk instead (the development default of `serve`), which also charges the
//! gateway's rounds with the relay's own writes and syncs.
//!
//! Run: `cargo bench -p sealpost-cli --bench gateway` (as root, Postfix
//! installed; `SEALPOST_BENCH_MESSAGES=N` changes the count, 2000 by default;
//! `SEALPOST_BENCH_PERF=/tmp/perf.data` records the server with `perf record -g`
//! during the gateway run; `SEALPOST_BENCH_TRACE=/tmp/serve.log` keeps the server's
//! log there with every SQL statement, `sqlx::query=debug`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use sealpost_testkit::binary::Serve;
use sealpost_testkit::postfix::{Postfix, Route};
use sealpost_testkit::{Mailbox, Sealpost, SmtpClient, free_port, message_of_size};

const SESSIONS: usize = 20;
const MESSAGE_BYTES: usize = 10 * 1024;
const SENDER: &str = "ann@bench.example";
const RECIPIENT: &str = "dana@recipient.example";
/// Messages sent before the clock starts, on each side.
const WARM_UP: usize = 200;
/// Rounds of each side, in turn.
const ROUNDS: usize = 3;

/// The middle value of `rates` (sorted in place).
fn median(rates: &mut [f64]) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates.get(rates.len() / 2).copied().unwrap_or(0.0)
}

/// Where the gateway's notifications are delivered during the benchmark.
enum Relay {
    /// Postfix's `smtp-sink` on 127.0.0.1:`port`: answers 250, keeps nothing.
    /// The count of deliveries is read from the server's metrics listener.
    Sink { sink: Child, port: u16, metrics: u16 },
    /// A mail folder on this disk (`serve`'s default), one file an email.
    Folder(std::path::PathBuf),
}

impl Relay {
    /// The relay `SEALPOST_BENCH_RELAY` names (`sink` unless set to `folder`).
    fn from_env(data: &std::path::Path) -> anyhow::Result<Self> {
        match std::env::var("SEALPOST_BENCH_RELAY").as_deref() {
            Ok("folder") => Ok(Self::Folder(data.join("mail"))),
            Ok("sink") | Err(_) => {
                let port = free_port()?;
                let sink = Command::new("/usr/sbin/smtp-sink")
                    // As root, smtp-sink must drop its privileges once listening.
                    .args(["-u", "nobody", &format!("127.0.0.1:{port}"), "256"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .context("while starting /usr/sbin/smtp-sink (apt-get install postfix)")?;
                Ok(Self::Sink {
                    sink,
                    port,
                    metrics: free_port()?,
                })
            }
            Ok(other) => bail!("SEALPOST_BENCH_RELAY={other:?}: sink or folder"),
        }
    }

    /// `serve` configured to deliver to this relay.
    fn configure(&self, serve: Serve) -> Serve {
        match self {
            Self::Sink { port, metrics, .. } => serve
                .relay(*port)
                .env("SEALPOST_METRICS_LISTEN", &format!("127.0.0.1:{metrics}")),
            Self::Folder(_) => serve,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Sink { .. } => "to smtp-sink over SMTP",
            Self::Folder(_) => "into a mail folder on this disk",
        }
    }

    /// How many notifications have been delivered so far.
    async fn delivered(&self) -> anyhow::Result<usize> {
        match self {
            Self::Folder(dir) => Ok(std::fs::read_dir(dir).map_or(0, Iterator::count)),
            Self::Sink { metrics, .. } => {
                let text = reqwest::get(format!("http://127.0.0.1:{metrics}/metrics"))
                    .await?
                    .text()
                    .await?;
                let sent = text
                    .lines()
                    .find(|line| line.starts_with("sealpost_mail_deliveries_total{outcome=\"sent\"}"))
                    .and_then(|line| line.rsplit(' ').next())
                    .map_or(Ok(0.0), str::parse::<f64>)?;
                Ok(sent as usize)
            }
        }
    }

    /// Waits until `count` notifications have been delivered (the outbox sent
    /// every one), for at most two minutes.
    async fn wait_delivered(&self, count: usize) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let delivered = self.delivered().await?;
            if delivered >= count {
                return Ok(());
            }
            ensure!(
                started.elapsed() < Duration::from_secs(120),
                "{delivered} of {count} notifications delivered after two minutes"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Self::Sink { sink, .. } = self {
            let _ = sink.kill();
            let _ = sink.wait();
        }
    }
}

/// Sends `count` messages over [`SESSIONS`] parallel sessions, one message per
/// connection, authenticating with `token` when given; returns the time taken.
fn load(port: u16, token: Option<&str>, count: usize) -> anyhow::Result<Duration> {
    let message = message_of_size(SENDER, RECIPIENT, "Benchmark", MESSAGE_BYTES);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let sessions: Vec<_> = (0..SESSIONS)
            .map(|session| {
                let message = &message;
                // The first sessions take one more when `count` does not divide.
                let share = count / SESSIONS + usize::from(session < count % SESSIONS);
                scope.spawn(move || -> anyhow::Result<()> {
                    for _ in 0..share {
                        let mut client = SmtpClient::connect(port)?;
                        if let Some(token) = token {
                            client.login(token)?;
                        }
                        let answer = client.send(SENDER, &[RECIPIENT], message)?;
                        ensure!(answer.starts_with("250"), "a message was refused: {answer}");
                        client.quit();
                    }
                    Ok(())
                })
            })
            .collect();
        for session in sessions {
            match session.join() {
                Ok(result) => result?,
                Err(_) => bail!("a client thread panicked"),
            }
        }
        Ok(())
    })?;
    Ok(started.elapsed())
}

/// Bytes the process `pid` has caused to be written to disk so far
/// (`write_bytes` of `/proc/<pid>/io`), when the system tells.
fn written(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("write_bytes: "))?
        .trim()
        .parse()
        .ok()
}

/// CPU time the process `pid` has used so far, user and system (`utime` and
/// `stime` of `/proc/<pid>/stat`, in clock ticks of 1/100 s on Linux).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn rate(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

/// `perf record -g` on `pid` until the returned child is interrupted.
fn perf_record(pid: u32, output: &str) -> anyhow::Result<Child> {
    Command::new("perf")
        .args(["record", "-g", "-o", output, "-p", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("while starting perf (apt-get install linux-perf)")
}

/// `smtp-source` against 127.0.0.1:`port`: the same load from Postfix's own
/// load generator; returns the time taken.
fn smtp_source(port: u16, count: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = Command::new("/usr/sbin/smtp-source")
        .args(["-s", &SESSIONS.to_string(), "-l", &MESSAGE_BYTES.to_string()])
        .args(["-m", &count.to_string(), "-f", SENDER, "-t", RECIPIENT])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .context("while running /usr/sbin/smtp-source")?;
    let took = started.elapsed();
    ensure!(
        output.status.success(),
        "smtp-source failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(took)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::var("SEALPOST_BENCH_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), &data);
    sealpost.add_user(SENDER, ("Ann", "Bench"), "Bench-Passphrase-42", Mailbox::Vouched)?;
    let number = sealpost.create_account("Bench Corp", SENDER)?;
    let token = sealpost.smtp_token(&number, "bench")?;
    let gateway_port = free_port()?;
    let trace = std::env::var("SEALPOST_BENCH_TRACE").ok();
    let relay = Relay::from_env(&data)?;
    let serve = relay.configure(
        sealpost
            .serve()
            .env("SEALPOST_GATEWAY_LISTEN", &format!("127.0.0.1:{gateway_port}")),
    );
    let server = match &trace {
        Some(log) => serve
            .log_level("warn,sqlx::query=debug")
            .log_file(std::path::Path::new(log)),
        None => serve.log_file(&dir.path().join("serve.log")),
    }
    .start()
    .await?;

    let Some(postfix) = Postfix::start(&Route::Hold)? else {
        println!("Postfix side NOT measured: Postfix cannot run here");
        return Ok(());
    };
    load(gateway_port, Some(&token), WARM_UP)?;
    relay.wait_delivered(WARM_UP).await?;
    load(postfix.port, None, WARM_UP)?;

    // Rounds in turn, each side on a quiet machine: the gateway's notifications
    // are all delivered before Postfix's round starts (both sides keep what they
    // took, so a round starts where the last left off). The machine's speed drifts
    // from one second to the next: the medians are compared.
    let (mut gateway_rates, mut postfix_rates) = (Vec::new(), Vec::new());
    let (written_before, cpu_before) = (written(server.pid()), cpu_time(server.pid()));
    for round in 1..=ROUNDS {
        let perf = match std::env::var("SEALPOST_BENCH_PERF") {
            Ok(output) if round == 1 => Some(perf_record(server.pid(), &output)?),
            _ => None,
        };
        let took = tokio::task::block_in_place(|| load(gateway_port, Some(&token), count))?;
        if let Some(perf) = perf {
            Command::new("kill").args(["-INT", &perf.id().to_string()]).status()?;
            perf.wait_with_output()?;
        }
        gateway_rates.push(rate(count, took));
        relay.wait_delivered(WARM_UP + round * count).await?;
        let took = load(postfix.port, None, count)?;
        postfix_rates.push(rate(count, took));
        println!(
            "round {round}: gateway {:.0} msg/s (notifications then delivered), postfix {:.0} msg/s (same client)",
            gateway_rates[round - 1],
            postfix_rates[round - 1]
        );
    }
    let written_per_message = written_before
        .zip(written(server.pid()))
        .map(|(before, after)| after.saturating_sub(before) / (ROUNDS * count) as u64);
    let cpu_per_message = cpu_before
        .zip(cpu_time(server.pid()))
        .map(|(before, after)| after.saturating_sub(before) / u32::try_from(ROUNDS * count).unwrap_or(u32::MAX));
    drop(server);
    let source_time = smtp_source(postfix.port, count)?;
    let held = postfix.held();
    ensure!(
        held == WARM_UP + (ROUNDS + 1) * count,
        "Postfix holds {held} messages, {} were sent",
        WARM_UP + (ROUNDS + 1) * count
    );
    let (gateway_rate, postfix_rate) = (median(&mut gateway_rates), median(&mut postfix_rates));
    println!(
        "gateway: {count} messages of {MESSAGE_BYTES} B over {SESSIONS} sessions (AUTH each), notifications delivered \
         {}, median of {ROUNDS}: {gateway_rate:.0} msg/s",
        relay.describe()
    );
    if let Some(bytes) = written_per_message {
        println!("gateway: the server wrote {bytes} B to disk per message (sealing, storing, delivering)");
    }
    if let Some(cpu) = cpu_per_message {
        println!(
            "gateway: the server used {} µs of CPU per message (user and system, sealing, storing, delivering)",
            cpu.as_micros()
        );
    }
    println!(
        "postfix: the same, same client, median of {ROUNDS}: {postfix_rate:.0} msg/s; with smtp-source -s {SESSIONS} \
         -l {MESSAGE_BYTES} -m {count}: {:.2} s, {:.0} msg/s",
        source_time.as_secs_f64(),
        rate(count, source_time)
    );
    println!(
        "ratio gateway/postfix: {:.2}x (medians, same client), {:.2}x (against smtp-source); rounds: {}",
        gateway_rate / postfix_rate,
        gateway_rate / rate(count, source_time),
        gateway_rates
            .iter()
            .zip(&postfix_rates)
            .map(|(g, p)| format!("{:.2}x", g / p))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
