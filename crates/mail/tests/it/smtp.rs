//! The SMTP relay transport against a real SMTP server.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use sealpost_domain::types::Locale;
use sealpost_mail::{SendError, SmtpRelay, SmtpRelayConfig, TlsMode, Transport as _};

use crate::support::{SmtpSink, address, alices_notification, clock, free_port, notifier, without_final_crlf};

fn relay(port: u16, tls: TlsMode) -> Result<SmtpRelay> {
    let mut config = SmtpRelayConfig::new("127.0.0.1");
    config.port = Some(port);
    config.tls = tls;
    config.timeout = Duration::from_secs(10);
    config.hello_name = Some("sealpost.test".to_owned());
    Ok(SmtpRelay::new(config)?)
}

#[tokio::test]
async fn relay_delivers_a_notification_byte_for_byte() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let recipient = address("bob@client.example")?;
    let mail = alices_notification(
        &*notifier(clock())?,
        &recipient,
        Locale::De,
        7,
        crate::support::START,
        Some(&[1, 2, 3, 250, 251, 252]),
    )?;

    relay(sink.port, TlsMode::None)?
        .send(&recipient, "sealpost@mail.example.com", &mail.raw)
        .await?;

    let received = sink.received()?;
    ensure!(received.len() == 1, "expected one message, got {}", received.len());
    let got = &received[0];
    assert_eq!(got.mail_from, "sealpost@mail.example.com");
    assert_eq!(got.rcpt_tos, ["bob@client.example"]);
    assert_eq!(got.message_id(), Some(mail.message_id.clone()));
    assert!(
        without_final_crlf(&got.raw) == without_final_crlf(&mail.raw),
        "the server received different bytes"
    );
    Ok(())
}

#[tokio::test]
async fn lines_starting_with_a_dot_survive_the_smtp_data_framing() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let raw = b"Message-ID: <dots@example.com>\r\nFrom: a@example.com\r\nTo: bob@client.example\r\n\
Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n";
    relay(sink.port, TlsMode::None)?
        .send(&address("bob@client.example")?, "", raw)
        .await?;
    let received = sink.received()?;
    let got = received.first().context("nothing arrived")?;
    assert_eq!(
        String::from_utf8_lossy(without_final_crlf(&got.raw)),
        String::from_utf8_lossy(without_final_crlf(raw))
    );
    assert_eq!(got.mail_from, "<>", "an empty envelope sender is the null reverse path");
    Ok(())
}

#[tokio::test]
async fn a_4xx_reply_is_transient_and_a_5xx_reply_is_permanent() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let relay = relay(sink.port, TlsMode::None)?;
    let raw = b"Message-ID: <x@example.com>\r\nSubject: x\r\n\r\nx\r\n";

    let later = relay
        .send(&address("tempfail@client.example")?, "a@example.com", raw)
        .await;
    match later {
        Err(SendError::Transient(detail)) => assert!(detail.contains("451"), "{detail}"),
        other => anyhow::bail!("451 gave {other:?}"),
    }
    let never = relay
        .send(&address("reject@client.example")?, "a@example.com", raw)
        .await;
    match never {
        Err(SendError::Permanent(detail)) => {
            assert!(detail.contains("550"), "{detail}");
            assert!(detail.contains("no such user"), "{detail}");
        }
        other => anyhow::bail!("550 gave {other:?}"),
    }
    ensure!(sink.received()?.is_empty(), "a refused message was stored");
    Ok(())
}

#[tokio::test]
async fn a_closed_port_is_transient() -> Result<()> {
    let port = free_port()?;
    let result = relay(port, TlsMode::None)?
        .send(
            &address("bob@client.example")?,
            "a@example.com",
            b"Subject: x\r\n\r\nx\r\n",
        )
        .await;
    assert!(matches!(result, Err(SendError::Unavailable(_))), "{result:?}");
    Ok(())
}

#[tokio::test]
async fn tls_modes_against_a_plain_server_fail_transiently_without_panicking() -> Result<()> {
    // Exercises the rustls client with the aws-lc-rs provider at run time: with two
    // providers compiled in, building the TLS config would panic instead.
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let raw = b"Message-ID: <x@example.com>\r\nSubject: x\r\n\r\nx\r\n";
    for mode in [TlsMode::Tls, TlsMode::StartTls] {
        let result = relay(sink.port, mode)?
            .send(&address("bob@client.example")?, "a@example.com", raw)
            .await;
        assert!(
            result.as_ref().is_err_and(SendError::is_temporary),
            "{mode}: {result:?}"
        );
    }
    ensure!(
        sink.received()?.is_empty(),
        "a message went out without the required TLS"
    );
    Ok(())
}
