//! The real binary's SMTP gateway: `serve` with `SEALPOST_GATEWAY_LISTEN` takes a
//! message from swaks, authenticated with a token made by `sealpost token
//! create`, and the recipient's notification reaches a real SMTP server.

use anyhow::{Context as _, ensure};
use sealpost_testkit::{Mailbox, Sealpost, SmtpSink, free_port};

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
    sealpost.add_user(
        "ann@acme.test",
        ("Ann", "Archer"),
        "Long-enough-pass-1",
        Mailbox::Vouched,
    )?;
    let number = sealpost.create_account("Acme", "ann@acme.test")?;
    let printed = sealpost.run(
        &[
            "token",
            "create",
            "--account",
            &number,
            "--name",
            "relay",
            "--scope",
            "smtp_submission",
        ],
        None,
    )?;
    let token = printed
        .split_whitespace()
        .find(|w| w.starts_with("sptk_") && w.len() > 20)
        .context("no token printed")?
        .to_owned();
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
