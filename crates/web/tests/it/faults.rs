//! Faults as people meet them (issue 11): a full disk, and a message whose stored
//! payload is damaged or missing.
//!
//! The full disk is real: the test's database, blobs and mail folder live on a
//! small tmpfs mounted for it (the tests run as root here and in CI; where mounting
//! is refused the test says so loudly and passes). PostgreSQL's disk cannot be
//! filled from a test; its `disk_full` error is injected in the storage suite.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure};
use sealpost_testkit::Tmpfs;

use crate::helpers::{Client, Db, PASSWORD, TestApp, acme, logged_in, sent_id};

/// Log lines written while a test runs (the test's runtime has one thread, so
/// the server's tasks log here too).
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    /// Captures this thread's log lines until the guard is dropped.
    pub(crate) fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect()
    }
}

/// Sends a message with one attachment from Alice to Bob; returns its public id.
/// Sends a message whose attachment is over 64 KiB, so that its parts are blobs
/// in the data folder (a smaller message keeps them in its row).
async fn send(alice: &Client, subject: &str) -> anyhow::Result<String> {
    alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("subject", subject),
                ("body", "See attached."),
            ],
            &[("report.txt", "text/plain", b"quarterly figures\n".repeat(5_000))],
        )
        .await
}

// --- a damaged or missing payload ---------------------------------------------------------

on_both_databases!(
    a_damaged_or_missing_payload_says_the_message_is_gone_and_the_log_names_it,
    damaged_payload
);
async fn damaged_payload(app: TestApp) -> anyhow::Result<()> {
    let (captured, _guard) = Captured::start();
    let (alice, bob) = acme(&app).await?;
    let id = send(&alice, "Figures").await?;
    let blobs = app.dir.path().join("blobs").join(&id);
    let gone = "This message can no longer be opened";
    let logged = |part: &str| {
        captured
            .lines()
            .iter()
            .filter(|l| l.contains("can no longer be opened") && l.contains(&id) && l.contains(part))
            .count()
    };

    // The attachment's blob is damaged (one byte flipped in the middle).
    let attachment = blobs.join("1");
    let mut bytes = std::fs::read(&attachment)?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&attachment, &bytes)?;
    assert_eq!(bob.status(&format!("/m/{id}")).await?, 200, "the message itself opens");
    for attempt in 1..=2 {
        let answer = bob.get(&format!("/m/{id}/attachments/1")).await?;
        assert_eq!(answer.status, 410, "{}", answer.text());
        answer.assert_shows(gone);
        answer.assert_shows("Please ask the sender to send it again.");
        answer.assert_shows("alice@example.com");
        assert_eq!(
            logged("attachment part 1"),
            attempt,
            "one log line per attempt, naming the message"
        );
    }

    // The content's blob is damaged: the message page says the same, in German too.
    let content = blobs.join("0");
    let mut bytes = std::fs::read(&content)?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&content, &bytes)?;
    let answer = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(answer.status, 410, "{}", answer.text());
    answer.assert_shows(gone);
    assert_eq!(logged("content part does not open"), 1);
    let german = bob.get_in(&format!("/m/{id}"), "de").await?;
    assert!(
        german.status == 410 && german.shows("Diese Nachricht kann nicht mehr geöffnet werden"),
        "{}",
        german.text()
    );

    // The content's blob is missing: not "Page not found", and logged.
    std::fs::remove_file(&content)?;
    let answer = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(answer.status, 410, "{}", answer.text());
    assert!(
        answer.shows(gone) && !answer.shows("Page not found"),
        "{}",
        answer.text()
    );
    assert_eq!(logged("missing from the blob store"), 1);

    // Nobody else learns anything new: a stranger still gets 404.
    app.add_user("mallory@example.com", false).await?;
    let mallory = logged_in(&app, "mallory@example.com").await?;
    assert_eq!(mallory.status(&format!("/m/{id}")).await?, 404);
    Ok(())
}

// --- a full disk ----------------------------------------------------------------------------

/// How many notifications the mail folder holds for message `id`.
fn notifications_for(app: &TestApp, id: &str) -> anyhow::Result<usize> {
    Ok(app
        .mails()?
        .iter()
        .filter(|m| m.text.contains(&format!("/m/{id}")))
        .count())
}

#[tokio::test]
async fn a_full_disk_says_so_plainly_keeps_reads_working_and_writes_resume_once_space_returns() -> anyhow::Result<()> {
    let (captured, _guard) = Captured::start();
    let outer = tempfile::tempdir()?;
    let Some(disk) = Tmpfs::mount(
        &outer.path().join("disk"),
        "16m",
        "The storage suite's failpoint test still covers the connection pool.",
    )?
    else {
        return Ok(());
    };
    let dir = tempfile::tempdir_in(&disk.path)?;
    let app = TestApp::spawn_in_dir(Db::Sqlite, dir, |_| {})
        .await?
        .ok_or_else(|| anyhow!("SQLite always runs"))?;
    let (alice, bob) = acme(&app).await?;
    let answer = alice
        .compose(
            &[
                ("to", "bob@example.com"),
                ("cc", "carol@example.com"),
                ("subject", "Before"),
                ("body", "See attached."),
            ],
            &[("report.txt", "text/plain", b"quarterly figures".to_vec())],
        )
        .await?;
    let before = sent_id(&answer)?;
    assert_eq!(app.deliver().await?, 2);
    assert_eq!(app.client().get("/healthz").await?.status, 200);

    let filler = disk.fill()?;
    // Past the minute after which a page view would extend the session.
    app.clock.advance_seconds(120);
    let full = "Temporarily unable to store anything";
    for _ in 0..5 {
        let answer = alice
            .compose(
                &[("to", "bob@example.com"), ("subject", "During"), ("body", "x")],
                &[("report.txt", "text/plain", vec![0x42; 256 * 1024])],
            )
            .await?;
        assert_eq!(answer.status, 503, "{}", answer.text());
        answer.assert_shows(full);
        answer.assert_shows("try again in a few minutes");
    }
    let opening = bob.get(&format!("/m/{before}")).await?;
    assert!(
        opening.status == 503 && opening.shows(full),
        "a first opening is recorded before it is shown, so it waits: {} {}",
        opening.status,
        opening.text()
    );
    let german = bob.get_in(&format!("/m/{before}"), "de").await?;
    assert!(
        german.status == 503 && german.shows("Speichern ist vorübergehend nicht möglich"),
        "{} {}",
        german.status,
        german.text()
    );
    // A download is part of a view already recorded: it writes nothing, so it
    // keeps working while nothing can be stored.
    let download = bob.get(&format!("/m/{before}/attachments/1")).await?;
    assert_eq!(download.status, 200, "{}", download.text());
    let carol = app.client();
    let registration = carol
        .register(
            "/portal/login",
            "carol@example.com",
            ("Carol", "Ng"),
            ("Long-Enough-Pass-1", "Long-Enough-Pass-1"),
            "",
        )
        .await?;
    assert!(
        registration.status == 503 && registration.shows(full),
        "{} {}",
        registration.status,
        registration.text()
    );
    let login = app.client().login("bob@example.com", PASSWORD).await?;
    assert!(
        login.status == 503 && login.shows(full),
        "{} {}",
        login.status,
        login.text()
    );
    let health = app.client().get("/healthz").await?;
    assert!(
        health.status == 503 && health.body.contains("storage is full"),
        "{} {}",
        health.status,
        health.body
    );
    // Reads that need no write keep working.
    for (client, path) in [(&alice, "/portal/sent"), (&bob, "/portal/inbox")] {
        let page = client.get(path).await?;
        assert!(
            page.status == 200 && page.shows("Before"),
            "{} {}",
            page.status,
            page.text()
        );
    }
    let lines = |needle: &str| captured.lines().iter().filter(|l| l.contains(needle)).count();
    assert_eq!(
        lines("storage is full: Sealpost cannot store anything"),
        1,
        "one line when the storage becomes unwritable, not one per request:\n{}",
        captured.lines().join("\n")
    );

    std::fs::remove_file(&filler)?;
    let freed = Instant::now();
    let after = loop {
        let answer = alice
            .compose(
                &[("to", "bob@example.com"), ("subject", "After"), ("body", "x")],
                &[("report.txt", "text/plain", b"figures".to_vec())],
            )
            .await?;
        if answer.status == 303 {
            break sent_id(&answer)?;
        }
        ensure!(
            freed.elapsed() < Duration::from_secs(10),
            "no compose succeeded within 10 s of space returning: {} {}",
            answer.status,
            answer.text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = freed.elapsed();
    let _ = writeln!(
        std::io::stderr(),
        "FIGURE: first successful compose {:.3} s after space returned",
        took.as_secs_f64()
    );
    // Monitoring sees the end once writes have gone through for a few seconds.
    let healthy = sealpost_testkit::healthy_again(&app.base, freed).await?;
    let _ = writeln!(
        std::io::stderr(),
        "FIGURE: /healthz ok again {healthy:.1} s after space returned"
    );
    assert_eq!(
        (lines("storage is full"), lines("storage takes writes again")),
        (1, 1),
        "one line when the storage fills, one when it recovers:\n{}",
        captured.lines().join("\n")
    );
    for n in 0..10 {
        let answer = alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", &format!("Later {n}")),
                    ("body", "x"),
                ],
                &[],
            )
            .await?;
        ensure!(
            answer.status == 303,
            "compose {n} after recovery: {} {}",
            answer.status,
            answer.text()
        );
    }
    assert_eq!(bob.status(&format!("/m/{before}")).await?, 200);

    // Every notification is written exactly once; the refused composes left none.
    assert_eq!(app.deliver().await?, 11);
    assert_eq!(notifications_for(&app, &before)?, 2, "Bob and Carol");
    assert_eq!(notifications_for(&app, &after)?, 1);
    assert_eq!(
        app.mails()?.len(),
        13,
        "2 before, 11 after, none for refused composes or the refused registration"
    );
    drop(app);
    drop(disk);
    Ok(())
}

// --- /healthz -------------------------------------------------------------------------------

on_both_databases!(
    healthz_says_when_the_database_does_not_take_writes_and_when_it_does_again,
    healthz_refused_writes
);
async fn healthz_refused_writes(app: TestApp) -> anyhow::Result<()> {
    let health = app.client().get("/healthz").await?;
    assert_eq!((health.status, health.body.trim()), (200, "ok"));

    // The database refuses the probe's write: on PostgreSQL as a full disk does
    // (SQLSTATE 53100), on SQLite by ending the transaction.
    let backend = app.store.backend();
    let (install, remove): (&[&str], &[&str]) = match backend {
        sealpost_storage::Backend::Sqlite => (
            &["CREATE TRIGGER failpoint BEFORE UPDATE ON storage_probe \
               BEGIN SELECT RAISE(ROLLBACK, 'failpoint'); END"],
            &["DROP TRIGGER failpoint"],
        ),
        sealpost_storage::Backend::Postgres => (
            &[
                "CREATE FUNCTION failpoint() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; \
                 END $$",
                "CREATE TRIGGER failpoint BEFORE UPDATE ON storage_probe FOR EACH ROW EXECUTE FUNCTION failpoint()",
            ],
            &["DROP TRIGGER failpoint ON storage_probe"],
        ),
    };
    for statement in install {
        sqlx::query(statement).execute(app.store.pool()).await?;
    }
    let health = app.client().get("/healthz").await?;
    let expected = match backend {
        sealpost_storage::Backend::Sqlite => "unavailable: the database does not take writes",
        sealpost_storage::Backend::Postgres => "unavailable: the storage is full",
    };
    assert!(
        health.status == 503 && health.body.starts_with(expected),
        "{} {}",
        health.status,
        health.body
    );

    for statement in remove {
        sqlx::query(statement).execute(app.store.pool()).await?;
    }
    let repaired = Instant::now();
    while app.client().get("/healthz").await?.status != 200 {
        ensure!(
            repaired.elapsed() < Duration::from_secs(20),
            "/healthz still failing 20 s after the database takes writes again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
