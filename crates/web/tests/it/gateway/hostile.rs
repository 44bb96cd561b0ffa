//! Hostile sessions: smuggling sequences, over-long lines, NUL bytes, broken
//! base64, injection in addresses, commands out of order, limits. No panic, the
//! right code, nothing half-stored, and the server keeps serving.

use anyhow::ensure;
use sealpost_mail::gateway::GatewayConfig;

use super::{
    RawClient, acme_and_gateway, acme_with_token, bob_reads, gateway, queued_id, simple_message, stored_messages,
};
use crate::helpers::TestApp;

/// After each abuse a fresh, well-behaved session still gets its message through.
async fn still_serving(port: u16, token: &str) -> anyhow::Result<()> {
    let mut client = RawClient::logged_in(port, token).await?;
    let answer = client.send_simple("alice@example.com", "Fine", "fine").await?;
    ensure!(
        answer.starts_with("250 2.0.0"),
        "a normal message after the abuse: {answer}"
    );
    Ok(())
}

async fn smuggling_sequences_end_the_session_and_store_nothing(app: TestApp) -> anyhow::Result<()> {
    let (token, gw) = acme_and_gateway(&app).await?;
    for smuggled in ["\n.\n", "\r.\n", "\n.\r\n", "\r\n.\r"] {
        let mut client = RawClient::logged_in(gw.port, &token).await?;
        client.expect("MAIL FROM:<alice@example.com>", "250").await?;
        client.expect("RCPT TO:<bob@example.com>", "250").await?;
        client.expect("DATA", "354").await?;
        let message = format!(
            "Subject: first\r\n\r\nhello{smuggled}MAIL FROM:<alice@example.com>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n"
        );
        client.send(message.as_bytes()).await?;
        let answer = client.reply().await?;
        ensure!(answer.starts_with("500 5.5.2"), "{smuggled:?} is refused: {answer}");
        ensure!(client.reply().await?.is_empty(), "and the session is closed");
    }
    ensure!(stored_messages(&app).await? == 0, "nothing was stored");
    // A bare LF in a command is refused the same way.
    let mut client = RawClient::connect(gw.port).await?;
    client.send(b"EHLO a\nMAIL FROM:<alice@example.com>\r\n").await?;
    ensure!(client.reply().await?.starts_with("500 5.5.2"));
    still_serving(gw.port, &token).await
}
on_both_databases!(smuggling, smuggling_sequences_end_the_session_and_store_nothing);

async fn long_lines_nul_bytes_and_out_of_order_commands_get_the_right_codes(app: TestApp) -> anyhow::Result<()> {
    let (token, gw) = acme_and_gateway(&app).await?;
    let mut client = RawClient::connect(gw.port).await?;
    // Out of order.
    ensure!(
        client
            .command("MAIL FROM:<alice@example.com>")
            .await?
            .starts_with("503"),
        "MAIL before EHLO"
    );
    client.expect("EHLO client.test", "250").await?;
    ensure!(
        client
            .command("MAIL FROM:<alice@example.com>")
            .await?
            .starts_with("530 5.7.0"),
        "MAIL before AUTH"
    );
    ensure!(
        client.command("RCPT TO:<bob@example.com>").await?.starts_with("503"),
        "RCPT before MAIL"
    );
    ensure!(client.command("DATA").await?.starts_with("503"), "DATA before MAIL");
    // NUL bytes and a 1 MB command line.
    client.expect("NOOP \0\0", "500 5.5.2").await?;
    let long = format!("NOOP {}", "a".repeat(1024 * 1024));
    ensure!(client.command(&long).await?.starts_with("500 5.5.6"), "a 1 MB line");
    ensure!(client.command("NOOP").await?.starts_with("250"), "the session goes on");
    drop(client);

    let mut client = RawClient::logged_in(gw.port, &token).await?;
    // Injection in addresses.
    client.expect("MAIL FROM:<alice@example.com>", "250").await?;
    let injected = client.command("RCPT TO:<bob@example.com>\rBcc: x@evil.example").await?;
    ensure!(injected.starts_with("500 5.5.2"), "a CR inside an address: {injected}");
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    client.expect("MAIL FROM:<alice@example.com>", "250").await?;
    let answer = client.command("RCPT TO:<bob@example.com%0d%0aBcc:x@evil>").await?;
    ensure!(answer.starts_with("5"), "a malformed address is refused: {answer}");
    ensure!(
        client
            .command("MAIL FROM:<alice@example.com>")
            .await?
            .starts_with("503"),
        "nested MAIL"
    );
    // A 1 MB header line inside DATA: refused once the message ends, session goes on.
    client.expect("RCPT TO:<bob@example.com>", "250").await?;
    client.expect("DATA", "354").await?;
    let big = format!("Subject: x\r\nX-Long: {}\r\n\r\nbody\r\n", "b".repeat(1024 * 1024));
    client.send(big.as_bytes()).await?;
    let answer = client.command(".").await?;
    ensure!(answer.starts_with("500 5.5.6"), "a 1 MB header line: {answer}");
    client.expect("RSET", "250").await?;
    // SIZE declared too large.
    let answer = client
        .command("MAIL FROM:<alice@example.com> SIZE=999999999999")
        .await?;
    ensure!(answer.starts_with("552 5.3.4"), "SIZE over the limit: {answer}");
    ensure!(stored_messages(&app).await? == 0, "nothing was stored");
    still_serving(gw.port, &token).await
}
on_both_databases!(
    codes,
    long_lines_nul_bytes_and_out_of_order_commands_get_the_right_codes
);

async fn broken_base64_mime_bombs_and_too_many_recipients_are_handled(app: TestApp) -> anyhow::Result<()> {
    let token = acme_with_token(&app, "").await?;
    let config = GatewayConfig {
        max_recipients: 3,
        max_parts: 50,
        ..GatewayConfig::default()
    };
    let gw = gateway(&app, config, None).await?;
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    // Broken base64: sealed as whatever the lenient decoder makes of it, no panic.
    let broken = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Broken\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\ntext\r\n\
        --b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
        !!!!not*base64====\0\x01\r\n--b--\r\n";
    let answer = client
        .transaction("alice@example.com", &["bob@example.com"], broken)
        .await?;
    ensure!(
        answer.starts_with("250") || answer.starts_with("554"),
        "broken base64: {answer}"
    );
    if answer.starts_with("250") {
        let page = bob_reads(&app, &queued_id(&answer)?).await?;
        ensure!(page.status == 200, "and it opens");
    }
    // A MIME bomb: far more parts than allowed.
    let mut bomb = String::from(
        "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Bomb\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n\r\n",
    );
    for i in 0..200 {
        bomb.push_str(&format!(
            "--z\r\nContent-Type: text/plain; name=\"p{i}.txt\"\r\n\r\npart {i}\r\n"
        ));
    }
    bomb.push_str("--z--\r\n");
    let before = stored_messages(&app).await?;
    let answer = client
        .transaction("alice@example.com", &["bob@example.com"], &bomb)
        .await?;
    ensure!(answer.starts_with("552 5.3.4"), "a MIME bomb: {answer}");
    ensure!(stored_messages(&app).await? == before, "nothing stored");
    // Recipients past the limit get 452, the others go.
    client.expect("MAIL FROM:<alice@example.com>", "250").await?;
    for n in 0..3 {
        ensure!(
            client
                .command(&format!("RCPT TO:<r{n}@example.org>"))
                .await?
                .starts_with("250")
        );
    }
    client.expect("RCPT TO:<r9@example.org>", "452 4.5.3").await?;
    client.expect("RSET", "250").await?;
    still_serving(gw.port, &token).await
}
on_both_databases!(bombs, broken_base64_mime_bombs_and_too_many_recipients_are_handled);

async fn pipelined_commands_are_answered_in_order(app: TestApp) -> anyhow::Result<()> {
    let (token, gw) = acme_and_gateway(&app).await?;
    let mut client = RawClient::connect(gw.port).await?;
    let ehlo = client.command("EHLO client.test").await?;
    for extension in [
        "PIPELINING",
        "SIZE ",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "AUTH PLAIN LOGIN",
    ] {
        ensure!(ehlo.contains(extension), "EHLO advertises {extension}: {ehlo}");
    }
    use base64::Engine as _;
    let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0gw\0{token}"));
    ensure!(client.command(&format!("AUTH PLAIN {plain}")).await?.starts_with("235"));
    // One write: MAIL, two RCPTs and DATA (RFC 2920).
    client
        .send(b"MAIL FROM:<alice@example.com> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<bob@example.com>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\n")
        .await?;
    for expected in ["250 2.1.0", "250 2.1.5", "250 2.1.5", "354"] {
        let answer = client.reply().await?;
        ensure!(answer.starts_with(expected), "expected {expected}, got {answer}");
    }
    client
        .send(simple_message("Pipelined ünïcode", "..a line starting with a dot").as_bytes())
        .await?;
    let answer = client.command(".").await?;
    let page = bob_reads(&app, &queued_id(&answer)?).await?;
    page.assert_shows("Pipelined ünïcode");
    page.assert_shows(".a line starting with a dot");
    Ok(())
}
on_both_databases!(pipelining, pipelined_commands_are_answered_in_order);
