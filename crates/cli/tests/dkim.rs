//! `sealpost dkim create` as an operator uses it, and `serve` signing real mail with
//! the key it made: the mail the SMTP server receives verifies against the record the
//! command printed (mail-auth's verifier, fed that record instead of DNS).

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use mail_auth::DkimResult;
use mail_auth::common::parse::TxtRecordParser as _;
use mail_auth::common::verify::DomainKey;
use sealpost_testkit::dkim::verify;
use sealpost_testkit::{Browser, Mailbox, Sealpost, SmtpSink};

fn sealpost(data: &std::path::Path) -> Sealpost {
    Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data)
}

/// The `name:` and `value:` lines `dkim create` printed.
fn printed_record(stdout: &str) -> anyhow::Result<(String, String)> {
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_owned())
            .with_context(|| format!("no {prefix:?} line in {stdout}"))
    };
    Ok((line("name: ")?, line("value: ")?))
}

#[test]
fn dkim_create_writes_a_private_key_and_prints_a_record_that_parses() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sealpost = sealpost(dir.path());
    for (algorithm, kind) in [("rsa", "k=rsa"), ("ed25519", "k=ed25519")] {
        let out = dir.path().join(format!("{algorithm}.pem"));
        let out_arg = out.display().to_string();
        let args = [
            "dkim",
            "create",
            "--domain",
            "Mail.Example.com",
            "--selector",
            "sp2026",
            "--algorithm",
            algorithm,
            "--out",
            &out_arg,
        ];
        let printed = sealpost.run(&args, None)?;
        let (name, value) = printed_record(&printed)?;
        assert_eq!(name, "sp2026._domainkey.mail.example.com");
        ensure!(value.starts_with("v=DKIM1; ") && value.contains(kind), "{value}");
        DomainKey::parse(value.as_bytes()).map_err(|e| anyhow::anyhow!("the record does not parse: {e}"))?;
        ensure!(printed.contains("[[dkim]]") && printed.contains(&out_arg), "{printed}");
        let pem = std::fs::read_to_string(&out)?;
        ensure!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "not a PEM key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&out)?.permissions().mode() & 0o777, 0o600);
        }
        // A key in use is never overwritten.
        let again = sealpost.command(&args, None)?;
        assert_eq!(again.status.code(), Some(1));
        ensure!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
        assert_eq!(std::fs::read_to_string(&out)?, pem);
    }
    let bad = sealpost.command(&["dkim", "create", "--domain", "not a domain", "--selector", "s"], None)?;
    ensure!(
        bad.status.code() == Some(1) && String::from_utf8_lossy(&bad.stderr).contains("is not a DNS name"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn serve_signs_the_mail_it_sends_with_the_key_dkim_create_made() -> anyhow::Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let dir = tempfile::tempdir()?;
    let sealpost = sealpost(dir.path());
    sealpost.add_user(
        "dana@example.com",
        ("Dana", "Scully"),
        "A-long-passphrase-1",
        Mailbox::Vouched,
    )?;
    let key_file = dir.path().join("dkim.pem").display().to_string();
    let printed = sealpost.run(
        &[
            "dkim",
            "create",
            "--domain",
            "mail.example.com",
            "--selector",
            "s1",
            "--out",
            &key_file,
        ],
        None,
    )?;
    let (name, value) = printed_record(&printed)?;
    let mut server = sealpost
        .serve()
        .relay(sink.port)
        .env(
            "SEALPOST_MAIL_FROM",
            "\"Example Corp (Sealpost)\" <sealpost@mail.example.com>",
        )
        .env("SEALPOST_DKIM_KEYS", &format!("mail.example.com:s1:{key_file}"))
        .start()
        .await?;
    let result = async {
        let base = format!("http://127.0.0.1:{}", server.port);
        let browser = Browser::new(&base)?;
        let csrf = browser.csrf("/password/forgot").await?;
        let mut request = reqwest::Client::new()
            .post(format!("{base}/password/forgot"))
            .form(&[("csrf", csrf.as_str()), ("email", "dana@example.com")]);
        if let Ok(cookie) = browser.cookie_header() {
            request = request.header("cookie", cookie);
        }
        let answer = request.send().await?;
        ensure!(answer.status().as_u16() < 400, "forgot password: {}", answer.status());
        let deadline = Instant::now() + Duration::from_secs(30);
        let raw = loop {
            if let Some(mail) = sink
                .received()?
                .into_iter()
                .find(|m| m.rcpt_tos.iter().any(|t| t == "dana@example.com"))
            {
                break mail.raw;
            }
            ensure!(Instant::now() < deadline, "no mail reached the SMTP server");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        ensure!(raw.starts_with(b"DKIM-Signature: "), "the reset mail is not signed");
        assert_eq!(verify(&raw, &name, &value).await?, [DkimResult::Pass]);
        // The signed From is the quoted name, not an encoded word it did not need.
        let from = "\r\nFrom: \"Example Corp (Sealpost)\" <sealpost@mail.example.com>\r\n";
        ensure!(
            raw.windows(from.len()).any(|w| w == from.as_bytes()),
            "{}",
            String::from_utf8_lossy(&raw)
        );
        Ok(())
    }
    .await;
    server.terminate(Duration::from_secs(10))?;
    result
}

#[test]
fn a_key_file_that_cannot_be_used_stops_the_service_with_the_reason() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let not_a_key = dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, "hello")?;
    for (path, reason) in [
        (dir.path().join("missing.pem"), "cannot read the DKIM key file"),
        (not_a_key, "is not an RSA or Ed25519 private key"),
    ] {
        std::fs::write(
            dir.path().join("sealpost.toml"),
            format!(
                "[[dkim]]\ndomain = \"example.com\"\nselector = \"s1\"\nkey_file = \"{}\"\n",
                path.display()
            ),
        )?;
        let refused = sealpost(dir.path()).command(&["outbox", "flush"], None)?;
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{stderr}");
        ensure!(
            stderr.contains("DKIM key for example.com") && stderr.contains(reason),
            "{stderr}"
        );
    }
    Ok(())
}
