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

/// A mail that says which it is, for the tests of sessions.
fn numbered(n: usize) -> Vec<u8> {
    format!("Message-ID: <n{n}@example.com>\r\nFrom: a@example.com\r\nTo: bob@client.example\r\nSubject: {n}\r\n\r\nmail {n}\r\n")
        .into_bytes()
}

/// Sends mail number `n` to `to` through `relay`.
async fn send_numbered(relay: &SmtpRelay, to: &str, n: usize) -> Result<(), SendError> {
    let to = address(to).map_err(|e| SendError::Permanent(e.to_string()))?;
    relay.send(&to, "a@example.com", &numbered(n)).await
}

/// The connections the sink saw mails come over, in arrival order, one entry a mail.
fn peers(sink: &SmtpSink) -> Result<Vec<String>> {
    Ok(sink.received()?.into_iter().map(|mail| mail.peer).collect())
}

#[tokio::test]
async fn mails_in_a_row_go_over_one_session_until_it_has_carried_its_share() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let relay = relay(sink.port, TlsMode::None)?;
    let bob = address("bob@client.example")?;
    let limit = sealpost_mail::transport::smtp::SESSION_MESSAGE_LIMIT as usize;
    for n in 0..=limit {
        relay.send(&bob, "sealpost@mail.example.com", &numbered(n)).await?;
    }
    let received = sink.received()?;
    ensure!(
        received.len() == limit + 1,
        "expected {} mails, got {}",
        limit + 1,
        received.len()
    );
    let subjects: Vec<String> = received.iter().filter_map(|mail| mail.message_id()).collect();
    let expected: Vec<String> = (0..=limit).map(|n| format!("n{n}@example.com")).collect();
    assert_eq!(subjects, expected, "each mail once, in order");
    let peers = peers(&sink)?;
    assert!(
        peers[..limit].iter().all(|peer| *peer == peers[0]),
        "the first {limit} mails share one connection: {peers:?}"
    );
    assert_ne!(peers[limit], peers[0], "a session carries {limit} mails at most");
    quit_seen(&sink, &peers[0])
        .await
        .context("the full session was ended with QUIT")?;
    assert_eq!(relay.kept_sessions(), 1, "the new session waits for the next mail");
    Ok(())
}

#[tokio::test]
async fn a_session_the_relay_dropped_is_replaced_and_the_mail_sent_once() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let port = sink.port;
    let relay = relay(port, TlsMode::None)?;
    let bob = address("bob@client.example")?;
    relay.send(&bob, "a@example.com", &numbered(1)).await?;
    assert_eq!(relay.kept_sessions(), 1);
    // The relay restarts: the kept connection is dead.
    drop(sink);
    let Some(sink) = SmtpSink::start_on(Some(port))? else {
        return Ok(());
    };

    relay.send(&bob, "a@example.com", &numbered(2)).await?;

    let received = sink.received()?;
    let ids: Vec<String> = received.iter().filter_map(|mail| mail.message_id()).collect();
    assert_eq!(ids, ["n2@example.com"], "sent once, over a new connection");
    assert_eq!(relay.kept_sessions(), 1);
    Ok(())
}

#[tokio::test]
async fn a_session_in_which_anything_failed_is_not_used_again() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let relay = relay(sink.port, TlsMode::None)?;
    send_numbered(&relay, "bob@client.example", 1).await?;
    let refused = send_numbered(&relay, "reject@client.example", 2).await;
    assert!(matches!(refused, Err(SendError::Permanent(_))), "{refused:?}");
    assert_eq!(relay.kept_sessions(), 0, "the session of the refusal is not kept");
    send_numbered(&relay, "carol@client.example", 3).await?;
    let peers = peers(&sink)?;
    ensure!(peers.len() == 2, "two mails arrive: {peers:?}");
    assert_ne!(
        peers[0], peers[1],
        "the mail after the refusal came over a new connection"
    );
    Ok(())
}

#[tokio::test]
async fn idle_sessions_are_ended_with_quit_when_the_worker_tidies() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let relay = relay(sink.port, TlsMode::None)?;
    send_numbered(&relay, "bob@client.example", 1).await?;
    relay.tidy().await;
    assert_eq!(relay.kept_sessions(), 1, "a session used just now stays");
    assert!(sink.quits().is_empty());

    tokio::time::sleep(sealpost_mail::transport::smtp::IDLE_LIMIT + Duration::from_millis(200)).await;
    relay.tidy().await;
    assert_eq!(relay.kept_sessions(), 0, "an idle session is closed");
    let peer = peers(&sink)?.pop().context("the mail arrived")?;
    quit_seen(&sink, &peer).await
}

#[tokio::test]
async fn closing_ends_every_kept_session_with_quit_even_one_used_just_now() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let relay = relay(sink.port, TlsMode::None)?;
    send_numbered(&relay, "bob@client.example", 1).await?;
    assert_eq!(relay.kept_sessions(), 1);
    relay.close().await;
    assert_eq!(relay.kept_sessions(), 0, "nothing is kept after closing");
    let peer = peers(&sink)?.pop().context("the mail arrived")?;
    quit_seen(&sink, &peer).await?;
    send_numbered(&relay, "carol@client.example", 2).await?;
    let peers = peers(&sink)?;
    ensure!(
        peers.len() == 2 && peers[0] != peers[1],
        "a new session after closing: {peers:?}"
    );
    Ok(())
}

/// Waits (up to 10 s: the client ends sessions in a task of their own) for the
/// sink to see `QUIT` on the connection `peer`.
pub(crate) async fn quit_seen(sink: &SmtpSink, peer: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !sink.quits().iter().any(|quit| quit == peer) {
        ensure!(
            std::time::Instant::now() < deadline,
            "no QUIT from {peer} reached the relay: {:?}",
            sink.quits()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
