//! Real clients submit, the recipient opens: swaks, Python's smtplib and lettre
//! (over STARTTLS with a certificate the test makes).

use base64::Engine as _;
use tokio::process::Command;

use anyhow::{anyhow, ensure};
use sealpost_mail::gateway::GatewayConfig;

use super::{acme_and_gateway, acme_with_token, bob_reads, gateway, have, queued_id};
use crate::helpers::{TestApp, logged_in};

/// Bytes no charset conversion leaves alone: every byte value, twice.
fn binary_attachment() -> Vec<u8> {
    (0..=255u8).chain((0..=255u8).rev()).collect()
}

async fn swaks_submission_is_sealed_and_opened_byte_exact(app: TestApp) -> anyhow::Result<()> {
    if !have("swaks", "swaks_submission_is_sealed_and_opened_byte_exact") {
        return Ok(());
    }
    let (token, gw) = acme_and_gateway(&app).await?;
    let file = app.dir.path().join("figures.bin");
    std::fs::write(&file, binary_attachment())?;
    let output = Command::new("swaks")
        .args(["--server", &format!("127.0.0.1:{}", gw.port)])
        .args([
            "--from",
            "alice@example.com",
            "--to",
            "bob@example.com,carol@example.com",
        ])
        .args([
            "--auth",
            "PLAIN",
            "--auth-user",
            "mailserver",
            "--auth-password",
            &token,
        ])
        .args(["--header", "To: Bob <bob@example.com>"])
        .args(["--header", "Subject: [secure] Quarterly figures"])
        .args(["--header", "X-Sealpost-Forward: yes"])
        .args(["--body", "The figures are attached."])
        .args([
            "--attach-type",
            "application/octet-stream",
            "--attach-name",
            "figures.bin",
        ])
        .arg("--attach")
        .arg(format!("@{}", file.display()))
        .output()
        .await?;
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "swaks failed: {printed}");
    let id = queued_id(&printed)?;

    let page = bob_reads(&app, &id).await?;
    ensure!(page.status == 200, "Bob cannot open it: {}", page.text());
    page.assert_shows("Quarterly figures");
    ensure!(!page.shows("[secure]"), "the tag was stripped: {}", page.text());
    page.assert_shows("The figures are attached.");
    page.assert_shows("figures.bin");
    ensure!(!page.shows("carol@example.com"), "Carol (Bcc) is not shown to Bob");
    let bob = logged_in(&app, "bob@example.com").await?;
    let (status, bytes) = bob.bytes(&format!("/m/{id}/attachments/1")).await?;
    ensure!(
        status == 200 && bytes == binary_attachment(),
        "the attachment comes out byte-exact"
    );
    // Alice's tracking page names Carol as Bcc.
    let alice = logged_in(&app, "alice@example.com").await?;
    let tracking = alice.get(&format!("/portal/sent/{id}")).await?;
    tracking.assert_shows("carol@example.com (Bcc)");
    // Carol got her own notification and opens the same message.
    app.mail_to("carol@example.com", "")?;
    let carol = logged_in(&app, "carol@example.com").await?;
    let hers = carol.get(&format!("/m/{id}")).await?;
    ensure!(hers.status == 200, "Carol (Bcc) opens it");
    hers.assert_shows("Quarterly figures");
    Ok(())
}
on_both_databases!(swaks_submission, swaks_submission_is_sealed_and_opened_byte_exact);

const SMTPLIB_SCRIPT: &str = r#"
import smtplib, sys
from email.message import EmailMessage
from email.headerregistry import Address
port, token, image_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
msg = EmailMessage()
msg["From"] = Address("Alice", addr_spec="alice@example.com")
msg["To"] = "bob@example.com"
msg["Subject"] = "[secure] Réunion à Zürich – 会议"
msg["X-Sealpost-Read-Receipt"] = "yes"
msg.set_content("Plain: Grüße aus Zürich\n")
msg.add_alternative('<p>Grüße <b>aus</b> Zürich</p><img src="cid:logo">', subtype="html")
with open(image_path, "rb") as f:
    msg.get_payload()[1].add_related(f.read(), maintype="image", subtype="png", cid="<logo>", filename="logo.png")
msg.add_attachment("Ligne 1 – été\n".encode("utf-8"), maintype="text", subtype="plain", filename="notes-été.txt")
with smtplib.SMTP("127.0.0.1", port) as s:
    s.ehlo("client.test")
    s.login("mailserver", token)
    s.mail("alice@example.com")
    s.rcpt("bob@example.com")
    # As send_message does: CRLF line ends (bare LF is refused as smuggling).
    code, answer = s.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    print(code, answer.decode())
"#;

async fn smtplib_html_inline_images_and_charsets_arrive_intact(app: TestApp) -> anyhow::Result<()> {
    if !have("python3", "smtplib_html_inline_images_and_charsets_arrive_intact") {
        return Ok(());
    }
    let (token, gw) = acme_and_gateway(&app).await?;
    let image: Vec<u8> = b"\x89PNG\r\n\x1a\n".iter().copied().chain(0..200u8).collect();
    let image_path = app.dir.path().join("logo.png");
    std::fs::write(&image_path, &image)?;
    let output = Command::new("python3")
        .args(["-c", SMTPLIB_SCRIPT, &gw.port.to_string(), &token])
        .arg(&image_path)
        .output()
        .await?;
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "smtplib failed: {printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(printed.starts_with("250 "), "smtplib got {printed}");
    let id = queued_id(&printed)?;
    let page = bob_reads(&app, &id).await?;
    ensure!(page.status == 200, "Bob cannot open it: {}", page.text());
    page.assert_shows("Réunion à Zürich – 会议");
    ensure!(!page.shows("[secure]"), "the tag was stripped");
    // The HTML body is shown (sanitized, in its frame), with its words intact.
    ensure!(
        page.body.contains("Grüße") && page.body.contains("Zürich"),
        "the HTML body arrived"
    );
    // The inline image shows where the HTML put it: written into the body's frame
    // (which fetches nothing) from the part it was stored as.
    let inline = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&image)
    );
    ensure!(page.body.contains(&inline), "the inline image is in the HTML body");
    ensure!(
        !page.body.contains("cid:logo"),
        "the reference was pointed at the stored part"
    );
    page.assert_shows("logo.png");
    page.assert_shows("notes-été.txt");
    let bob = logged_in(&app, "bob@example.com").await?;
    let mut found_image = false;
    let mut found_notes = false;
    for part in 1..=2 {
        let (status, bytes) = bob.bytes(&format!("/m/{id}/attachments/{part}")).await?;
        ensure!(status == 200, "attachment {part} answers {status}");
        found_image |= bytes == image;
        found_notes |= bytes == "Ligne 1 – été\n".as_bytes();
    }
    ensure!(
        found_image && found_notes,
        "the inline image and the text file come out byte-exact"
    );
    Ok(())
}
on_both_databases!(
    smtplib_submission,
    smtplib_html_inline_images_and_charsets_arrive_intact
);

/// A self-signed certificate for `localhost` made with the openssl CLI:
/// (certificate PEM, server config).
pub(super) fn test_certificate(
    dir: &std::path::Path,
) -> anyhow::Result<Option<(Vec<u8>, std::sync::Arc<tokio_rustls::rustls::ServerConfig>)>> {
    if !have("openssl", "STARTTLS tests") {
        return Ok(None);
    }
    let (cert, key) = (dir.join("gw-cert.pem"), dir.join("gw-key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()?;
    ensure!(
        status.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let config = sealpost_mail::gateway::load_tls(&cert, &key).map_err(|e| anyhow!("{e}"))?;
    Ok(Some((std::fs::read(&cert)?, config)))
}

async fn lettre_over_starttls_authenticates_only_after_tls(app: TestApp) -> anyhow::Result<()> {
    use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
    use lettre::transport::smtp::authentication::{Credentials, Mechanism};
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

    let Some((cert_pem, tls)) = test_certificate(app.dir.path())? else {
        return Ok(());
    };
    let token = acme_with_token(&app, "").await?;
    // As on a network address: AUTH only once the session is encrypted.
    let config = GatewayConfig {
        loopback_plaintext_auth: false,
        ..GatewayConfig::default()
    };
    let gw = gateway(&app, config, Some(tls)).await?;

    let mut raw = super::RawClient::connect(gw.port).await?;
    let ehlo = raw.command("EHLO client.test").await?;
    ensure!(ehlo.contains("STARTTLS"), "STARTTLS is offered: {ehlo}");
    ensure!(!ehlo.contains("AUTH"), "AUTH is not offered in clear text: {ehlo}");
    let refused = raw.login(&token).await?;
    ensure!(
        refused.starts_with("538 5.7.11"),
        "AUTH before TLS is refused: {refused}"
    );

    let parameters = TlsParameters::builder("localhost".to_owned())
        .add_root_certificate(Certificate::from_pem(&cert_pem)?)
        .build_rustls()?;
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("localhost")
        .port(gw.port)
        .tls(Tls::Required(parameters))
        .credentials(Credentials::new("mailserver".to_owned(), token.clone()))
        .authentication(vec![Mechanism::Login])
        .build();
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let message = Message::builder()
        .from("Alice <alice@example.com>".parse()?)
        .to("Bob <bob@example.com>".parse()?)
        .subject("[secure] Contract over TLS")
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("Please sign.".to_owned()))
                .singlepart(
                    Attachment::new("contract.pdf".to_owned())
                        .body(pdf.clone(), ContentType::parse("application/pdf")?),
                ),
        )?;
    let response = mailer
        .send(message)
        .await
        .map_err(|e| anyhow!("lettre over STARTTLS: {e:?}"))?;
    ensure!(response.is_positive(), "lettre got {response:?}");
    let id = queued_id(&response.message().collect::<Vec<_>>().join(" "))?;
    let page = bob_reads(&app, &id).await?;
    ensure!(page.status == 200, "Bob cannot open it: {}", page.text());
    page.assert_shows("Contract over TLS");
    page.assert_shows("Please sign.");
    let bob = logged_in(&app, "bob@example.com").await?;
    assert_eq!(bob.bytes(&format!("/m/{id}/attachments/1")).await?, (200, pdf));
    Ok(())
}
on_both_databases!(lettre_starttls, lettre_over_starttls_authenticates_only_after_tls);

/// The plaintext canary of `messages::sending`, through the gateway: subject,
/// body and attachment submitted over SMTP are nowhere in the database, blobs,
/// outbox or mail, though the recipient reads them.
#[tokio::test]
async fn gateway_plaintext_never_reaches_the_database_blobs_outbox_or_mail() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(crate::helpers::Db::Sqlite).await? else {
        return Ok(());
    };
    let (token, gw) = acme_and_gateway(&app).await?;
    let marker = format!(
        "MARKER{}",
        sealpost_crypto::token::random_token(12)?.replace(['-', '_'], "x")
    );
    let message = format!(
        "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: [secure] Subject {marker}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nBody {marker}\r\n\
         --m\r\nContent-Type: text/plain; name=\"{marker}.txt\"\r\nContent-Disposition: attachment; filename=\"{marker}.txt\"\r\n\r\n\
         attachment {marker}\r\n--m--\r\n"
    );
    let mut client = super::RawClient::logged_in(gw.port, &token).await?;
    let answer = client
        .transaction("alice@example.com", &["bob@example.com"], &message)
        .await?;
    let id = queued_id(&answer)?;
    let page = bob_reads(&app, &id).await?;
    ensure!(
        page.shows(&format!("Subject {marker}")),
        "the marker is really in the message"
    );
    ensure!(page.shows(&format!("Body {marker}")));
    let scanned = app.scan_for_plaintext(&marker)?;
    ensure!(scanned >= 4, "database, blobs and mail were scanned ({scanned} files)");
    Ok(())
}
