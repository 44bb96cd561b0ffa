//! No Password Required over HTTP, hostile cases first: a tampered secret, one
//! recipient's secret on another message, guessing past the throttle, an
//! attachment fetched without the grant. Then what the recipient sees: the
//! envelope and the link open the message without registration, the attachment
//! downloads, the view is recorded as that recipient; and the secret is nowhere
//! in the database file, the audit trail, the outbox or the log.

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::messages::PublicId;

use crate::helpers::{Client, TestApp, acme, hidden_field};

const ATTACHED: &[u8] = b"attached words, sealed";

/// Alice adds the envelope profile `name` with `fields` on the first account's BCE
/// Config tab: its id.
async fn add_profile(app: &TestApp, alice: &Client, name: &str, fields: &[(&str, &str)]) -> anyhow::Result<String> {
    let tab = format!("/admin/accounts/{}/profiles", app.first_account().await?.number);
    let mut all = vec![("name", name)];
    all.extend_from_slice(fields);
    let created = alice.submit(&tab, &tab, &all).await?;
    ensure!(created.status == 303, "{}", created.text());
    app.profile_id(name).await
}

/// Alice's account gets a No Password Required profile ("Open", stored copies);
/// its id.
async fn open_profile(app: &TestApp, alice: &Client) -> anyhow::Result<String> {
    let fields = [
        ("security", "no_password"),
        ("remember_days", ""),
        ("delivery_mode", ""),
        ("allow_reply", "on"),
        ("read_receipt", "on"),
        ("file_name", ""),
        ("recipient_locale", "en"),
    ];
    let id = add_profile(app, alice, "Open", &fields).await?;
    let account = app.first_account().await?;
    let stored = app
        .store_port()
        .envelope_profiles(account.id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(
        stored
            .iter()
            .any(|p| p.name == "Open" && p.security == sealpost_domain::profiles::SecurityLevel::NoPasswordRequired)
    );
    Ok(id)
}

/// The envelope file mailed to `to` about `subject`, and its secret.
fn envelope_of(app: &TestApp, to: &str, subject: &str) -> anyhow::Result<(String, String)> {
    let (_, envelope) = app.mail_to(to, subject)?.envelope()?;
    let secret = hidden_field(&envelope, "secret").context("the envelope carries a secret")?;
    Ok((envelope, secret))
}

/// The envelope with its secret replaced.
fn with_secret(envelope: &str, from: &str, to: &str) -> String {
    envelope.replace(
        &format!(r#"name="secret" value="{from}""#),
        &format!(r#"name="secret" value="{to}""#),
    )
}

/// `secret` with its first character changed.
fn tampered(secret: &str) -> String {
    let first = if secret.starts_with('A') { "B" } else { "A" };
    format!("{first}{}", &secret[1..])
}

on_both_databases!(
    a_no_password_envelope_opens_without_registration_and_a_wrong_secret_gets_nothing,
    opening
);
async fn opening(app: TestApp) -> anyhow::Result<()> {
    let (log, _capturing) = crate::faults::Captured::start();
    let (alice, _) = acme(&app).await?;
    let profile = open_profile(&app, &alice).await?;
    let first = alice
        .send(
            &[
                ("to", "nora@outside.example, otto@outside.example"),
                ("subject", "Quarterly figures"),
                ("body", "The numbers nobody else may read"),
                ("profile", &profile),
                ("read_receipt", "on"),
            ],
            &[("figures.txt", "text/plain", ATTACHED.to_vec())],
        )
        .await?;
    let second = alice
        .send_to(
            "nora@outside.example",
            "Second letter",
            "Another secret body",
            &[("profile", &profile)],
        )
        .await?;
    app.deliver().await?;
    // The envelopes of the newest mail may be the second message's: pick by id.
    let mails = app.mails()?;
    let envelope_for = |to: &str, id: &str| -> anyhow::Result<(String, String)> {
        let (_, html) = mails
            .iter()
            .filter(|m| m.to.contains(to))
            .filter_map(|m| m.envelope().ok())
            .find(|(_, html)| hidden_field(html, "id").as_deref() == Some(id))
            .with_context(|| format!("no envelope of {id} to {to}"))?;
        let secret = hidden_field(&html, "secret").context("a secret")?;
        Ok((html, secret))
    };
    let (nora_first, nora_secret) = envelope_for("nora@outside.example", &first)?;
    let (_, otto_secret) = envelope_for("otto@outside.example", &first)?;
    let (nora_second, nora_second_secret) = envelope_for("nora@outside.example", &second)?;
    ensure!(nora_secret.len() == 43 && nora_secret != otto_secret && nora_secret != nora_second_secret);
    // The mail as delivered holds the secret verbatim (in its link), so a copy
    // resting unsealed in the outbox would be found below.
    ensure!(
        mails
            .iter()
            .any(|m| m.raw.windows(43).any(|w| w == nora_secret.as_bytes())),
        "the delivered mail carries the secret in clear"
    );
    ensure!(
        !nora_first.contains("/register\""),
        "no registration is offered on the envelope"
    );

    // Hostile first. A tampered secret: refused, nothing shown.
    let stranger = app.client();
    let refused = stranger
        .open_envelope(&with_secret(&nora_first, &nora_secret, &tampered(&nora_secret)))
        .await?;
    ensure!(refused.status == 403, "{}: {}", refused.status, refused.text());
    refused.assert_shows("does not open this message");
    for hidden in ["Quarterly figures", "The numbers nobody else may read", "figures.txt"] {
        ensure!(!refused.body.contains(hidden), "{hidden} shown to a wrong secret");
    }
    // Nora's secret of the second message, posted for the first: refused.
    let crossed = stranger
        .open_envelope(&with_secret(&nora_first, &nora_secret, &nora_second_secret))
        .await?;
    ensure!(
        crossed.status == 403 && !crossed.body.contains("nobody else"),
        "{}",
        crossed.text()
    );
    // Nora's first secret posted with the second message's id: refused.
    let moved = stranger
        .open_envelope(&with_secret(&nora_second, &nora_second_secret, &nora_secret))
        .await?;
    ensure!(
        moved.status == 403 && !moved.body.contains("Another secret body"),
        "{}",
        moved.text()
    );
    // Without the grant an attachment is not handed out.
    let (status, bytes) = stranger.bytes(&format!("/m/{first}/attachments/1")).await?;
    ensure!(status == 303 && bytes.is_empty(), "{status}");
    // A forged grant cookie opens nothing either.
    let forged = reqwest::Client::new()
        .get(format!("{}/m/{first}/attachments/1", app.base))
        .header("cookie", format!("sp_grant={nora_secret}"))
        .send()
        .await?;
    ensure!(forged.status() == 403, "{}", forged.status());
    let public_first = PublicId::parse(&first).context("id")?;
    let message = app
        .store_port()
        .message_to_read(&public_first)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(
        message.1.iter().all(|r| r.opened_at.is_none()),
        "no wrong secret recorded a view"
    );

    // The envelope as received opens the message, without registration.
    let nora = app.client();
    let page = nora.open_envelope(&nora_first).await?;
    ensure!(page.status == 200, "{}: {}", page.status, page.text());
    page.assert_shows("Quarterly figures");
    page.assert_shows("The numbers nobody else may read");
    page.assert_shows("To reply or forward it securely, log in");
    ensure!(!page.body.contains("kind=reply"), "answers need a login: {}", page.body);
    let (status, bytes) = nora.bytes(&format!("/m/{first}/attachments/1")).await?;
    ensure!(status == 200 && bytes == ATTACHED, "{status}");
    ensure!(
        app.user("nora@outside.example").await.is_err(),
        "no account was created"
    );
    let (_, recipients, _) = app
        .store_port()
        .message_to_read(&public_first)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let opened: Vec<_> = recipients
        .iter()
        .filter(|r| r.opened_at.is_some())
        .map(|r| r.email.to_string())
        .collect();
    ensure!(opened == ["nora@outside.example"], "{opened:?}");
    app.deliver().await?;
    ensure!(
        app.mail_to("alice@example.com", "")
            .is_ok_and(|m| m.text.contains("nora@outside.example")),
        "the read receipt names Nora"
    );

    // The link page posts the secret; it answers with no referrer and no caching.
    let link = app.link_path("otto@outside.example", "", &format!("/m/{first}/k/"))?;
    ensure!(link.ends_with(&otto_secret), "{link}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let shown = http.get(format!("{}{link}", app.base)).send().await?;
    ensure!(
        shown
            .headers()
            .get("referrer-policy")
            .is_some_and(|v| v == "no-referrer")
    );
    ensure!(shown.headers().get("cache-control").is_some_and(|v| v == "no-store"));
    let shown = shown.text().await?;
    ensure!(
        !shown.contains("nobody else"),
        "the link's page opens nothing by itself"
    );
    let otto = app.client();
    let opened = otto
        .post_raw(
            "/envelope/open",
            &[
                ("id", first.as_str()),
                (
                    "secret",
                    hidden_field(&shown, "secret").context("button field")?.as_str(),
                ),
            ],
        )
        .await?;
    ensure!(
        opened.status == 200 && opened.shows("The numbers nobody else may read"),
        "{}",
        opened.text()
    );

    // The audit trail has both, without any secret.
    let events = app.first_account_audit().await?;
    let count = |action: &str| events.iter().filter(|e| e.action == action).count();
    ensure!(count("message.secret_refused") == 3, "{events:?}");
    ensure!(count("message.opened_with_secret") == 2, "{events:?}");
    let account = app.first_account().await?;
    let audit = alice.get(&format!("/admin/accounts/{}/audit", account.number)).await?;
    audit.assert_shows("Envelope or link refused: it does not open this message");
    for secret in [&nora_secret, &otto_secret, &nora_second_secret] {
        ensure!(!audit.body.contains(secret.as_str()), "a secret in the audit page");
        ensure!(
            events.iter().all(|e| !e.target.contains(secret.as_str())),
            "a secret in the audit trail"
        );
    }
    let lines = log.lines();
    ensure!(
        lines.iter().any(|l| l.contains("mail delivered")),
        "the log was captured"
    );
    for secret in [&nora_secret, &otto_secret, &nora_second_secret] {
        ensure!(
            !lines.iter().any(|l| l.contains(secret.as_str())),
            "a secret in the log"
        );
    }
    secrets_rest_nowhere(&app, &[&nora_secret, &otto_secret, &nora_second_secret]).await
}

/// No secret in the database: the SQLite file's bytes (with its journal), or on
/// PostgreSQL every row of the tables that hold mail, events and keys.
async fn secrets_rest_nowhere(app: &TestApp, secrets: &[&str]) -> anyhow::Result<()> {
    let mut haystack = Vec::new();
    for entry in std::fs::read_dir(app.dir.path())? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("sealpost.db"))
        {
            haystack.extend(std::fs::read(&path)?);
        }
    }
    if haystack.is_empty() {
        for query in [
            "SELECT raw FROM outbox",
            "SELECT verifier FROM recipient_secrets",
            "SELECT wrapped_dek FROM recipient_secrets",
        ] {
            let rows: Vec<Vec<u8>> = sqlx::query_scalar(query).fetch_all(app.store.pool()).await?;
            ensure!(!rows.is_empty(), "{query} found nothing to search");
            haystack.extend(rows.concat());
        }
        let texts: Vec<String> = sqlx::query_scalar("SELECT target FROM audit_events")
            .fetch_all(app.store.pool())
            .await?;
        haystack.extend(texts.concat().into_bytes());
    }
    ensure!(haystack.len() > 1000, "read {} bytes", haystack.len());
    for secret in secrets {
        ensure!(
            !haystack.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a secret rests in the database"
        );
    }
    Ok(())
}

on_both_databases!(guessing_secrets_is_throttled_and_reveals_nothing, throttled);
async fn throttled(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let profile = open_profile(&app, &alice).await?;
    let id = alice
        .send_to(
            "nora@outside.example",
            "Guarded",
            "Guarded body",
            &[("profile", &profile)],
        )
        .await?;
    app.deliver().await?;
    let (envelope, secret) = envelope_of(&app, "nora@outside.example", "")?;
    ensure!(hidden_field(&envelope, "id").as_deref() == Some(id.as_str()));
    let guesser = app.client();
    for attempt in 0..5 {
        let wrong = format!("{}{attempt}", &tampered(&secret)[..42]);
        let answer = guesser.open_envelope(&with_secret(&envelope, &secret, &wrong)).await?;
        ensure!(answer.status == 403, "attempt {attempt}: {}", answer.status);
    }
    // Past the free tries even the right secret waits, and nothing is shown.
    let waiting = guesser.open_envelope(&envelope).await?;
    ensure!(waiting.status == 429, "{}: {}", waiting.status, waiting.text());
    ensure!(waiting.shows("Too many attempts") && !waiting.body.contains("Guarded body"));
    let stored = app
        .store_port()
        .message_to_read(&PublicId::parse(&id).context("id")?)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(stored.1.iter().all(|r| r.opened_at.is_none()), "nothing was opened");
    app.clock.advance_seconds(60);
    let opened = guesser.open_envelope(&envelope).await?;
    ensure!(
        opened.status == 200 && opened.shows("Guarded body"),
        "{}",
        opened.text()
    );
    Ok(())
}

on_both_databases!(
    an_envelope_only_no_password_message_opens_with_its_attachment_from_the_envelope_alone,
    envelope_only
);
async fn envelope_only(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let fields = [
        ("security", "no_password"),
        ("delivery_mode", "envelope"),
        ("allow_reply", "on"),
        ("recipient_locale", "en"),
    ];
    let profile = add_profile(&app, &alice, "Sealed", &fields).await?;
    let id = alice
        .send(
            &[
                ("to", "nora@outside.example"),
                ("subject", "Only in the envelope"),
                ("body", "Kept nowhere else"),
                ("profile", &profile),
            ],
            &[("figures.txt", "text/plain", ATTACHED.to_vec())],
        )
        .await?;
    app.deliver().await?;
    let (envelope, secret) = envelope_of(&app, "nora@outside.example", "")?;
    ensure!(
        hidden_field(&envelope, "payload").is_some(),
        "the envelope carries the payload"
    );
    // The link alone cannot open it: the service keeps no copy.
    let link = app.client();
    let opened = link
        .post_raw("/envelope/open", &[("id", id.as_str()), ("secret", secret.as_str())])
        .await?;
    ensure!(!opened.body.contains("Kept nowhere else"), "{}", opened.text());

    let nora = app.client();
    let page = nora.open_envelope(&envelope).await?;
    ensure!(page.status == 200 && page.shows("Kept nowhere else"), "{}", page.text());
    // The attachment button posts the payload again, with the page's token and the grant.
    let payload = hidden_field(&page.body, "payload").context("the page keeps the payload")?;
    let csrf = page.csrf().context("a token")?;
    let download = nora
        .post_raw(
            &format!("/m/{id}/attachments/1"),
            &[("csrf", csrf.as_str()), ("payload", payload.as_str())],
        )
        .await?;
    ensure!(
        download.status == 200 && download.body.as_bytes() == ATTACHED,
        "{}",
        download.status
    );
    // Without the grant, the same post is sent to the login.
    let stranger = app.client();
    stranger.get("/portal/login").await?;
    let refused = stranger
        .post_raw(
            &format!("/m/{id}/attachments/1"),
            &[("csrf", csrf.as_str()), ("payload", payload.as_str())],
        )
        .await?;
    ensure!(
        refused.status != 200 && !refused.body.contains("attached words"),
        "{}",
        refused.status
    );
    Ok(())
}
