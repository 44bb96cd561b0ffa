//! The real binary's SMTP gateway: `serve` with `SEALPOST_GATEWAY_LISTEN` takes a
//! message from swaks, authenticated with a token made by `sealpost token
//! create`, and the recipient's notification reaches a real SMTP server.

use anyhow::{Context as _, ensure};
use sealpost_testkit::{Mailbox, Sealpost, SmtpSink, free_port};

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
    Ok(())
}
