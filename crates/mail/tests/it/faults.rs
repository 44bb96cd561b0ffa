//! Relays on a bad day: one that accepts connections and never answers, one that
//! stalls after `DATA`, one that is down for hours and comes back. Each is a real
//! TCP listener in the test (or the real aiosmtpd sink), driven by the real worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use async_trait::async_trait;
use sealpost_domain::ports::Clock as _;
use sealpost_domain::types::EmailAddress;
use sealpost_mail::{SendError, Transport};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::support::{ClosedPort, SmtpSink, Status};
use crate::worker::{Setup, relay_on, relay_to, setup};

/// Bounds the test's own waiting, so a worker that hangs fails the test instead of
/// hanging it. Not a timing assertion: the work is done long before.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// How a fake relay misbehaves.
#[derive(Clone, Copy)]
enum Fault {
    /// Accepts the connection and never says a word.
    Silent,
    /// Greets, accepts `EHLO`, `MAIL`, `RCPT` and `DATA`, reads the message, and
    /// never gives the final reply.
    StallAfterData,
}

/// A relay that misbehaves; the listener stops when dropped.
struct FakeRelay {
    port: u16,
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl FakeRelay {
    async fn start(fault: Fault) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                match fault {
                    Fault::Silent => held.push(stream),
                    Fault::StallAfterData => {
                        tokio::spawn(stall_after_data(stream));
                    }
                }
            }
        });
        Ok(Self { port, accepted, task })
    }

    /// An SMTP client for it, with a short timeout.
    fn relay(&self, timeout: Duration) -> Result<Arc<dyn Transport>> {
        relay_on(self.port, timeout)
    }
}

impl Drop for FakeRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Speaks SMTP up to the end of the message, then holds the connection silently.
async fn stall_after_data(stream: tokio::net::TcpStream) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 stall.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut in_data = false;
    while let Ok(Some(line)) = lines.next_line().await {
        if in_data {
            if line == "." {
                // The final reply never comes; keep the connection open.
                std::future::pending::<()>().await;
            }
            continue;
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 stall.test\r\n",
            "DATA" => {
                in_data = true;
                b"354 go ahead\r\n"
            }
            _ => b"250 OK\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Sends `stall*` recipients to one transport and everybody else to another: one
/// worker facing a hung conversation and a working relay at the same time.
struct Route {
    stall: Arc<dyn Transport>,
    others: Arc<dyn Transport>,
}

#[async_trait]
impl Transport for Route {
    async fn send(&self, to: &EmailAddress, envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        if to.as_str().starts_with("stall") {
            self.stall.send(to, envelope_from, raw).await
        } else {
            self.others.send(to, envelope_from, raw).await
        }
    }
}

/// Log lines written while the guard lives (the test runtime is single-threaded, so
/// this catches the worker's lanes too).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `run_once` under [`HANG_GUARD`].
async fn flush(s: &Setup) -> Result<usize> {
    match tokio::time::timeout(HANG_GUARD, s.worker.run_once()).await {
        Ok(attempted) => Ok(attempted?),
        Err(_) => anyhow::bail!("the outbox flush did not return within {HANG_GUARD:?}"),
    }
}

/// A relay that goes quiet costs one temporary failure, retried a minute later and
/// logged with the row and the reason.
async fn a_quiet_relay_fails_the_attempt_and_it_is_retried_and_logged(fault: Fault, step: &str) -> Result<()> {
    let relay = FakeRelay::start(fault).await?;
    let s = setup(relay.relay(Duration::from_secs(1))?)?;
    let id = s.queue_notification("bob@client.example", None)?;
    let logs = Logs::default();
    let guard = logs.capture();

    let attempted = flush(&s).await?;
    drop(guard);

    assert_eq!(attempted, 1);
    ensure!(
        relay.accepted.load(Ordering::SeqCst) >= 1,
        "the relay was never reached"
    );
    let row = s.store.row(id)?;
    assert_eq!((row.status, row.attempts), (Status::Pending, 1), "{row:?}");
    assert_eq!(row.next_attempt_at, s.at(60), "retried like any temporary failure");
    let error = row.last_error.unwrap_or_default();
    ensure!(
        error.contains("did not answer within 1.") && error.contains(step),
        "last error: {error}"
    );
    let logs = logs.text();
    ensure!(
        logs.lines().any(|line| line.contains("WARN")
            && line.contains("mail not delivered yet; will try again")
            && line.contains(&format!("outbox_id={id}"))
            && line.contains(step)),
        "no log line tells about the stuck delivery:\n{logs}"
    );
    Ok(())
}

#[tokio::test]
async fn a_relay_that_accepts_and_never_answers_is_a_temporary_failure_and_the_flush_returns() -> Result<()> {
    a_quiet_relay_fails_the_attempt_and_it_is_retried_and_logged(Fault::Silent, "to the connection and greeting").await
}

#[tokio::test]
async fn a_relay_that_stalls_after_data_is_a_temporary_failure_and_the_flush_returns() -> Result<()> {
    a_quiet_relay_fails_the_attempt_and_it_is_retried_and_logged(Fault::StallAfterData, "after the message was sent")
        .await
}

#[tokio::test]
async fn one_hung_delivery_does_not_hold_the_others_and_shutdown_does_not_wait_for_it() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let hung = FakeRelay::start(Fault::Silent).await?;
    // A timeout far longer than the test: the conversation stays hung throughout.
    let route = Route {
        stall: hung.relay(Duration::from_secs(600))?,
        others: relay_to(&sink)?,
    };
    let s = setup(Arc::new(route))?;
    let (store, clock, notifier, worker) = (s.store, s.clock, s.notifier, s.worker);
    let queue = |to: &str| crate::worker::queue_notification(&store, &notifier, &clock, to, None);
    // The hung one first: a worker that takes rows in order meets it before the rest.
    let stuck = queue("stall@client.example")?;
    let others = [
        queue("bob@client.example")?,
        queue("carol@client.example")?,
        queue("dave@client.example")?,
    ];
    let worker = worker.with_shutdown_grace(Duration::from_millis(200));
    let waker = worker.waker();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    waker.notify_one();

    let all_sent = || {
        others
            .iter()
            .all(|id| store.row(*id).is_ok_and(|row| row.status == Status::Sent))
    };
    let delivered = tokio::time::timeout(HANG_GUARD, async {
        while !all_sent() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    ensure!(
        delivered.is_ok(),
        "the other notifications were not delivered while one delivery hung: {:#?}",
        store.rows()
    );
    ensure!(sink.received()?.len() == 3, "{} mails arrived", sink.received()?.len());
    ensure!(
        hung.accepted.load(Ordering::SeqCst) == 1,
        "the hung delivery was not under way"
    );
    assert_eq!(store.row(stuck)?.status, Status::Sending, "still hung");

    // Shutdown does not wait for the hung conversation.
    let _ = stop.send(());
    ensure!(
        tokio::time::timeout(HANG_GUARD, running).await.is_ok(),
        "the worker did not stop while a delivery hung"
    );

    // Its lease brings the row back.
    let row = store.row(stuck)?;
    assert_eq!((row.status, row.attempts), (Status::Sending, 1));
    let lease = sealpost_mail::worker::DEFAULT_LEASE.as_secs().try_into()?;
    clock.advance_seconds(lease);
    let claimed = sealpost_domain::ports::OutboxStore::claim_outbox(
        store.as_ref(),
        clock.now(),
        clock.now().plus_seconds(lease),
        10,
    )
    .await?;
    ensure!(
        claimed.iter().map(|item| item.id).collect::<Vec<_>>() == [stuck],
        "the abandoned row did not come back: {claimed:?}"
    );
    Ok(())
}

/// Relay down: `count` notifications queued at the start back off through every
/// step to the 6-hour retries. Returns their ids; the clock is left where their last
/// attempt happened.
async fn outage(s: &Setup, count: usize) -> Result<Vec<i64>> {
    let ids = (0..count)
        .map(|n| s.queue_notification(&format!("waiting{n}@client.example"), None))
        .collect::<Result<Vec<_>>>()?;
    for round in 0..8 {
        assert_eq!(flush(s).await?, count, "round {round}: every row is attempted");
        let next = s.store.row(ids[0])?.next_attempt_at;
        s.clock.advance_seconds(next.seconds_since(s.clock.now()));
    }
    // The last round's retries are due now; take them too, so all wait 6 hours.
    assert_eq!(flush(s).await?, count);
    for id in &ids {
        let row = s.store.row(*id)?;
        ensure!(row.status == Status::Pending, "{row:?}");
        ensure!(
            row.next_attempt_at.seconds_since(s.clock.now()) == 6 * 60 * 60,
            "not yet at the 6-hour retries: {row:?}"
        );
    }
    Ok(ids)
}

/// The relay is down while `count` notifications fail (their ids), then answers
/// again; `None` where no SMTP sink can run.
async fn relay_back_after_outage(count: usize) -> Result<Option<(Setup, Vec<i64>, SmtpSink)>> {
    let closed = ClosedPort::hold()?;
    let s = setup(relay_on(closed.port()?, Duration::from_secs(10))?)?;
    let waiting = outage(&s, count).await?;
    Ok(SmtpSink::start_on(Some(closed.open()?))?.map(|sink| (s, waiting, sink)))
}

#[tokio::test]
async fn when_the_relay_answers_again_the_waiting_mail_follows_the_first_delivery_at_once() -> Result<()> {
    // The relay answers again; a new message is sent an hour later.
    let Some((s, waiting, sink)) = relay_back_after_outage(5).await? else {
        return Ok(());
    };
    let back = Instant::now();
    s.clock.advance_seconds(60 * 60);
    let fresh = s.queue_notification("fresh@client.example", None)?;
    let attempted = flush(&s).await?;
    let took = back.elapsed();

    assert_eq!(attempted, 6, "the new notification and the 5 waiting ones");
    for id in waiting.into_iter().chain([fresh]) {
        let row = s.store.row(id)?;
        ensure!(row.status == Status::Sent, "not delivered: {row:?}");
    }
    let received = sink.received()?;
    ensure!(received.len() == 6, "{} mails arrived", received.len());
    eprintln!(
        "relay back: the last of 5 waiting notifications was delivered {:.2} s after the relay answered again \
         (5 hours before their next retry was due)",
        took.as_secs_f64()
    );
    Ok(())
}

#[tokio::test]
async fn after_a_restart_the_first_retry_that_succeeds_brings_the_waiting_mail_along() -> Result<()> {
    let closed = ClosedPort::hold()?;
    let port = closed.port()?;
    let relay = || relay_on(port, Duration::from_secs(10));
    let s = setup(relay()?)?;
    let waiting = outage(&s, 4).await?;
    // One more notification, which failed only once: its retry comes first.
    let early = s.queue_notification("early@client.example", None)?;
    assert_eq!(flush(&s).await?, 1);
    assert_eq!(s.store.row(early)?.next_attempt_at, s.clock.now().plus_seconds(60));

    // The service restarts (a new worker knows nothing of the outage); the relay
    // answers again; a minute later the early retry is due, and only it.
    let Some(sink) = SmtpSink::start_on(Some(closed.open()?))? else {
        return Ok(());
    };
    let restarted = sealpost_mail::OutboxWorker::new(
        s.store.clone(),
        relay()?,
        s.clock.clone(),
        s.notifier.clone(),
        "sealpost@mail.example.com",
    )?;
    s.clock.advance_seconds(60);
    let attempted = tokio::time::timeout(HANG_GUARD, restarted.run_once()).await??;

    assert_eq!(attempted, 5, "the early retry and the 4 waiting ones");
    for id in waiting {
        let row = s.store.row(id)?;
        ensure!(row.status == Status::Sent, "not delivered: {row:?}");
    }
    ensure!(sink.received()?.len() == 5);
    Ok(())
}

#[tokio::test]
async fn flush_all_sends_every_waiting_row_now() -> Result<()> {
    let Some((s, waiting, sink)) = relay_back_after_outage(3).await? else {
        return Ok(());
    };

    assert_eq!(flush(&s).await?, 0, "nothing is due by itself");
    assert_eq!(s.worker.bring_forward().await?, 3);
    assert_eq!(flush(&s).await?, 3);

    for id in waiting {
        let row = s.store.row(id)?;
        ensure!(row.status == Status::Sent, "not delivered: {row:?}");
    }
    ensure!(sink.received()?.len() == 3);
    Ok(())
}
