//! Relaying untagged mail per token: the real aiosmtpd sink receives the bytes
//! exactly as the client sent them (a `Received:` line in front), `250` only
//! after it took them; tokens without the option, and tagged mail, are sealed
//! as before; a recipient the relay refuses leaves nothing anywhere.

use std::sync::Arc;

use anyhow::ensure;
use sealpost_domain::services::account_tokens::NewTokenRequest;
use sealpost_mail::gateway::{Gateway, GatewayConfig};
use sealpost_testkit::smtp::SmtpSink;
use tokio::process::Command;

use super::{RunningGateway, acme_with_token, audit_actions, have, stored_messages, token_with};
use crate::helpers::TestApp;

/// A gateway relaying through the sink on `port` (plain SMTP, as to a relay
/// on the same machine).
async fn relaying_gateway(app: &TestApp, port: u16) -> anyhow::Result<RunningGateway> {
    let mut relay = sealpost_mail::SmtpRelayConfig::new("127.0.0.1");
    relay.port = Some(port);
    relay.tls = sealpost_mail::TlsMode::None;
    relay.timeout = std::time::Duration::from_secs(10);
    let relay: Arc<dyn sealpost_mail::Transport> = Arc::new(sealpost_mail::SmtpRelay::new(relay)?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gw_port = listener.local_addr()?.port();
    let gateway = Gateway::relaying(app.services.clone(), GatewayConfig::default(), None, Some(relay));
    let task = tokio::spawn(gateway.serve(listener, false));
    Ok(RunningGateway { port: gw_port, task })
}

/// A token of Acme's that relays untagged mail.
async fn relaying_token(app: &TestApp) -> anyhow::Result<String> {
    let request = NewTokenRequest {
        relay_untagged: true,
        ..NewTokenRequest::default()
    };
    token_with(app, app.first_account().await?.number, request).await
}

/// The message smtplib sends as is: 8-bit text, a line starting with a dot,
/// trailing spaces, a control header, CRLF throughout.
const RAW: &[u8] = b"From: Alice <alice@example.com>\r\nTo: bob@example.com, outside@partner.example\r\n\
Subject: Lunch on Friday?\r\nX-Sealpost-Forward: yes\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
Gr\xc3\xbc\xc3\x9fe,  \r\n.a line that starts with a dot\r\n..and two\r\n\r\nAlice\r\n";

const SMTPLIB_SCRIPT: &str = r#"
import smtplib, sys
port, token, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = open(path, "rb").read()
rcpts = sys.argv[4:]
with smtplib.SMTP("127.0.0.1", port) as s:
    s.ehlo("mta.acme.example")
    s.login("filter", token)
    s.mail("alice@example.com")
    for r in rcpts:
        s.rcpt(r)
    code, answer = s.data(raw)
    print(code, answer.decode())
"#;

async fn smtplib(app: &TestApp, port: u16, token: &str, subject: Option<&str>, to: &[&str]) -> anyhow::Result<String> {
    let raw = match subject {
        Some(subject) => String::from_utf8_lossy(RAW)
            .replace("Lunch on Friday?", subject)
            .into_bytes(),
        None => RAW.to_vec(),
    };
    let path = app.dir.path().join("relayed.eml");
    std::fs::write(&path, raw)?;
    let output = Command::new("python3")
        .args(["-c", SMTPLIB_SCRIPT, &port.to_string(), token])
        .arg(&path)
        .args(to)
        .output()
        .await?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

async fn untagged_mail_is_relayed_byte_for_byte_only_under_a_relaying_token(app: TestApp) -> anyhow::Result<()> {
    if !have(
        "python3",
        "untagged_mail_is_relayed_byte_for_byte_only_under_a_relaying_token",
    ) {
        return Ok(());
    }
    let Some(sink) = SmtpSink::start()? else {
        eprintln!("SKIPPED untagged_mail_is_relayed_byte_for_byte: aiosmtpd is not installed");
        return Ok(());
    };
    let sealing = acme_with_token(&app, "").await?;
    let relaying = relaying_token(&app).await?;
    let gw = relaying_gateway(&app, sink.port).await?;
    let to = ["bob@example.com", "outside@partner.example"];

    // Hostile first: a token without the option seals untagged mail as before;
    // a relaying token seals tagged mail; a refused recipient leaves nothing.
    let sealed = smtplib(&app, gw.port, &sealing, None, &to).await?;
    ensure!(
        sealed.contains("queued as"),
        "sealed with the default profile: {sealed}"
    );
    let tagged = smtplib(&app, gw.port, &relaying, Some("[secure] Lunch"), &to).await?;
    ensure!(tagged.contains("queued as"), "tagged mail is sealed: {tagged}");
    ensure!(stored_messages(&app).await? == 2);
    let refused = smtplib(
        &app,
        gw.port,
        &relaying,
        None,
        &["bob@example.com", "reject-me@partner.example"],
    )
    .await?;
    ensure!(refused.contains("554"), "the relay's refusal is passed on: {refused}");
    ensure!(sink.received()?.is_empty(), "nothing reached the relay so far");

    let relayed = smtplib(&app, gw.port, &relaying, None, &to).await?;
    ensure!(
        relayed.starts_with("250") && relayed.contains("relayed unchanged"),
        "{relayed}"
    );
    ensure!(stored_messages(&app).await? == 2, "nothing more was stored");
    let received = sink.received()?;
    ensure!(received.len() == 1, "one transaction for both recipients: {received:?}");
    let got = &received[0];
    ensure!(got.mail_from == "alice@example.com" && got.rcpt_tos == to, "{got:?}");
    ensure!(
        got.raw.ends_with(RAW),
        "the bytes as sent: {}",
        String::from_utf8_lossy(&got.raw)
    );
    let added = String::from_utf8_lossy(&got.raw[..got.raw.len() - RAW.len()]).into_owned();
    ensure!(
        added.starts_with("Received: from mta.acme.example ([127.0.0.1])\r\n\tby ")
            && added.contains("(Sealpost) with ESMTPA; ")
            && added.ends_with("\r\n")
            && added.matches("\r\n").count() == 2,
        "one Received: line in front: {added:?}"
    );

    let audit = audit_actions(&app).await?;
    let relays: Vec<_> = audit
        .iter()
        .filter(|(action, _, _)| action == "gateway.relayed")
        .map(|(_, target, outcome)| (target.clone(), outcome.clone()))
        .collect();
    ensure!(
        relays
            .iter()
            .any(|(t, o)| o == "ok" && t.contains("from=alice@example.com rcpt=2"))
            && relays.iter().any(|(_, o)| o == "failed"),
        "audited, success and failure: {relays:?}"
    );
    ensure!(
        !audit
            .iter()
            .any(|(_, target, _)| target.contains("Lunch") || target.contains("dot")),
        "no subject or content in the audit"
    );
    Ok(())
}
on_both_databases!(
    relay_untagged,
    untagged_mail_is_relayed_byte_for_byte_only_under_a_relaying_token
);
