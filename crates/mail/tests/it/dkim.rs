//! DKIM: mail signed with a key from `generate` (what `sealpost dkim create` prints)
//! verifies with mail-auth's verifier, fed the printed DNS record instead of DNS.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use mail_auth::DkimResult;
use sealpost_domain::messages::RenderedMail;
use sealpost_domain::types::Locale;
use sealpost_mail::transport::dkim::{Algorithm, generate, sign};
use sealpost_mail::transport::header_value;
use sealpost_mail::{DkimSigning, DomainSigner, SmtpRelay, SmtpRelayConfig, TlsMode, Transport};

use sealpost_testkit::dkim::verify;

use crate::support::{SmtpSink, address, alices_notification, clock, notifier};

fn notification() -> Result<RenderedMail> {
    alices_notification(
        &*notifier(clock())?,
        &address("bob@client.example")?,
        Locale::Fr,
        9,
        crate::support::START,
        Some(&[1, 2, 3, 250, 251, 252]),
    )
}

/// The domain of the rendered mail's `From`, the one a key must be made for.
fn from_domain(raw: &[u8]) -> Result<String> {
    let from = header_value(raw, "from").context("no From header")?;
    let address = from
        .rsplit_once('<')
        .map_or(from.as_str(), |(_, a)| a.trim_end_matches('>'));
    Ok(address.rsplit_once('@').context("no @ in From")?.1.to_ascii_lowercase())
}

#[tokio::test]
async fn a_signed_notification_verifies_against_the_printed_record_and_a_changed_one_does_not() -> Result<()> {
    let mail = notification()?;
    let domain = from_domain(&mail.raw)?;
    for algorithm in [Algorithm::Rsa2048, Algorithm::Ed25519] {
        let key = generate(&domain, "sealpost2026", algorithm)?;
        assert_eq!(key.record_name, format!("sealpost2026._domainkey.{domain}"));
        let keys = vec![DomainSigner::from_pem(
            &domain,
            "sealpost2026",
            key.private_pem.as_bytes(),
        )?];
        let signed = sign(&keys, &mail.raw)
            .map_err(anyhow::Error::msg)?
            .context("not signed")?;
        let results = verify(&signed, &key.record_name, &key.record_value).await?;
        assert_eq!(results, [DkimResult::Pass], "{algorithm:?}");

        let text = String::from_utf8_lossy(&signed);
        let tampered = text.replacen("Subject: ", "Subject: Re: ", 1);
        ensure!(tampered != text, "the notification has no Subject to change");
        let results = verify(tampered.as_bytes(), &key.record_name, &key.record_value).await?;
        ensure!(
            matches!(results.as_slice(), [DkimResult::Fail(_)]),
            "{algorithm:?}: a changed subject still verified: {results:?}"
        );
        // Another key's record must not verify this signature either.
        let other = generate(&domain, "sealpost2026", algorithm)?;
        let results = verify(&signed, &other.record_name, &other.record_value).await?;
        ensure!(
            matches!(results.as_slice(), [DkimResult::Fail(_)]),
            "{algorithm:?}: verified with another key: {results:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn mail_from_a_domain_without_a_key_leaves_unsigned() -> Result<()> {
    let mail = notification()?;
    let key = generate("elsewhere.example", "s1", Algorithm::Ed25519)?;
    let keys = vec![DomainSigner::from_pem(
        "elsewhere.example",
        "s1",
        key.private_pem.as_bytes(),
    )?];
    assert_eq!(sign(&keys, &mail.raw).map_err(anyhow::Error::msg)?, None);
    let dir = tempfile::tempdir()?;
    let transport = DkimSigning::new(
        Arc::new(sealpost_mail::MailDir::new(dir.path().to_owned(), clock())),
        keys,
    );
    transport.send(&address("bob@client.example")?, "", &mail.raw).await?;
    let mut files = std::fs::read_dir(dir.path())?.collect::<Result<Vec<_>, _>>()?;
    ensure!(files.len() == 1, "expected one .eml, got {}", files.len());
    let written = std::fs::read(files.remove(0).path())?;
    ensure!(
        !String::from_utf8_lossy(&written)
            .to_ascii_lowercase()
            .contains("dkim-signature"),
        "a mail from a domain without a key was signed"
    );
    Ok(())
}

/// An SMTP relay client for `sink` that signs mail from `domain` with `private_pem`
/// (selector `relay`).
fn signing_relay_to(sink: &SmtpSink, domain: &str, private_pem: &str) -> Result<DkimSigning> {
    let mut config = SmtpRelayConfig::new("127.0.0.1");
    config.port = Some(sink.port);
    config.tls = TlsMode::None;
    config.timeout = Duration::from_secs(10);
    config.hello_name = Some("sealpost.test".to_owned());
    Ok(DkimSigning::new(
        Arc::new(SmtpRelay::new(config)?),
        vec![DomainSigner::from_pem(domain, "relay", private_pem.as_bytes())?],
    ))
}

#[tokio::test]
async fn the_smtp_server_receives_a_signature_that_verifies() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let mail = notification()?;
    let domain = from_domain(&mail.raw)?;
    let key = generate(&domain, "relay", Algorithm::Rsa2048)?;
    let transport = signing_relay_to(&sink, &domain, &key.private_pem)?;
    transport
        .send(&address("bob@client.example")?, "sealpost@mail.example.com", &mail.raw)
        .await?;
    let received = sink.received()?;
    ensure!(received.len() == 1, "expected one message, got {}", received.len());
    let raw = &received[0].raw;
    ensure!(
        raw.starts_with(b"DKIM-Signature: "),
        "no DKIM-Signature on the received mail"
    );
    let results = verify(raw, &key.record_name, &key.record_value).await?;
    assert_eq!(results, [DkimResult::Pass]);
    if let Some(verified) = outside_verifier(raw, &key.record_name, &key.record_value)? {
        ensure!(verified, "dkimpy did not verify the signature");
        let mut changed = raw.clone();
        let at = changed.len() - 3;
        changed[at] ^= 0x01;
        ensure!(
            outside_verifier(&changed, &key.record_name, &key.record_value)? == Some(false),
            "dkimpy accepted a changed body"
        );
    }
    Ok(())
}

/// The gateway relays untagged mail through the signing transport: it passes as
/// it came, unsigned, over the session the signed notification used.
#[tokio::test]
async fn relayed_mail_passes_unsigned_over_the_same_session() -> Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let mail = notification()?;
    let domain = from_domain(&mail.raw)?;
    let key = generate(&domain, "relay", Algorithm::Rsa2048)?;
    let transport = signing_relay_to(&sink, &domain, &key.private_pem)?;
    let bob = address("bob@client.example")?;
    transport.send(&bob, "sealpost@mail.example.com", &mail.raw).await?;
    transport
        .relay(std::slice::from_ref(&bob), "alice@example.com", &mail.raw)
        .await?;
    let received = sink.received()?;
    ensure!(received.len() == 2, "expected two messages, got {}", received.len());
    ensure!(
        received[0].raw.starts_with(b"DKIM-Signature: "),
        "the notification is signed"
    );
    ensure!(
        received[1].raw == mail.raw,
        "the relayed mail arrives byte for byte, no signature added"
    );
    assert_eq!(received[1].mail_from, "alice@example.com");
    assert_eq!(received[0].peer, received[1].peer, "both went over one session");
    transport.close().await;
    crate::smtp::quit_seen(&sink, &received[1].peer).await
}

/// A verifier written by other people: Python's dkimpy (`pip install dkimpy`), fed the
/// record instead of DNS: whether it verifies, or `None` (said) where it is not
/// installed.
fn outside_verifier(raw: &[u8], name: &str, value: &str) -> Result<Option<bool>> {
    use std::io::Write as _;
    const SCRIPT: &str = "import os, sys\n\
try:\n    import dkim\nexcept ImportError:\n    sys.exit(77)\n\
name = os.environ['DKIM_NAME'].encode()\n\
value = os.environ['DKIM_VALUE'].encode()\n\
def dns(q, timeout=5):\n    return value if q.rstrip(b'.').lower() == name else None\n\
sys.exit(0 if dkim.verify(sys.stdin.buffer.read(), dnsfunc=dns) else 1)\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .env("DKIM_NAME", name)
        .env("DKIM_VALUE", value)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("python3 is needed for the outside verifier")?;
    child.stdin.take().context("no stdin")?.write_all(raw)?;
    match child.wait()?.code() {
        Some(0) => Ok(Some(true)),
        Some(1) => Ok(Some(false)),
        Some(77) => {
            eprintln!("dkimpy is not installed (pip install dkimpy): the outside verification was skipped");
            Ok(None)
        }
        other => anyhow::bail!("dkimpy failed (exit {other:?})"),
    }
}
