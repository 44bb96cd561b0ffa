//! Postfix as the organisation's mail server: an instance of the test's own
//! (`sealpost_testkit::postfix`) configured with the lines of `docs/GATEWAY.md`
//! relays a message tagged `[secure]` through the gateway, over STARTTLS checked
//! against the gateway's certificate fingerprint, authenticated with an account
//! token (AUTH in clear text is switched off, as for a gateway on the network).
//! The message is what mail clients send: text and HTML alternatives, an inline
//! image, two attachments, To, Cc and a Bcc. Dana, a new recipient, then opens
//! the Registered Envelope of her notification in headless Chromium, clicks
//! "Open Online", registers, confirms her address and reads the message: the HTML body, the three files by name, each download
//! byte for byte, and nobody's Bcc.
//!
//! Needs root (Postfix's daemons drop to the `postfix` user), Debian's postfix
//! and openssl, Chromium and ChromeDriver; skipped loudly where one is missing
//! (see the testkit's and `webdriver`'s notes for what CI requires).

use std::time::Duration;

use anyhow::{Context as _, ensure};
use base64::Engine as _;
use sealpost_mail::gateway::GatewayConfig;
use sealpost_testkit::postfix::{Postfix, Route};

use super::clients::test_certificate;
use super::{RawClient, acme_with_token, gateway, have, queued_id};
use crate::helpers::{Db, TestApp};
use crate::webdriver::{Browser, ChromeDriver, button, heading, literal};

const DANA: &str = "dana@example.org";
const DANA_PASSWORD: &str = "Harbour-Lights-73";
const SUBJECT: &str = "Quarterly report";
const HTML_SENTENCE: &str = "The quarterly report is attached, with the figures.";
const BOUNDARY: &str = "=_outer_7f3a";

/// A file of the message: (name, MIME type, bytes, shown inline by the HTML).
type File = (&'static str, &'static str, Vec<u8>, bool);

/// The files of the message.
fn files() -> anyhow::Result<Vec<File>> {
    let pdf: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        .iter()
        .copied()
        .chain((0..=255u8).rev())
        .collect();
    let csv = "quarter;revenue;note\nQ3;1 234,50 €;Zürich office\n"
        .as_bytes()
        .to_vec();
    // A real image, 3 by 2 pixels: the browser draws it in the body.
    let png = crate::images::png(3, 2)?;
    Ok(vec![
        ("logo.png", "image/png", png, true),
        ("report.pdf", "application/pdf", pdf, false),
        ("figures.csv", "text/csv; charset=utf-8", csv, false),
    ])
}

/// Base64 in lines of 76 characters, CRLF after each.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|line| format!("{}\r\n", String::from_utf8_lossy(line)))
        .collect()
}

/// The message as a mail client writes it: mixed { related { alternative { text,
/// HTML with the image by cid }, the image }, the two attachments }. Frank is the
/// Bcc: in the envelope only.
fn message() -> anyhow::Result<String> {
    let mut m = format!(
        "From: Alice <alice@example.com>\r\nTo: Dana <{DANA}>\r\nCc: Bob <bob@example.com>\r\n\
         Subject: [secure] {SUBJECT}\r\nMessage-ID: <postfix-test-1@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\r\n\
         --{BOUNDARY}\r\nContent-Type: multipart/related; boundary=\"=_related\"\r\n\r\n\
         --=_related\r\nContent-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n\
         --=_alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{HTML_SENTENCE}\r\n\
         --=_alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>{HTML_SENTENCE}</p><p><img src=\"cid:logo@example.com\" alt=\"logo\"></p></body></html>\r\n\
         --=_alt--\r\n"
    );
    for (name, content_type, bytes, inline) in files()? {
        let (disposition, id) = if inline {
            ("inline", "Content-ID: <logo@example.com>\r\n")
        } else {
            ("attachment", "")
        };
        let part = format!(
            "Content-Type: {content_type}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: {disposition}; filename=\"{name}\"\r\n{id}\r\n{}",
            base64_lines(&bytes)
        );
        if inline {
            m.push_str(&format!("--=_related\r\n{part}--=_related--\r\n"));
        } else {
            m.push_str(&format!("--{BOUNDARY}\r\n{part}"));
        }
    }
    m.push_str(&format!("--{BOUNDARY}--\r\n"));
    Ok(m)
}

/// The SHA-256 fingerprint of a PEM certificate, as Postfix writes it (`AB:CD:…`).
fn fingerprint(cert: &std::path::Path) -> anyhow::Result<String> {
    let output = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(cert)
        .output()?;
    ensure!(output.status.success(), "openssl x509 failed");
    let printed = String::from_utf8_lossy(&output.stdout);
    printed
        .trim()
        .split_once('=')
        .map(|(_, f)| f.to_owned())
        .context("no fingerprint printed")
}

async fn postfix_relays_through_the_gateway_and_the_recipient_sees_the_files(db: Db) -> anyhow::Result<()> {
    if !have("openssl", "postfix_relays_through_the_gateway") {
        return Ok(());
    }
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(());
    };
    let Some(app) = TestApp::spawn(db).await? else {
        return Ok(());
    };
    let Some((_, tls)) = test_certificate(app.dir.path())? else {
        return Ok(());
    };
    let fingerprint = fingerprint(&app.dir.path().join("gw-cert.pem"))?;
    let token = acme_with_token(&app, "127.0.0.1/32").await?;
    let config = GatewayConfig {
        loopback_plaintext_auth: false,
        ..GatewayConfig::default()
    };
    let gw = gateway(&app, config, Some(tls)).await?;
    let route = Route::Sealpost {
        port: gw.port,
        token,
        tls_fingerprint: Some(fingerprint),
    };
    let Some(postfix) = Postfix::start(&route)? else {
        return Ok(());
    };

    // Alice's mail client hands the message to the organisation's Postfix.
    let mut client = RawClient::connect(postfix.port).await?;
    let ehlo = client.command("EHLO workstation.example.com").await?;
    ensure!(ehlo.starts_with("250"), "Postfix answered EHLO with {ehlo}");
    let accepted = client
        .transaction(
            "alice@example.com",
            &[DANA, "bob@example.com", "frank@example.net"],
            &message()?,
        )
        .await?;
    ensure!(accepted.starts_with("250"), "Postfix refused the message: {accepted}");
    client.command("QUIT").await?;

    // Postfix relays it to Sealpost: one delivery, three recipients, over TLS.
    let blocking = tokio::task::spawn_blocking(move || {
        let outcome = postfix.wait_sent(3, Duration::from_secs(60));
        (postfix, outcome)
    });
    let (postfix, outcome) = blocking.await?;
    outcome?;
    let log = postfix.log();
    ensure!(
        log.contains("Verified TLS connection established to 127.0.0.1"),
        "Postfix did not check the gateway's certificate:\n{log}"
    );
    let line = log
        .lines()
        .find(|l| l.contains("relay=127.0.0.1") && l.contains("status=sent"))
        .with_context(|| format!("no delivery to the gateway in the log:\n{log}"))?;
    let id = queued_id(line)?;
    drop(postfix);

    // The notifications go out; Dana opens the Registered Envelope attached to
    // hers in Chromium and clicks "Open Online".
    ensure!(
        app.deliver().await? == 3,
        "one notification per recipient, Bcc included"
    );
    let notification = app.mail_to(DANA, "")?;
    ensure!(
        notification.link(&format!("{}/m/", app.base))? == format!("{}/m/{id}?r=dana%40example.org", app.base),
        "the notification links to the message"
    );
    let (name, envelope) = notification.envelope()?;
    let saved = app.dir.path().join(name);
    std::fs::write(&saved, envelope)?;
    let link = format!("file://{}", saved.canonicalize()?.display());
    let session = driver.session().await?;
    let dana = Browser {
        client: &session,
        base: &app.base,
        shots: format!(
            "postfix-{}",
            if matches!(db, Db::Sqlite) { "sqlite" } else { "postgres" }
        ),
    };
    let outcome = dana_registers_and_reads(&app, &dana, &link).await;
    if outcome.is_err() {
        dana.screenshot("failure").await;
    }
    let closed = session.close().await;
    outcome?;
    closed.context("closing the WebDriver session")?;
    Ok(())
}

async fn dana_registers_and_reads(app: &TestApp, dana: &Browser<'_>, link: &str) -> anyhow::Result<()> {
    dana.client.goto(link).await?;
    dana.click(&button("Open Online")).await?;
    dana.find(&format!("//input[@id='email' and @value={}]", literal(DANA)))
        .await?;
    dana.fill("First Name", "Dana").await?;
    dana.fill("Last Name", "Scully").await?;
    dana.fill("Password", DANA_PASSWORD).await?;
    dana.fill("Confirm Password", DANA_PASSWORD).await?;
    dana.click(&button("Register")).await?;
    dana.find(&heading("Check your mailbox")).await?;
    app.deliver().await?;
    let activation = app.mail_to(DANA, "Confirm your email address")?;
    let activate = activation
        .link(&format!("{}/activate?token=", app.base))?
        .replace("&amp;", "&");
    dana.client.goto(&activate).await?;
    dana.click(&button("Confirm and continue")).await?;

    // The message, as Dana sees it.
    dana.find(&heading(SUBJECT)).await?;
    dana.screenshot("message").await;
    let page = dana.text("//main").await?;
    ensure!(!page.contains("[secure]"), "the tag is stripped: {page}");
    ensure!(
        !page.contains("frank@example.net"),
        "the Bcc recipient is shown to Dana: {page}"
    );
    let frame = dana.find("//iframe[contains(@class,'body')]").await?;
    frame.enter_frame().await?;
    let body = dana.text("//body").await;
    // The inline image is drawn where the HTML put it, at its own size (3 by 2).
    let drawn = image_size(dana, "//img[@alt='logo']", (3.0, 2.0)).await;
    dana.client.enter_parent_frame().await?;
    let body = body?;
    let drawn = drawn?;
    ensure!(
        drawn == (3.0, 2.0),
        "the inline image is not drawn in the body: {drawn:?}"
    );
    ensure!(body.contains(HTML_SENTENCE), "the HTML body reads {body:?}");
    let shown = dana.texts("//ul[contains(@class,'attachments')]/li/a").await?;
    let mut names: Vec<&str> = shown.iter().map(String::as_str).collect();
    names.sort_unstable();
    ensure!(
        names == ["figures.csv", "logo.png", "report.pdf"],
        "the attachments shown are {shown:?}"
    );

    // Each download is the file Alice attached, byte for byte.
    for (name, _, bytes, _) in files()? {
        let url = dana.attachment_url(name).await?;
        let response = dana.get_with_session(&url).await?;
        ensure!(response.status() == 200, "{name} answered {}", response.status());
        let got = response.bytes().await?;
        ensure!(
            got.as_ref() == bytes.as_slice(),
            "{name} came back as {} bytes, not the {} attached",
            got.len(),
            bytes.len()
        );
    }
    Ok(())
}

on_both_databases!(
    postfix_as_the_organisations_mta,
    postfix_relays_through_the_gateway_and_the_recipient_sees_the_files,
    given_db
);

/// The size (width, height) the browser drew the image at `xpath` at, waiting up
/// to 10 s for it to be decoded (a broken image is drawn as its alt text).
async fn image_size(browser: &Browser<'_>, xpath: &str, expected: (f64, f64)) -> anyhow::Result<(f64, f64)> {
    let image = browser.find(xpath).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, _, width, height) = image.rectangle().await?;
        if (width, height) == expected || std::time::Instant::now() > deadline {
            return Ok((width, height));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
