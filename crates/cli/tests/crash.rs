//! A crash mid-delivery loses no notification (DESIGN §7: at-least-once, stable
//! `Message-ID`), checked on the real `sealpost` binary and a real SMTP server.
//!
//! The story: a sender sends a burst of messages through the web portal; the outbox
//! worker delivers them one by one to a slow relay (the aiosmtpd sink of the test
//! kit, `crates/testkit/smtp_sink.py --delay-ms`); the server is killed with
//! SIGKILL while delivery is under way; it is started again on the same data
//! folder; every recipient then receives their notification, a repeated one
//! carrying the same `Message-ID`.
//!
//! The killed worker held at most one row per delivery lane (`sending`, leased): on
//! SQLite, which serves one process, the restarted server hands leftover leases back
//! at start, so every notification, the held ones included, leaves promptly after
//! the restart.
//!
//! A second story: the relay accepts connections and never answers. SIGTERM still
//! stops the server within its bound, `sealpost outbox flush` returns with the mail
//! waiting, and once the relay works again `sealpost outbox flush --all` sends it.
//!
//! Needs python3 with aiosmtpd (`pip install aiosmtpd`); `SEALPOST_SKIP_SMTP=1`
//! skips it where that is missing.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use sealpost_testkit::smtp::SinkOptions;
use sealpost_testkit::{Browser, ClosedPort, Mailbox, Received, Sealpost, Server, SmtpSink};
use sqlx::Connection as _;

use support::{execute, open_db, scalar};

/// Messages in the burst.
const MESSAGES: usize = 20;
/// Each message goes to one `To` and one `Cc` recipient.
const RECIPIENTS_PER_MESSAGE: usize = 2;
/// The sink's pause before each 250: makes delivery of the burst take seconds.
const SINK_DELAY_MS: u64 = 150;
/// The kill comes once the sink holds this many mails: past the worker's first,
/// small claim (made when the first message was queued), inside a full batch.
const KILL_AFTER: usize = 3;
/// How long each phase may take before the test gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(30);
const SENDER: &str = "sender@crash.example";
const PASSWORD: &str = "Crash-Test-Passphrase-1";

// --- child processes, killed when dropped ----------------------------------------------

/// The slow relay: the sink of the test kit, pausing before each 250.
fn sink(port: Option<u16>) -> Result<Option<SmtpSink>> {
    SmtpSink::start_with(SinkOptions {
        port,
        delay: Duration::from_millis(SINK_DELAY_MS),
    })
}

/// The binary on the test's data folder.
fn installation(data: &Path) -> Sealpost {
    Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data)
}

/// A sender who administers an account, added through the binary.
fn sender(data: &Path, name: (&str, &str), account: &str) -> Result<()> {
    let sealpost = installation(data);
    sealpost.add_user(SENDER, name, PASSWORD, Mailbox::Unproven)?;
    sealpost.create_account(account, SENDER)?;
    Ok(())
}

/// Starts `serve` on `data` with mail going to the relay on `relay_port` and more
/// `SEALPOST_*` settings; returns once it answers.
async fn serve(data: &Path, relay_port: u16, settings: &[(&str, &str)]) -> Result<Server> {
    installation(data)
        .serve()
        .relay(relay_port)
        .env("SEALPOST_MAIL_FROM", "Sealpost <sealpost@crash.example>")
        .envs(settings)
        .start()
        .await
}

/// Runs `sealpost outbox flush` with mail going to `relay_port`, and fails if it
/// does not return within [`PHASE_LIMIT`]. Returns what it printed and how long it took.
fn flush(data: &Path, relay_port: u16, extra: &[&str], settings: &[(&str, &str)]) -> Result<(String, Duration)> {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealpost"))
        .args(["outbox", "flush"])
        .args(extra)
        .env("SEALPOST_DATA_DIR", data)
        .env("SEALPOST_LOG", "warn")
        .env("SEALPOST_SMTP_HOST", "127.0.0.1")
        .env("SEALPOST_SMTP_PORT", relay_port.to_string())
        .env("SEALPOST_SMTP_TLS", "none")
        .env("SEALPOST_MAIL_FROM", "Sealpost <sealpost@crash.example>")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if started.elapsed() > PHASE_LIMIT {
            let _ = child.kill();
            let output = child.wait_with_output()?;
            bail!(
                "sealpost outbox flush {extra:?} still runs after {PHASE_LIMIT:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    let output = child.wait_with_output()?;
    ensure!(
        output.status.success(),
        "sealpost outbox flush {extra:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((String::from_utf8_lossy(&output.stdout).into_owned(), took))
}

// --- the web portal ---------------------------------------------------------------------

/// Sends one message through `/portal/compose`; returns its public id.
async fn compose(client: &reqwest::Client, base: &str, to: &str, cc: &str, n: usize) -> Result<String> {
    let subject = format!("Burst message {n}");
    let body = format!("Message {n} of a burst sent just before a crash.");
    let fields = [("to", to), ("cc", cc), ("subject", &subject), ("body", &body)];
    let answer = sealpost_testkit::compose(client, base, &fields, Vec::new()).await?;
    let id = answer.sent_id().unwrap_or_default().to_owned();
    ensure!(
        answer.status == 303 && id.len() == 32,
        "message {n} was not sent: {} {:?}: {}",
        answer.status,
        answer.location,
        answer.body
    );
    Ok(id)
}

// --- the outbox as stored ---------------------------------------------------------------

/// One notification row of the outbox.
#[derive(Debug, Clone)]
struct Row {
    message_id_header: String,
    status: String,
}

/// The notification rows, by recipient address.
async fn outbox(data: &Path) -> Result<BTreeMap<String, Row>> {
    let mut db = open_db(data).await?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT to_email, message_id_header, status FROM outbox WHERE kind = 'notification' ORDER BY id",
    )
    .fetch_all(&mut db)
    .await?;
    db.close().await?;
    Ok(rows
        .into_iter()
        .map(|(to, message_id_header, status)| {
            (
                to.to_lowercase(),
                Row {
                    message_id_header,
                    status,
                },
            )
        })
        .collect())
}

/// Received mails per recipient address.
fn by_recipient(received: &[Received]) -> BTreeMap<String, Vec<Option<String>>> {
    let mut map: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for mail in received {
        for to in &mail.rcpt_tos {
            map.entry(to.to_lowercase()).or_default().push(mail.message_id());
        }
    }
    map
}

/// Waits until every address in `expected` has received at least one mail.
async fn wait_for(sink: &SmtpSink, expected: &BTreeSet<String>, what: &str) -> Result<Duration> {
    let started = Instant::now();
    loop {
        let got = by_recipient(&sink.received()?);
        let missing: Vec<&String> = expected.iter().filter(|a| !got.contains_key(*a)).collect();
        if missing.is_empty() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > PHASE_LIMIT {
            bail!(
                "{what}: {} notification(s) still missing after {PHASE_LIMIT:?}: {missing:?}",
                missing.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every notification row is marked sent.
async fn wait_until_all_sent(data: &Path) -> Result<Duration> {
    let started = Instant::now();
    loop {
        let rows = outbox(data).await?;
        if rows.values().all(|row| row.status == "sent") {
            return Ok(started.elapsed());
        }
        ensure!(
            started.elapsed() < PHASE_LIMIT,
            "rows not marked sent after {PHASE_LIMIT:?}: {:?}",
            rows.values().filter(|r| r.status != "sent").collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_notification_arrives_after_the_server_is_killed_mid_delivery() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let Some(sink) = sink(None)? else {
        return Ok(());
    };
    let data = dir.path().join("data");
    sender(&data, ("Crash", "Sender"), "Crash Corp")?;

    // The burst.
    let total = MESSAGES * RECIPIENTS_PER_MESSAGE;
    let server = serve(&data, sink.port, &[]).await?;
    let client = Browser::portal(&server.base, SENDER, PASSWORD).await?.http;
    let mut expected = BTreeSet::new();
    let burst = Instant::now();
    for n in 0..MESSAGES {
        let (to, cc) = (format!("m{n:02}-to@crash.example"), format!("m{n:02}-cc@crash.example"));
        compose(&client, &server.base, &to, &cc, n).await?;
        expected.insert(to);
        expected.insert(cc);
    }
    let burst_time = burst.elapsed();

    // The crash, once delivery is under way.
    let started = Instant::now();
    while sink.received()?.len() < KILL_AFTER {
        ensure!(
            started.elapsed() < PHASE_LIMIT,
            "no notification reached the sink within {PHASE_LIMIT:?}:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill()?;
    let at_kill = sink.received()?.len();
    ensure!(
        at_kill < total,
        "all {total} notifications were delivered before the kill (the burst took {burst_time:?}): \
         raise SINK_DELAY_MS so the crash lands mid-delivery"
    );

    let rows = outbox(&data).await?;
    ensure!(
        rows.len() == total && rows.keys().cloned().collect::<BTreeSet<_>>() == expected,
        "the outbox holds {} notification rows for {total} recipients: {:?}",
        rows.len(),
        rows.keys().collect::<Vec<_>>()
    );
    let leased: BTreeMap<String, Row> = rows
        .iter()
        .filter(|(_, row)| row.status == "sending")
        .map(|(to, row)| (to.clone(), row.clone()))
        .collect();

    // Each lane holds at most its batch (a backlog is claimed a few rows at a time).
    let batches = sealpost_mail::worker::DEFAULT_LANES * sealpost_mail::worker::MAX_BATCH as usize;
    ensure!(
        leased.len() <= batches,
        "a worker holds at most its lanes' batches ({batches} rows); {} were leased",
        leased.len()
    );

    // The restart: everything leaves promptly, what the crash held included.
    let server = serve(&data, sink.port, &[]).await?;
    let restart_time = wait_for(&sink, &expected, "after the restart").await?;

    // The outbox agrees: every row sent (the stranded ones by the restarted worker,
    // as the killed one never recorded them), every recipient marked notified.
    wait_until_all_sent(&data).await?;
    let unnotified = scalar(
        &data,
        "SELECT COUNT(*) FROM message_recipients WHERE notified_at IS NULL",
    )
    .await?;
    ensure!(unnotified == 0, "{unnotified} recipient(s) not marked notified");
    let log = server.log_text();
    server.kill()?;

    // At least once, and a repetition is recognisably the same mail.
    let received = sink.received()?;
    let got = by_recipient(&received);
    ensure!(
        got.keys().cloned().collect::<BTreeSet<_>>() == expected,
        "mail went to unexpected addresses: {:?}",
        got.keys().collect::<Vec<_>>()
    );
    let mut duplicates = 0;
    for (to, ids) in &got {
        let row = rows.get(to).context("no row")?;
        ensure!(
            ids.iter()
                .all(|id| id.as_deref() == Some(row.message_id_header.as_str())),
            "{to} received Message-IDs {ids:?}, the outbox row holds {:?}",
            row.message_id_header
        );
        duplicates += ids.len() - 1;
    }
    ensure!(
        received.len() == total + duplicates,
        "{} mails, {total} + {duplicates} expected",
        received.len()
    );
    eprintln!(
        "crash test: {total} notifications ({MESSAGES} messages x {RECIPIENTS_PER_MESSAGE}); burst composed in \
         {burst_time:.1?}; killed with {at_kill} received and {} row(s) leased ({} not yet sent); after the restart \
         every notification had arrived within {restart_time:.1?}; {duplicates} duplicate(s), each with its \
         original Message-ID",
        leased.len(),
        total.saturating_sub(at_kill),
    );
    if log.contains("ERROR") {
        eprintln!("server log after the restart:\n{log}");
    }
    Ok(())
}

/// A relay that accepts connections and never says a word; counts what it accepted.
struct SilentRelay {
    port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl SilentRelay {
    fn start() -> Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        // Holds every connection open until the test process ends.
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(stream);
            }
        });
        Ok(Self { port, accepted })
    }

    fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The single notification row: (status, attempts, last error).
async fn the_notification(data: &Path) -> Result<(String, i64, Option<String>)> {
    let mut db = open_db(data).await?;
    let row = sqlx::query_as("SELECT status, attempts, last_error FROM outbox WHERE kind = 'notification'")
        .fetch_one(&mut db)
        .await?;
    db.close().await?;
    Ok(row)
}

#[tokio::test]
async fn a_relay_that_never_answers_neither_keeps_the_server_from_stopping_nor_hangs_the_flush() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    sender(&data, ("Hung", "Relay"), "Hung Corp")?;
    let relay = SilentRelay::start()?;

    // A message goes out while the relay hangs; a timeout longer than the test keeps
    // the delivery in flight when SIGTERM comes.
    let mut server = serve(&data, relay.port, &[("SEALPOST_SMTP_TIMEOUT_SECS", "600")]).await?;
    let client = Browser::portal(&server.base, SENDER, PASSWORD).await?.http;
    compose(&client, &server.base, "bob@hung.example", "", 0).await?;
    let started = Instant::now();
    while relay.accepted() == 0 {
        ensure!(
            started.elapsed() < PHASE_LIMIT,
            "the worker never reached the relay:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let stop_time = server.terminate(PHASE_LIMIT)?;
    let grace = sealpost_mail::worker::DEFAULT_SHUTDOWN_GRACE;
    ensure!(
        stop_time < grace + Duration::from_secs(10),
        "SIGTERM took {stop_time:?} with a delivery hanging (grace {grace:?})"
    );
    let log = server.log_text();
    ensure!(
        log.contains("deliveries unfinished"),
        "the log does not say that a delivery was left to its lease:\n{log}"
    );
    let (status, attempts, _) = the_notification(&data).await?;
    ensure!(
        (status.as_str(), attempts) == ("sending", 1),
        "{status} after {attempts} attempt(s)"
    );

    // Its lease runs out (five minutes, taken as past here); a flush against the
    // still silent relay returns, the mail waiting for its retry.
    execute(&data, "UPDATE outbox SET lease_until = 0 WHERE status = 'sending'").await?;
    let (printed, flush_time) = flush(&data, relay.port, &[], &[("SEALPOST_SMTP_TIMEOUT_SECS", "1")])?;
    ensure!(
        printed.contains("1 queued email(s) attempted; 1 still waiting"),
        "the flush said: {printed}"
    );
    let (status, attempts, error) = the_notification(&data).await?;
    let error = error.unwrap_or_default();
    ensure!(
        status == "pending" && attempts == 2 && error.contains("did not answer within"),
        "{status} after {attempts} attempt(s): {error}"
    );

    // The relay works again (a real one now). A plain flush leaves the retry for
    // its time; `--all` sends it at once.
    let Some(sink) = sink(None)? else {
        return Ok(());
    };
    let back = Instant::now();
    let (printed, _) = flush(&data, sink.port, &[], &[])?;
    ensure!(
        printed.starts_with("0 queued email(s) attempted"),
        "the flush said: {printed}"
    );
    let (printed, _) = flush(&data, sink.port, &["--all"], &[])?;
    ensure!(
        printed.contains("1 waiting email(s) made due now")
            && printed.contains("1 queued email(s) attempted; 0 still waiting"),
        "the flush said: {printed}"
    );
    let expected = BTreeSet::from(["bob@hung.example".to_owned()]);
    wait_for(&sink, &expected, "after flush --all").await?;
    let delivered = back.elapsed();
    ensure!(the_notification(&data).await?.0 == "sent");
    eprintln!(
        "hung relay: SIGTERM with a delivery hanging stopped the server in {stop_time:.2?}; `sealpost outbox flush` \
         against the silent relay (timeout 1 s) returned in {flush_time:.2?}; once the relay answered again, \
         `sealpost outbox flush --all` had the waiting notification delivered {delivered:.2?} later"
    );
    Ok(())
}

#[tokio::test]
async fn when_the_relay_answers_again_the_waiting_mail_follows_the_next_delivery() -> Result<()> {
    const WAITING: usize = 5;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    sender(&data, ("Outage", "Sender"), "Outage Corp")?;

    // The relay is down: nothing listens on its port (held, so that no other
    // test's socket takes it meanwhile). Every notification fails once and waits
    // for its retry a minute later.
    let closed = ClosedPort::hold()?;
    let relay_port = closed.port()?;
    let server = serve(&data, relay_port, &[]).await?;
    let client = Browser::portal(&server.base, SENDER, PASSWORD).await?.http;
    let mut expected = BTreeSet::new();
    for n in 0..WAITING {
        let to = format!("waiting{n}@outage.example");
        compose(&client, &server.base, &to, "", n).await?;
        expected.insert(to);
    }
    let started = Instant::now();
    loop {
        let failed = scalar(
            &data,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 1 AND last_error IS NOT NULL",
        )
        .await?;
        if usize::try_from(failed)? == WAITING {
            break;
        }
        ensure!(
            started.elapsed() < PHASE_LIMIT,
            "the notifications did not fail against the closed port:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The relay answers again, and the next message is sent: everything that
    // waited follows it, long before the minute of its retry is over.
    let Some(sink) = sink(Some(closed.open()?))? else {
        return Ok(());
    };
    let back = Instant::now();
    compose(&client, &server.base, "fresh@outage.example", "", WAITING).await?;
    expected.insert("fresh@outage.example".to_owned());
    wait_for(&sink, &expected, "after the relay came back").await?;
    let all_delivered = back.elapsed();
    wait_until_all_sent(&data).await?;
    server.kill()?;
    eprintln!(
        "relay back: {WAITING} notifications waiting for their retry and 1 new one were all delivered \
         {all_delivered:.2?} after the relay answered again (their retry was due up to a minute later)"
    );
    Ok(())
}
