//! The outbox worker's decisions, delivering to a real SMTP server and to a real
//! directory, with time under the test's control.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use mail_parser::MessageParser;
use sealpost_domain::messages::{MailKind, MessageId, NewOutboxItem};
use sealpost_domain::ports::{Clock as _, FakeClock, Notifier as _};
use sealpost_domain::types::{EmailAddress, Locale, Timestamp};
use sealpost_mail::{MailDir, MailNotifier, OutboxWorker, SendError, SmtpRelay, SmtpRelayConfig, TlsMode, Transport};

use crate::support::{
    FakeStore, Received, SmtpSink, Status, address, alices_notification, clock, notifier, without_final_crlf,
};

const FOUR_DAYS: i64 = 4 * 24 * 60 * 60;

pub(crate) struct Setup {
    pub(crate) store: Arc<FakeStore>,
    pub(crate) clock: Arc<FakeClock>,
    pub(crate) notifier: Arc<MailNotifier>,
    pub(crate) worker: OutboxWorker,
}

pub(crate) fn setup(transport: Arc<dyn Transport>) -> Result<Setup> {
    let store = Arc::new(FakeStore::default());
    let clock = clock();
    let notifier = notifier(clock.clone())?;
    let worker = OutboxWorker::new(
        store.clone(),
        transport,
        clock.clone(),
        notifier.clone(),
        "Sealpost <sealpost@mail.example.com>",
    )?;
    Ok(Setup {
        store,
        clock,
        notifier,
        worker,
    })
}

/// An SMTP relay client for 127.0.0.1:`port`, without TLS.
pub(crate) fn relay_on(port: u16, timeout: Duration) -> Result<Arc<dyn Transport>> {
    let mut config = SmtpRelayConfig::new("127.0.0.1");
    config.port = Some(port);
    config.tls = TlsMode::None;
    config.timeout = timeout;
    Ok(Arc::new(SmtpRelay::new(config)?))
}

/// A worker relaying to a fresh SMTP sink; `None` where the sink cannot run.
fn relaying_to_a_sink() -> Result<Option<(SmtpSink, Setup)>> {
    let Some(sink) = SmtpSink::start()? else {
        return Ok(None);
    };
    let s = setup(relay_to(&sink)?)?;
    Ok(Some((sink, s)))
}

pub(crate) fn relay_to(sink: &SmtpSink) -> Result<Arc<dyn Transport>> {
    relay_on(sink.port, Duration::from_secs(10))
}

/// Queues Alice's notification to `to`; bounces go to `bounce_to`.
pub(crate) fn queue_notification(
    store: &FakeStore,
    notifier: &MailNotifier,
    clock: &FakeClock,
    to: &str,
    bounce_to: Option<(&str, Locale)>,
) -> Result<i64> {
    let recipient = address(to)?;
    let mail = alices_notification(notifier, &recipient, Locale::En, 9, clock.now(), None)?;
    let bounce_to = match bounce_to {
        Some((address_text, locale)) => Some((address(address_text)?, locale)),
        None => None,
    };
    Ok(store.push(NewOutboxItem {
        kind: MailKind::Notification,
        to: recipient,
        mail,
        message: Some(MessageId(42)),
        bounce_to,
        created_at: clock.now(),
    }))
}

impl Setup {
    pub(crate) fn queue_notification(&self, to: &str, bounce_to: Option<(&str, Locale)>) -> Result<i64> {
        queue_notification(&self.store, &self.notifier, &self.clock, to, bounce_to)
    }

    pub(crate) fn at(&self, seconds_after_start: i64) -> Timestamp {
        crate::support::START.plus_seconds(seconds_after_start)
    }
}

fn subject(received: &Received) -> Result<String> {
    let message = MessageParser::default()
        .parse(&received.raw)
        .context("unparseable mail")?;
    Ok(message.subject().unwrap_or_default().to_owned())
}

fn text_body(received: &Received) -> Result<String> {
    let message = MessageParser::default()
        .parse(&received.raw)
        .context("unparseable mail")?;
    Ok(message.body_text(0).unwrap_or_default().into_owned())
}

/// The one mail the sink received, which must be the bounce to
/// alice@corp.example: its subject and its text body.
fn the_only_bounce_to_alice(sink: &SmtpSink) -> Result<(String, String)> {
    let received = sink.received()?;
    ensure!(received.len() == 1, "{} messages arrived", received.len());
    assert_eq!(received[0].rcpt_tos, ["alice@corp.example"]);
    Ok((subject(&received[0])?, text_body(&received[0])?))
}

#[tokio::test]
async fn a_delivered_notification_is_marked_sent_and_arrives_unchanged() -> Result<()> {
    let Some((sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    let id = s.queue_notification("bob@client.example", Some(("alice@corp.example", Locale::En)))?;

    assert_eq!(s.worker.run_once().await?, 1);

    let row = s.store.row(id)?;
    assert_eq!(row.status, Status::Sent);
    assert_eq!(row.sent_at, Some(s.at(0)));
    let received = sink.received()?;
    ensure!(received.len() == 1, "{} messages arrived", received.len());
    assert_eq!(received[0].mail_from, "sealpost@mail.example.com");
    assert_eq!(received[0].rcpt_tos, ["bob@client.example"]);
    assert_eq!(received[0].message_id(), Some(row.message_id_header.clone()));
    assert!(without_final_crlf(&received[0].raw) == without_final_crlf(&row.raw));
    assert_eq!(s.worker.run_once().await?, 0, "a sent row is not sent again");
    assert_eq!(sink.received()?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn temporary_refusals_are_retried_later_and_later_then_bounced_after_four_days() -> Result<()> {
    let Some((sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    let id = s.queue_notification("tempfail@client.example", Some(("alice@corp.example", Locale::De)))?;

    assert_eq!(s.worker.run_once().await?, 1);
    let row = s.store.row(id)?;
    assert_eq!((row.status, row.attempts), (Status::Pending, 1));
    assert_eq!(row.next_attempt_at, s.at(60), "first retry after a minute");
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("451")), "{row:?}");

    assert_eq!(s.worker.run_once().await?, 0, "nothing is due before the retry time");
    s.clock.advance_seconds(59);
    assert_eq!(s.worker.run_once().await?, 0);
    s.clock.advance_seconds(1);
    assert_eq!(s.worker.run_once().await?, 1);
    assert_eq!(
        s.store.row(id)?.next_attempt_at,
        s.at(60 + 5 * 60),
        "then after 5 minutes"
    );
    s.clock.advance_seconds(5 * 60);
    assert_eq!(s.worker.run_once().await?, 1);
    assert_eq!(
        s.store.row(id)?.next_attempt_at,
        s.at(6 * 60 + 15 * 60),
        "then after 15 minutes"
    );

    // Still within four days: retried, not given up.
    let almost = FOUR_DAYS - 1 - 6 * 60;
    s.clock.advance_seconds(almost);
    assert_eq!(s.worker.run_once().await?, 1);
    let row = s.store.row(id)?;
    assert_eq!((row.status, row.attempts), (Status::Pending, 4));
    assert_eq!(row.next_attempt_at, s.at(FOUR_DAYS - 1 + 60 * 60), "then after an hour");
    ensure!(sink.received()?.is_empty(), "nothing was accepted yet");

    // Past four days: the notification fails and Alice hears about it, in German.
    s.clock.advance_seconds(60 * 60);
    assert_eq!(s.worker.run_once().await?, 2, "the failed notification and the bounce");
    let rows = s.store.rows();
    ensure!(rows.len() == 2, "expected the notification and one bounce: {rows:#?}");
    let failed = &rows[0];
    assert_eq!(failed.status, Status::Failed);
    let error = failed.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("gave up after 4 days") && error.contains("451"),
        "{error}"
    );
    let bounce = &rows[1];
    assert_eq!(bounce.kind, MailKind::Bounce);
    assert_eq!(bounce.to.as_str(), "alice@corp.example");
    assert_eq!(bounce.message, Some(MessageId(42)));
    assert!(bounce.bounce_to.is_none(), "a bounce is never bounced");
    assert_eq!(bounce.status, Status::Sent);

    let (subject, body) = the_only_bounce_to_alice(&sink)?;
    assert_eq!(subject, "Unzustellbar: sichere Nachricht an tempfail@client.example");
    assert!(body.contains("451 4.3.0"));
    Ok(())
}

#[tokio::test]
async fn a_permanent_refusal_fails_at_once_and_bounces_to_the_sender_in_their_language() -> Result<()> {
    let Some((sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    let id = s.queue_notification("reject@client.example", Some(("alice@corp.example", Locale::Fr)))?;

    assert_eq!(s.worker.run_once().await?, 2);

    let row = s.store.row(id)?;
    assert_eq!((row.status, row.attempts), (Status::Failed, 1));
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("550")), "{row:?}");
    let (subject, body) = the_only_bounce_to_alice(&sink)?;
    assert_eq!(
        subject,
        "Non distribuable : message sécurisé pour reject@client.example"
    );
    assert!(body.contains("550 5.1.1") && body.contains("no such user"), "{body}");
    Ok(())
}

#[tokio::test]
async fn a_bounce_that_cannot_be_delivered_is_never_bounced() -> Result<()> {
    let Some((sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    s.queue_notification(
        "reject@client.example",
        Some(("reject-sender@corp.example", Locale::En)),
    )?;

    assert_eq!(s.worker.run_once().await?, 2);

    let rows = s.store.rows();
    ensure!(rows.len() == 2, "a bounce was bounced: {rows:#?}");
    assert!(rows.iter().all(|r| r.status == Status::Failed));
    assert_eq!(rows[1].kind, MailKind::Bounce);
    ensure!(sink.received()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn only_notifications_bounce() -> Result<()> {
    let Some((_sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    let to = address("reject@client.example")?;
    let mail = s
        .notifier
        .activation(&to, Locale::En, "https://sealpost.example.com/a/1")?;
    s.store.push(NewOutboxItem {
        kind: MailKind::Activation,
        to,
        mail,
        message: None,
        bounce_to: Some((address("alice@corp.example")?, Locale::En)),
        created_at: s.clock.now(),
    });

    assert_eq!(s.worker.run_once().await?, 1);

    let rows = s.store.rows();
    ensure!(rows.len() == 1, "an activation mail was bounced: {rows:#?}");
    assert_eq!(rows[0].status, Status::Failed);
    Ok(())
}

#[tokio::test]
async fn a_crash_after_sending_resends_the_same_bytes_once_the_lease_runs_out() -> Result<()> {
    let Some((sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    let id = s.queue_notification("bob@client.example", None)?;
    s.store.fail_next_outbox_sent();

    assert!(s.worker.run_once().await.is_err(), "the lost outcome is reported");
    assert_eq!(s.store.row(id)?.status, Status::Sending);
    assert_eq!(s.worker.run_once().await?, 0, "the lease keeps others off the row");
    s.clock
        .advance_seconds(sealpost_mail::worker::DEFAULT_LEASE.as_secs().try_into()?);
    assert_eq!(s.worker.run_once().await?, 1);
    assert_eq!(s.store.row(id)?.status, Status::Sent);

    let received = sink.received()?;
    ensure!(received.len() == 2, "{} messages arrived", received.len());
    assert_eq!(received[0].raw, received[1].raw, "the same bytes both times");
    assert_eq!(received[0].message_id(), Some(s.store.row(id)?.item.message_id_header));
    Ok(())
}

#[tokio::test]
async fn a_configured_lease_brings_a_lost_delivery_back_after_that_long() -> Result<()> {
    let Some((sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    let Setup {
        store,
        clock,
        notifier,
        worker,
    } = s;
    let worker = worker.with_lease(Duration::from_secs(120));
    assert_eq!(worker.lease(), Duration::from_secs(120));
    let id = queue_notification(&store, &notifier, &clock, "bob@client.example", None)?;
    store.fail_next_outbox_sent();

    assert!(worker.run_once().await.is_err(), "the lost outcome is reported");
    assert_eq!(store.row(id)?.status, Status::Sending);
    clock.advance_seconds(119);
    assert_eq!(worker.run_once().await?, 0, "119 s: still leased");
    clock.advance_seconds(1);
    assert_eq!(worker.run_once().await?, 1, "120 s: the lease ran out");
    assert_eq!(store.row(id)?.status, Status::Sent);
    ensure!(
        sink.received()?.len() == 2,
        "{} messages arrived",
        sink.received()?.len()
    );
    Ok(())
}

#[tokio::test]
async fn a_lease_under_a_minute_is_raised_to_one() -> Result<()> {
    let s = setup(Arc::new(MailDir::new(std::env::temp_dir(), clock())))?;
    assert_eq!(s.worker.lease(), sealpost_mail::worker::DEFAULT_LEASE);
    let worker = s.worker.with_lease(Duration::from_secs(5));
    assert_eq!(worker.lease(), sealpost_mail::worker::MIN_LEASE);
    Ok(())
}

#[tokio::test]
async fn without_a_relay_mail_lands_in_the_mail_directory() -> Result<()> {
    let temp = tempfile::tempdir()?;
    let clock_for_dir = clock();
    let s = setup(Arc::new(MailDir::new(temp.path().join("mail"), clock_for_dir)))?;
    let first = s.queue_notification("bob@client.example", None)?;
    let second = s.queue_notification("carol@client.example", None)?;

    assert_eq!(s.worker.run_once().await?, 2);

    let mut names: Vec<String> = std::fs::read_dir(temp.path().join("mail"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = [first, second]
        .into_iter()
        .map(|id| {
            let row = s.store.row(id)?;
            ensure!(row.status == Status::Sent, "row {id} is {:?}", row.status);
            Ok(format!(
                "20261121T183005-{}.eml",
                row.message_id_header.replace('@', "_")
            ))
        })
        .collect::<Result<_>>()?;
    expected.sort();
    assert_eq!(names, expected);
    Ok(())
}

/// `s`'s worker running, poked after Bob's notification was queued, once it has
/// delivered it (10 s at most): what stops the worker, and its task.
async fn running_after_one_delivery(
    s: Setup,
) -> Result<(tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>)> {
    let (store, clock, notifier, worker) = (s.store, s.clock, s.notifier, s.worker);
    let waker = worker.waker();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    let id = queue_notification(&store, &notifier, &clock, "bob@client.example", None)?;
    waker.notify_one();
    let delivered = tokio::time::timeout(Duration::from_secs(10), async {
        while store.row(id).map(|r| r.status != Status::Sent).unwrap_or(true) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    ensure!(delivered.is_ok(), "the running worker did not deliver");
    Ok((stop, running))
}

#[tokio::test]
async fn the_running_worker_delivers_when_poked_and_stops_on_shutdown() -> Result<()> {
    let temp = tempfile::tempdir()?;
    let s = setup(Arc::new(MailDir::new(temp.path(), clock())))?;
    let (stop, running) = running_after_one_delivery(s).await?;

    let _ = stop.send(());
    let finished = tokio::time::timeout(Duration::from_secs(5), running).await;
    ensure!(finished.is_ok(), "the worker did not stop on shutdown");
    Ok(())
}

#[tokio::test]
async fn a_stopping_worker_ends_its_relay_sessions_with_quit() -> Result<()> {
    let Some((sink, s)) = relaying_to_a_sink()? else {
        return Ok(());
    };
    let (stop, running) = running_after_one_delivery(s).await?;
    ensure!(sink.quits().is_empty(), "the session is kept for the next mail");

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running).await??;
    let peer = sink.received()?.pop().context("the mail arrived")?.peer;
    crate::smtp::quit_seen(&sink, &peer).await
}

/// Whom a test relay took emails for, in order.
#[derive(Default)]
struct Taken(std::sync::Mutex<Vec<String>>);

impl Taken {
    fn push(&self, to: &EmailAddress) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(to.to_string());
    }

    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// A relay that holds each email until the test opens the gate, and says when
/// one has arrived.
#[derive(Default)]
struct Gate {
    arrived: tokio::sync::Notify,
    open: tokio::sync::Notify,
    taken: Taken,
}

#[async_trait::async_trait]
impl Transport for Gate {
    async fn send(&self, to: &EmailAddress, _envelope_from: &str, _raw: &[u8]) -> Result<(), SendError> {
        self.arrived.notify_one();
        self.open.notified().await;
        self.taken.push(to);
        Ok(())
    }
}

/// A lane claims its next row with the record of its last delivery; stopped
/// before sending it, it hands that row back, due at once, instead of leaving it
/// leased until the lease runs out.
#[tokio::test]
async fn a_row_claimed_with_the_last_record_is_handed_back_on_shutdown() -> Result<()> {
    let gate = Arc::new(Gate::default());
    let s = setup(gate.clone())?;
    let (store, clock, notifier) = (s.store, s.clock, s.notifier);
    let worker = s.worker.with_lanes(1);
    let first = queue_notification(&store, &notifier, &clock, "bob@client.example", None)?;
    let second = queue_notification(&store, &notifier, &clock, "carol@client.example", None)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));

    tokio::time::timeout(Duration::from_secs(10), gate.arrived.notified())
        .await
        .context("the first email never reached the relay")?;
    let _ = stop.send(());
    // Shutdown is asked for while the first email is with the relay; then it
    // takes it, and its record claims the second.
    tokio::time::sleep(Duration::from_millis(200)).await;
    gate.open.notify_one();
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .context("the worker did not stop")??;

    assert_eq!(store.row(first)?.status, Status::Sent);
    let handed_back = store.row(second)?;
    assert_eq!(handed_back.status, Status::Pending, "not left leased");
    assert_eq!(handed_back.attempts, 0, "a row handed back unsent counts no attempt");
    assert_eq!(handed_back.lease_until, None);
    assert_eq!(handed_back.next_attempt_at, clock.now(), "due at once");
    assert_eq!(
        handed_back.last_error.as_deref(),
        Some("not sent yet: the outbox worker stopped")
    );
    assert_eq!(
        gate.taken.all(),
        ["bob@client.example"],
        "the second email was not sent"
    );
    Ok(())
}

/// A relay that takes three minutes of the worker's fake clock per email.
#[derive(Default)]
struct Slow {
    clock: std::sync::OnceLock<Arc<FakeClock>>,
    taken: Taken,
}

#[async_trait::async_trait]
impl Transport for Slow {
    async fn send(&self, to: &EmailAddress, _envelope_from: &str, _raw: &[u8]) -> Result<(), SendError> {
        if let Some(clock) = self.clock.get() {
            clock.advance_seconds(3 * 60);
        }
        self.taken.push(to);
        Ok(())
    }
}

/// A lane working off a backlog claims its rows in batches under one lease; behind
/// a slow relay, a row whose lease is half spent before its turn is handed back
/// unsent (and claimed again), never sent when its lease may run out meanwhile.
#[tokio::test]
async fn a_batch_behind_a_slow_relay_hands_back_what_its_lease_no_longer_covers() -> Result<()> {
    let slow = Arc::new(Slow::default());
    let s = setup(slow.clone())?;
    let _ = slow.clock.set(s.clock.clone());
    let (store, notifier) = (s.store, s.notifier);
    let worker = s.worker.with_lanes(1);
    let to = ["bob@client.example", "carol@client.example", "dave@client.example"];
    let mut ids = Vec::new();
    for address in to {
        ids.push(queue_notification(&store, &notifier, &s.clock, address, None)?);
    }

    // One row first; its claim came back full, so two with its record: carol's is
    // sent (4.5 minutes left of the lease), dave's waits behind it (1.5 minutes
    // left: less than half) and is handed back, then claimed again on its own.
    let attempted = worker.run_once().await?;

    assert_eq!(slow.taken.all(), to, "each sent once, in order");
    for id in &ids {
        assert_eq!(store.row(*id)?.status, Status::Sent);
    }
    assert_eq!(store.row(ids[1])?.attempts, 1);
    assert_eq!(
        store.row(ids[2])?.attempts,
        1,
        "claimed twice, sent once: handed back, it counts only the claim it was sent under"
    );
    assert_eq!(attempted, 3, "three deliveries; the row handed back is not counted");
    Ok(())
}

#[test]
fn an_unusable_envelope_sender_is_refused_at_startup() -> Result<()> {
    let clock = clock();
    let result = OutboxWorker::new(
        Arc::new(FakeStore::default()),
        Arc::new(MailDir::new(std::env::temp_dir(), clock.clone())),
        clock.clone(),
        notifier(clock)?,
        "no address here",
    );
    let error = result.map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(
        error,
        Err("mail_from = \"no address here\" is not an email address; write it as `name@example.com` or `Name <name@example.com>`".to_owned())
    );
    Ok(())
}
