//! The real binary's SMTP gateway: `serve` with `SEALPOST_GATEWAY_LISTEN` takes a
//! message from swaks, authenticated with a token made by `sealpost token
//! create`, and the recipient's notification reaches a real SMTP server.
//!
//! The crash test: several clients send a burst through the gateway, the server
//! is killed with SIGKILL mid-burst and started again on the same data folder;
//! every message that got its 250 then has all its notifications delivered, and
//! nothing of a message without 250 stays behind (rows, blobs, outbox), unless
//! the kill fell between its commit and its 250: then it is whole and delivered
//! (the client will send it again, RFC 5321 §6.1), and the test says how many.

#[expect(dead_code, reason = "this test reads the database and changes nothing in it")]
mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use sealpost_testkit::{Mailbox, Sealpost, SmtpClient, SmtpSink, free_port, message_of_size};

/// Acme with Ann (administrator) and an SMTP submission token made by `sealpost
/// token create` with `extra` options: the account's number and the token.
fn acme_with_token(sealpost: &Sealpost, extra: &[&str]) -> anyhow::Result<(String, String)> {
    sealpost.add_user(
        "ann@acme.test",
        ("Ann", "Archer"),
        "Long-enough-pass-1",
        Mailbox::Vouched,
    )?;
    let number = sealpost.create_account("Acme", "ann@acme.test")?;
    let mut args = vec![
        "token",
        "create",
        "--account",
        &number,
        "--name",
        "relay",
        "--scope",
        "smtp_submission",
    ];
    args.extend_from_slice(extra);
    let printed = sealpost.run(&args, None)?;
    let token = printed
        .split_whitespace()
        .find(|w| w.starts_with("sptk_") && w.len() > 20)
        .context("no token printed")?
        .to_owned();
    Ok((number, token))
}

#[tokio::test]
async fn serve_takes_mail_through_its_gateway_and_notifies_the_recipient() -> anyhow::Result<()> {
    let Some(sink) = SmtpSink::start()? else {
        eprintln!("SKIPPED serve_takes_mail_through_its_gateway_and_notifies_the_recipient: aiosmtpd missing");
        return Ok(());
    };
    if !std::process::Command::new("sh")
        .args(["-c", "command -v swaks"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("SKIPPED serve_takes_mail_through_its_gateway_and_notifies_the_recipient: swaks is not installed");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), dir.path());
    let (_, token) = acme_with_token(&sealpost, &[])?;
    let gateway_port = free_port()?;
    let _server = sealpost
        .serve()
        .relay(sink.port)
        .env("SEALPOST_GATEWAY_LISTEN", &format!("127.0.0.1:{gateway_port}"))
        .start()
        .await?;
    let output = tokio::process::Command::new("swaks")
        .args(["--server", &format!("127.0.0.1:{gateway_port}")])
        .args(["--from", "ann@acme.test", "--to", "dana@example.org"])
        .args(["--auth", "LOGIN", "--auth-user", "relay", "--auth-password", &token])
        .args(["--header", "Subject: [secure] Through the gateway"])
        .args(["--body", "Sealed on the way."])
        .output()
        .await?;
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success() && printed.contains("250 2.0.0 OK: queued as"),
        "swaks: {printed}"
    );
    let mut waited = 0;
    let mail = loop {
        if let Some(mail) = sink.mails()?.into_iter().find(|m| m.to.contains("dana@example.org")) {
            break mail;
        }
        waited += 1;
        ensure!(waited < 100, "no notification reached the SMTP server");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    ensure!(
        !mail.raw.windows(10).any(|w| w == b"Sealed on "),
        "the body is not in the notification"
    );
    ensure!(
        mail.envelope().is_ok(),
        "the notification carries the Registered Envelope"
    );
    Ok(())
}

/// Clients sending at once.
const CLIENTS: usize = 4;
/// The kill comes once this many messages got their 250.
const KILL_AFTER: usize = 12;
/// How long each phase may take before the test gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(60);

/// What became of one message a client began to send.
#[derive(Debug, Clone)]
enum Outcome {
    /// 250, with the message's public id.
    Accepted(String),
    /// The connection broke before a reply: the client cannot know.
    Cut,
    /// Any other reply (shown when the test fails).
    Refused(#[expect(dead_code, reason = "read through Debug in the failure message")] String),
}

/// One message: its two recipients (To and Cc, unique to it) and its outcome.
#[derive(Debug, Clone)]
struct Attempt {
    recipients: [String; 2],
    outcome: Outcome,
}

/// One client: a session of its own, one message after another until `stop`
/// or until the connection breaks.
fn burst(
    port: u16,
    token: &str,
    client: usize,
    stop: &AtomicBool,
    attempts: &Mutex<Vec<Attempt>>,
) -> anyhow::Result<()> {
    let mut session = SmtpClient::connect(port)?;
    session.login(token)?;
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            session.quit();
            return Ok(());
        }
        let recipients = [
            format!("c{client}m{n:03}-to@crash.example"),
            format!("c{client}m{n:03}-cc@crash.example"),
        ];
        let message = message_of_size(
            "ann@acme.test",
            &recipients[0],
            &format!("Burst {client}/{n}"),
            24 * 1024,
        );
        let to: Vec<&str> = recipients.iter().map(String::as_str).collect();
        let outcome = match session.send("ann@acme.test", &to, &message) {
            Ok(reply) if reply.starts_with("250") => Outcome::Accepted(
                reply
                    .split("queued as ")
                    .nth(1)
                    .map(|id| id.trim().to_owned())
                    .context("no id in the 250")?,
            ),
            Ok(reply) => Outcome::Refused(reply),
            Err(_) => Outcome::Cut,
        };
        let cut = matches!(outcome, Outcome::Cut);
        attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Attempt { recipients, outcome });
        if cut {
            return Ok(());
        }
    }
    Ok(())
}

/// The hex public ids of the stored messages.
async fn stored_ids(data: &Path) -> anyhow::Result<BTreeSet<String>> {
    let mut db = support::open_db(data).await?;
    let ids: Vec<String> = sqlx::query_scalar("SELECT lower(hex(public_id)) FROM messages")
        .fetch_all(&mut db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Rows about `address` in the recipients and the outbox.
async fn rows_for(data: &Path, address: &str) -> anyhow::Result<i64> {
    let mut db = support::open_db(data).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM message_recipients WHERE email = $1) \
         + (SELECT COUNT(*) FROM outbox WHERE to_email = $1)",
    )
    .bind(address)
    .fetch_one(&mut db)
    .await?;
    Ok(n)
}

/// The folders of the blob store (one per message, named by its public id), and
/// any file in it that is not a finished blob.
fn blob_folders(data: &Path) -> anyhow::Result<(BTreeSet<String>, Vec<String>)> {
    let mut folders = BTreeSet::new();
    let mut stray = Vec::new();
    let Ok(entries) = std::fs::read_dir(data.join("blobs")) else {
        return Ok((folders, stray));
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            for file in std::fs::read_dir(entry.path())? {
                let file = file?.file_name().to_string_lossy().into_owned();
                if file.contains('#') {
                    stray.push(format!("{name}/{file}"));
                }
            }
            folders.insert(name);
        } else {
            stray.push(name);
        }
    }
    Ok((folders, stray))
}

#[tokio::test]
async fn a_gateway_killed_mid_burst_keeps_every_250_and_nothing_else() -> anyhow::Result<()> {
    let Some(sink) = SmtpSink::start()? else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), &data);
    let (_, token) = acme_with_token(&sealpost, &[])?;
    let gateway_port = free_port()?;
    let listen = format!("127.0.0.1:{gateway_port}");
    let serve = |log: &str| {
        sealpost
            .serve()
            .relay(sink.port)
            .env("SEALPOST_GATEWAY_LISTEN", &listen)
            .log_file(&dir.path().join(log))
            .start()
    };
    let server = serve("first.log").await?;

    // The burst: each client on its own thread, as separate mail servers would.
    let stop = Arc::new(AtomicBool::new(false));
    let attempts = Arc::new(Mutex::new(Vec::<Attempt>::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (stop, attempts, token) = (Arc::clone(&stop), Arc::clone(&attempts), token.clone());
            std::thread::spawn(move || burst(gateway_port, &token, client, &stop, &attempts))
        })
        .collect();
    let accepted_count = |attempts: &Mutex<Vec<Attempt>>| {
        attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Accepted(_)))
            .count()
    };
    let started = Instant::now();
    while accepted_count(&attempts) < KILL_AFTER {
        if started.elapsed() > PHASE_LIMIT {
            stop.store(true, Ordering::SeqCst);
            bail!(
                "fewer than {KILL_AFTER} messages accepted in {PHASE_LIMIT:?}:\n{}",
                server.log_text()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill()?;
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        match client.join() {
            Ok(result) => result?,
            Err(_) => bail!("a client thread panicked"),
        }
    }
    let attempts = attempts.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let refused: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Refused(_)))
        .collect();
    ensure!(refused.is_empty(), "messages were refused before the kill: {refused:?}");
    let cut = attempts.iter().filter(|a| matches!(a.outcome, Outcome::Cut)).count();

    // A message the kill cut left no row at all, or it is whole: its commit went
    // through and the kill came before its 250 was written (RFC 5321 §6.1: the
    // client sends it again, a duplicate, never a loss). Never half of one.
    let mut whole_unanswered = Vec::new();
    for attempt in attempts.iter().filter(|a| matches!(a.outcome, Outcome::Cut)) {
        let rows = rows_for(&data, &attempt.recipients[0]).await? + rows_for(&data, &attempt.recipients[1]).await?;
        match rows {
            0 => {}
            4 => whole_unanswered.push(attempt),
            n => bail!("a message cut by the kill left {n} half-stored row(s): {attempt:?}"),
        }
    }

    // The restart. Every message that got its 250 is there, and all of its
    // notifications (and those of a whole unanswered one) are delivered.
    let server = serve("second.log").await?;
    let accepted: Vec<(&Attempt, &String)> = attempts
        .iter()
        .filter_map(|a| match &a.outcome {
            Outcome::Accepted(id) => Some((a, id)),
            _ => None,
        })
        .collect();
    let expected: BTreeSet<String> = accepted
        .iter()
        .map(|(a, _)| *a)
        .chain(whole_unanswered.iter().copied())
        .flat_map(|a| a.recipients.iter().cloned())
        .collect();
    let started = Instant::now();
    loop {
        let delivered: BTreeSet<String> = sink
            .received()?
            .iter()
            .flat_map(|m| m.rcpt_tos.iter().map(|r| r.to_lowercase()))
            .collect();
        let missing: Vec<&String> = expected.difference(&delivered).collect();
        if missing.is_empty() {
            break;
        }
        if started.elapsed() > PHASE_LIMIT {
            bail!(
                "{} notification(s) of accepted messages missing after the restart: {missing:?}\n{}",
                missing.len(),
                server.log_text()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = stored_ids(&data).await?;
    for (_, id) in &accepted {
        ensure!(stored.contains(*id), "message {id} got its 250 but is not stored");
    }

    // Nothing else of a message without 250 stayed: no blob folder that is not a
    // stored message's, no unfinished blob file, no noted upload.
    let (folders, stray) = blob_folders(&data)?;
    ensure!(stray.is_empty(), "unfinished blob files after the restart: {stray:?}");
    let orphans: Vec<&String> = folders.difference(&stored).collect();
    ensure!(
        orphans.is_empty(),
        "blob folders of messages that were never stored: {orphans:?}"
    );
    let pending = support::scalar(&data, "SELECT COUNT(*) FROM pending_uploads").await?;
    ensure!(pending == 0, "{pending} upload(s) of unstored drafts still noted");
    let stored_count = stored.len();
    ensure!(
        stored_count == accepted.len() + whole_unanswered.len(),
        "{stored_count} messages stored for {} accepted and {} whole unanswered",
        accepted.len(),
        whole_unanswered.len()
    );
    server.kill()?;
    eprintln!(
        "gateway crash: {CLIENTS} clients, {} messages accepted before SIGKILL, {cut} cut mid-transaction ({} of them \
         committed whole just before their 250, delivered too); after the restart all {} notifications arrived, \
         nothing of the other cut ones stayed",
        accepted.len(),
        whole_unanswered.len(),
        expected.len()
    );
    Ok(())
}

/// A hand-driven SMTP session for the shutdown test: raw lines, whole replies.
struct Smtp {
    reader: tokio::io::BufReader<tokio::net::TcpStream>,
}

impl Smtp {
    async fn connect(port: u16, token: &str) -> anyhow::Result<Self> {
        use base64::Engine as _;
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let mut smtp = Self {
            reader: tokio::io::BufReader::new(stream),
        };
        ensure!(smtp.reply().await?.starts_with("220"));
        ensure!(smtp.command("EHLO mta.acme.test").await?.starts_with("250"));
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0relay\0{token}"));
        ensure!(smtp.command(&format!("AUTH PLAIN {plain}")).await?.starts_with("235"));
        Ok(smtp)
    }

    async fn send(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        use tokio::io::AsyncWriteExt as _;
        self.reader.get_mut().write_all(bytes).await?;
        Ok(())
    }

    /// One whole reply; empty once the server closed the connection.
    async fn reply(&mut self) -> anyhow::Result<String> {
        use tokio::io::AsyncBufReadExt as _;
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(std::time::Duration::from_secs(20), self.reader.read_line(&mut line))
                .await
                .context("no reply within 20 s")??;
            reply.push_str(&line);
            if read == 0 || line.as_bytes().get(3) != Some(&b'-') {
                return Ok(reply);
            }
        }
    }

    async fn command(&mut self, line: &str) -> anyhow::Result<String> {
        self.send(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }
}

#[tokio::test]
async fn sigterm_closes_idle_sessions_with_421_and_lets_a_data_in_progress_finish() -> anyhow::Result<()> {
    let Some(sink) = SmtpSink::start()? else {
        eprintln!("SKIPPED sigterm_closes_idle_sessions_with_421: aiosmtpd missing");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), dir.path());
    // A relaying token: untagged mail goes to the relay unchanged.
    let (number, token) = acme_with_token(&sealpost, &["--relay-untagged"])?;
    let listed = sealpost.run(&["token", "list", "--account", &number], None)?;
    ensure!(listed.contains("smtp_submission,relay-untagged"), "{listed}");
    let gateway_port = free_port()?;
    let mut server = sealpost
        .serve()
        .relay(sink.port)
        .env("SEALPOST_GATEWAY_LISTEN", &format!("127.0.0.1:{gateway_port}"))
        .start()
        .await?;

    let untagged = "From: ann@acme.test\r\nTo: dana@example.org\r\nSubject: Lunch?\r\n\r\nAt noon.\r\n";
    let mut relaying = Smtp::connect(gateway_port, &token).await?;
    ensure!(relaying.command("MAIL FROM:<ann@acme.test>").await?.starts_with("250"));
    ensure!(relaying.command("RCPT TO:<dana@example.org>").await?.starts_with("250"));
    ensure!(relaying.command("DATA").await?.starts_with("354"));
    relaying.send(untagged.as_bytes()).await?;
    let answer = relaying.command(".").await?;
    ensure!(answer.starts_with("250 2.0.0 OK: relayed unchanged"), "{answer}");
    let received = sink.received()?;
    ensure!(
        received.len() == 1 && received[0].raw.ends_with(untagged.as_bytes()),
        "relayed as received: {received:?}"
    );

    let mut idle = Smtp::connect(gateway_port, &token).await?;
    let mut busy = Smtp::connect(gateway_port, &token).await?;
    ensure!(busy.command("MAIL FROM:<ann@acme.test>").await?.starts_with("250"));
    ensure!(busy.command("RCPT TO:<dana@example.org>").await?.starts_with("250"));
    ensure!(busy.command("DATA").await?.starts_with("354"));
    busy.send(
        b"From: ann@acme.test\r\nTo: dana@example.org\r\nSubject: [secure] While stopping\r\n\r\nFirst half,\r\n",
    )
    .await?;
    let pid = server.pid().to_string();
    ensure!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()?
            .success()
    );
    let told = idle.reply().await?;
    ensure!(told.starts_with("421 4.3.2"), "the idle session is told: {told:?}");
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", gateway_port))
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    ensure!(refused, "no new SMTP connection is accepted while stopping");
    busy.send(b"second half.\r\n").await?;
    let answer = busy.command(".").await?;
    ensure!(
        answer.starts_with("250 2.0.0 OK: queued as"),
        "the DATA in progress finished: {answer}"
    );
    ensure!(busy.reply().await?.starts_with("421 4.3.2"));
    let status = server.wait()?;
    ensure!(status.success(), "serve exited with {status}:\n{}", server.log_text());
    // Every session with the relay ended with QUIT, the one kept after relaying
    // included: none was cut by the exit.
    let peers: Vec<String> = sink.received()?.into_iter().map(|mail| mail.peer).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !peers.iter().all(|peer| sink.quits().contains(peer)) {
        ensure!(
            std::time::Instant::now() < deadline,
            "a session with the relay ended without QUIT: mails over {peers:?}, QUIT from {:?}",
            sink.quits()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_gateway_sessions_and_each_message_by_outcome_and_reason() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), dir.path());
    let (_, token) = acme_with_token(&sealpost, &[])?;
    let (gateway_port, metrics_port) = (free_port()?, free_port()?);
    let _server = sealpost
        .serve()
        .env("SEALPOST_GATEWAY_LISTEN", &format!("127.0.0.1:{gateway_port}"))
        .env("SEALPOST_METRICS_LISTEN", &format!("127.0.0.1:{metrics_port}"))
        .start()
        .await?;
    tokio::task::block_in_place(|| -> anyhow::Result<()> {
        let mut client = SmtpClient::connect(gateway_port)?;
        client.login(&token)?;
        let good = message_of_size("ann@acme.test", "dana@example.org", "Counted", 2_000);
        let answer = client.send("ann@acme.test", &["dana@example.org"], &good)?;
        ensure!(answer.starts_with("250"), "{answer}");
        // From: names someone else than MAIL FROM: refused, and counted so.
        let forged = message_of_size("mallory@acme.test", "dana@example.org", "Forged", 2_000);
        let answer = client.send("ann@acme.test", &["dana@example.org"], &forged)?;
        ensure!(answer.starts_with("550 5.7.1 The From header"), "{answer}");
        client.quit();
        let mut stranger = SmtpClient::connect(gateway_port)?;
        ensure!(stranger.login("sptk_not_a_token").is_err(), "a wrong token is refused");
        stranger.quit();
        Ok(())
    })?;

    let scrape = || async {
        let text = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .await?
            .text()
            .await?;
        Ok::<_, anyhow::Error>(text)
    };
    // The sessions' ends are counted once the server has seen the QUITs.
    let mut text = scrape().await?;
    for _ in 0..100 {
        if text.lines().any(|l| l == "sealpost_gateway_sessions_open 0") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        text = scrape().await?;
    }
    let has = |line: &str| text.lines().any(|l| l == line);
    for line in [
        "sealpost_gateway_sessions_open 0",
        "sealpost_gateway_sessions_total 2",
        r#"sealpost_gateway_messages_total{outcome="accepted",reason="-"} 1"#,
        r#"sealpost_gateway_messages_total{outcome="refused",reason="from_mismatch"} 1"#,
        r#"sealpost_gateway_auth_total{outcome="ok"} 1"#,
        r#"sealpost_gateway_auth_total{outcome="refused"} 1"#,
    ] {
        ensure!(has(line), "missing {line:?} in:\n{text}");
    }
    Ok(())
}
