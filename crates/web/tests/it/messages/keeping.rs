//! Where a message is kept: never in plaintext, only in the envelope when the
//! account says so, under a rotatable account key.

use anyhow::{Context as _, anyhow, ensure};

use crate::helpers::{TestApp, acme, hidden_field};

use super::acme_details;

#[tokio::test]
async fn plaintext_never_reaches_the_database_blobs_outbox_or_mail() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(crate::helpers::Db::Sqlite).await? else {
        return Ok(());
    };
    let (alice, bob) = acme(&app).await?;
    let marker = format!(
        "MARKER{}",
        sealpost_crypto::token::random_token(12)?.replace(['-', '_'], "x")
    );
    let id = alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("subject", &format!("Subject {marker}")),
                ("body", &format!("Body {marker}")),
            ],
            &[(
                &format!("{marker}.txt"),
                "text/plain",
                format!("attachment {marker}").into_bytes(),
            )],
        )
        .await?;
    app.deliver().await?;
    assert!(
        bob.get(&format!("/m/{id}")).await?.shows(&marker),
        "the marker is really in the message"
    );
    let mut scanned = 0;
    let mut stack = vec![app.dir.path().to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path)?.filter_map(|e| e.ok().map(|e| e.path())));
        } else {
            let bytes = std::fs::read(&path)?;
            scanned += 1;
            let found = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
            assert!(!found, "plaintext marker found in {}", path.display());
        }
    }
    assert!(scanned >= 4, "database, blobs and mail were scanned ({scanned} files)");
    Ok(())
}

#[tokio::test]
async fn envelope_only_messages_open_from_the_envelope_itself() -> anyhow::Result<()> {
    use sealpost_domain::messages::DeliveryMode;
    let Some(app) =
        TestApp::spawn_with(crate::helpers::Db::Sqlite, |c| c.delivery_mode = DeliveryMode::Envelope).await?
    else {
        return Ok(());
    };
    let (alice, bob) = acme(&app).await?;
    let id = alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("subject", "Envelope only"),
                ("body", "Carried in the mail"),
            ],
            &[("note.txt", "text/plain", b"inside".to_vec())],
        )
        .await?;
    let blobs = std::fs::read_dir(app.dir.path().join("blobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(blobs, 0, "the service keeps only keys");
    let without = bob.get(&format!("/m/{id}")).await?;
    assert!(without.shows("Open the envelope to read this message"));
    // From the envelope file the post is cross-site and carries no session cookie:
    // a same-site "Continue" page posts it again.
    let anonymous = app.client();
    app.deliver().await?;
    let (_, first_envelope) = app.mail_to("bob@example.com", "Secure message from")?.envelope()?;
    let first_payload = hidden_field(&first_envelope, "payload").context("payload")?;
    let cross_site = anonymous
        .post_raw(
            "/envelope/open",
            &[
                ("id", &id),
                ("recipient", "bob@example.com"),
                ("payload", &first_payload),
            ],
        )
        .await?;
    assert!(
        cross_site.shows("Continue") && cross_site.body.contains("name=\"step\" value=\"continue\""),
        "{}",
        cross_site.text()
    );
    let payload = first_payload;
    let opened = bob
        .post_raw(
            "/envelope/open",
            &[("id", &id), ("recipient", "bob@example.com"), ("payload", &payload)],
        )
        .await?;
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert!(opened.shows("Carried in the mail") && opened.shows("note.txt"));
    let token = opened.csrf().context("csrf")?;
    let download = bob
        .post_raw(
            &format!("/m/{id}/attachments/1"),
            &[("csrf", &token), ("payload", &payload)],
        )
        .await?;
    assert_eq!(download.body, "inside");
    Ok(())
}

on_both_databases!(
    rotating_an_account_key_rewraps_message_keys_and_messages_still_open,
    key_rotation
);
async fn key_rotation(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            alice
                .send_to("bob@example.com", &format!("Before rotation {n}"), "old key", &[])
                .await?,
        );
    }
    let acme = app.first_account().await?;
    let rotation = app
        .services
        .rotate_account_key(acme.number)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    assert_eq!((rotation.version, rotation.rewrapped), (2, 3));
    let after = alice
        .send_to("bob@example.com", "After rotation", "new key", &[])
        .await?;
    for id in ids.iter().chain([&after]) {
        assert_eq!(bob.status(&format!("/m/{id}")).await?, 200, "{id} still opens");
    }
    // Nothing is left on the old version; running again is harmless (resumable).
    let again = app
        .services
        .rewrap_account_keys(acme.number)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    assert_eq!((again.version, again.rewrapped), (2, 0));
    assert!(alice.get("/portal/sent").await?.shows("Before rotation 2"));
    Ok(())
}

on_both_databases!(an_account_chooses_where_its_messages_travel, delivery_mode);
async fn delivery_mode(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let details = acme_details(&app).await?;
    let action = format!("{details}/delivery-mode");
    let page = alice.get(&details).await?;
    assert!(
        page.body.contains("<dd>Service default: Stored and attached</dd>")
            && page.body.contains(r#"name="delivery_mode" value="" checked"#),
        "{}",
        page.text()
    );

    let refused = alice.submit(&details, &action, &[("delivery_mode", "pigeon")]).await?;
    assert_eq!(refused.status, 422);
    assert!(refused.shows("Choose one of the delivery modes."), "{}", refused.text());
    let choose = |mode: &'static str| {
        let (alice, details, action) = (&alice, &details, &action);
        async move {
            let saved = alice.submit(details, action, &[("delivery_mode", mode)]).await?;
            ensure!(saved.status == 303, "{mode}: {}", saved.text());
            let page = alice.get(details).await?;
            ensure!(page.shows("The delivery mode has been saved."), "{}", page.text());
            anyhow::Ok(page)
        }
    };
    let blobs_of = |id: &str| app.dir.path().join("blobs").join(id).exists();

    // Link only: the notification carries the link and no envelope.
    let page = choose("link").await?;
    assert!(
        page.body.contains("<dd>Link only</dd>") && page.body.contains(r#"value="link" checked"#),
        "{}",
        page.text()
    );
    let linked = alice
        .send_to("bob@example.com", "By link", "Travels by link", &[])
        .await?;
    app.deliver().await?;
    let mail = app.mail_to("bob@example.com", "Secure message from")?;
    assert!(mail.envelope().is_err(), "link only attaches no envelope");
    assert_eq!(
        mail.link(&format!("{}/m/", app.base))?,
        format!("{}/m/{linked}", app.base)
    );
    assert!(bob.get(&format!("/m/{linked}")).await?.shows("Travels by link"));
    assert!(blobs_of(&linked), "the payload is stored");

    // Envelope only: the payload travels in the attachment and nowhere else.
    choose("envelope").await?;
    let enveloped = alice
        .send_to("carol@example.org", "Inside", "Travels inside", &[])
        .await?;
    app.deliver().await?;
    let (_, envelope) = app.mail_to("carol@example.org", "Secure message from")?.envelope()?;
    assert!(
        hidden_field(&envelope, "payload").is_some(),
        "the envelope carries the payload"
    );
    assert!(!blobs_of(&enveloped), "the service keeps only the key");

    // Empty is the service's default again (stored and attached).
    let page = choose("").await?;
    assert!(page.body.contains("<dd>Service default: Stored and attached</dd>"));
    let stored = alice
        .send_to("dave@example.org", "Both", "Travels both ways", &[])
        .await?;
    app.deliver().await?;
    let (_, envelope) = app.mail_to("dave@example.org", "Secure message from")?.envelope()?;
    assert!(hidden_field(&envelope, "payload").is_some() && blobs_of(&stored));

    let audit = alice.get(&format!("{details}/audit")).await?;
    assert!(audit.shows("Delivery mode changed"), "{}", audit.text());
    Ok(())
}
