//! What happens to what is sent: refused compose forms keep what was typed and
//! attached, size limits, uploads that never became a message; plaintext never
//! reaches disk, envelope-only messages, account key rotation and delivery modes.

use anyhow::{Context as _, anyhow, ensure};

use crate::helpers::{TestApp, acme, hidden_field, logged_in};

use super::{acme_details, acme_member, blob_entries, count_files, parts_kept};

on_both_databases!(refused_compose_forms_keep_what_was_typed, compose_refusals);
async fn compose_refusals(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("to", ""), ("subject", "Keep me"), ("body", "Body kept")],
            "Enter at least one recipient.",
        ),
        (
            &[
                ("to", "bob@example.com, not-an-address"),
                ("subject", "Keep me"),
                ("body", "Body kept"),
            ],
            "One of the addresses is not a valid email address.",
        ),
        (
            &[
                ("to", "bob@example.com"),
                ("subject", "Keep me"),
                ("body", "Body kept"),
                ("expires_on", "2001-02-03"),
            ],
            "The expiration date must be in the future.",
        ),
        (
            &[
                ("to", "bob@example.com"),
                ("subject", "Keep me"),
                ("body", "Body kept"),
                ("expires_on", "03.02.2031"),
            ],
            "Enter the expiration date as YYYY-MM-DD.",
        ),
    ];
    for (fields, message) in cases {
        let answer = alice.compose(fields, &[]).await?;
        assert_eq!(answer.status, 422, "{message}");
        assert!(answer.shows(message), "expected {message:?} in {}", answer.text());
        assert!(answer.body.contains("value=\"Keep me\"") && answer.body.contains("Body kept"));
    }
    assert_eq!(bob.status("/portal/compose").await?, 403, "Bob is in no account");
    assert!(
        bob.get("/portal/compose")
            .await?
            .shows("You are not a member of any account")
    );
    app.deliver().await?;
    assert!(app.mails()?.is_empty(), "nothing was sent");
    Ok(())
}

#[tokio::test]
async fn attachments_over_the_limit_are_refused_clearly() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn_with(crate::helpers::Db::Sqlite, |c| c.max_attachment_bytes = 1024 * 1024).await?
    else {
        return Ok(());
    };
    let (alice, _) = acme(&app).await?;
    let big = vec![7u8; 2 * 1024 * 1024];
    let answer = alice
        .compose(
            &[("to", "bob@example.com"), ("subject", "Big one"), ("body", "Too big")],
            &[("big.bin", "application/octet-stream", big)],
        )
        .await?;
    assert_eq!(answer.status, 422);
    assert!(
        answer.shows("The attachments are too large for one message.") && answer.body.contains("value=\"Big one\"")
    );
    let mut left = Vec::new();
    let mut stack = vec![app.dir.path().join("blobs")];
    while let Some(path) = stack.pop() {
        match std::fs::read_dir(&path) {
            Ok(entries) => stack.extend(entries.filter_map(|e| e.ok().map(|e| e.path()))),
            Err(_) if path.is_file() => left.push(path),
            Err(_) => {}
        }
    }
    assert!(left.is_empty(), "a refused upload leaves no data behind: {left:?}");
    Ok(())
}

on_both_databases!(
    a_refused_form_keeps_its_attachments_for_the_corrected_one,
    kept_attachments
);
async fn kept_attachments(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let refused = alice
        .compose(
            &[("to", "bob@"), ("subject", "Figures"), ("body", "See attached.")],
            &[
                ("q3.csv", "text/csv", b"a,b\n1,2\n".to_vec()),
                ("draft.txt", "text/plain", b"not this one".to_vec()),
            ],
        )
        .await?;
    assert_eq!(refused.status, 422);
    assert!(
        refused.shows("Already attached")
            && refused.shows("q3.csv")
            && refused.shows("draft.txt")
            && refused.body.contains(r#"name="keep" value="1" checked"#)
            && refused.body.contains(r#"name="keep" value="2" checked"#),
        "{}",
        refused.text()
    );
    let token = hidden_field(&refused.body, "draft").context("the kept draft's token")?;

    // Another member of the account cannot take Alice's files with her token: for
    // him they do not exist, and he is not sent anything without what he ticked.
    let sam = acme_member(&app, "sam@example.com").await?;
    let stolen = sam
        .compose(
            &[
                ("to", "bob@example.com"),
                ("subject", "Mine"),
                ("body", "x"),
                ("draft", &token),
                ("keep", "1"),
            ],
            &[],
        )
        .await?;
    assert_eq!(stolen.status, 422);
    assert!(
        stolen.shows("The files you attached earlier are no longer available") && !stolen.shows("q3.csv"),
        "{}",
        stolen.text()
    );

    // The corrected form keeps q3.csv, leaves draft.txt out and adds a new file.
    let id = alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("subject", "Figures"),
                ("body", "See attached."),
                ("draft", &token),
                ("keep", "1"),
            ],
            &[("more.txt", "text/plain", b"more".to_vec())],
        )
        .await?;
    let page = bob.get(&format!("/m/{id}")).await?;
    assert!(
        page.shows("q3.csv") && page.shows("more.txt") && !page.shows("draft.txt"),
        "{}",
        page.text()
    );
    assert_eq!(
        bob.bytes(&format!("/m/{id}/attachments/1")).await?,
        (200, b"a,b\n1,2\n".to_vec())
    );
    // draft.txt's part and blob went; the new file took the free part.
    assert_eq!(
        bob.bytes(&format!("/m/{id}/attachments/2")).await?,
        (200, b"more".to_vec())
    );
    // A message sent with kept files keeps its parts as blobs, where the kept
    // files already were, however small: content and two attachments, nothing of
    // draft.txt left over.
    assert_eq!(parts_kept(&app, &id).await?, Some(false));
    let mut stored: Vec<String> = std::fs::read_dir(app.dir.path().join("blobs").join(&id))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    stored.sort();
    assert_eq!(
        stored,
        ["0", "1", "2"],
        "content and two attachments, nothing left over"
    );

    // The token is spent: the same form sent again is refused, not sent without files.
    let again = alice
        .compose(
            &[
                ("to", "bob@example.com"),
                ("subject", "Again"),
                ("body", "x"),
                ("draft", &token),
                ("keep", "1"),
            ],
            &[],
        )
        .await?;
    assert_eq!(again.status, 422);
    again.assert_shows("attach them again");

    // A draft nobody comes back for is discarded after an hour, files and all
    // (one large enough for the blob store).
    let files = || count_files(&app.dir.path().join("blobs"));
    let before = files();
    let late = alice
        .compose(
            &[("to", "bob@"), ("subject", "Later"), ("body", "x")],
            &[("late.txt", "text/plain", vec![b'l'; 100_000])],
        )
        .await?;
    assert_eq!((late.status, files()), (422, before + 1), "kept, with its file");
    app.clock
        .advance_seconds(sealpost_domain::services::messages::DRAFT_KEEP_SECONDS + 1);
    assert_eq!(app.services.purge_kept_drafts().await.map_err(|e| anyhow!("{e:?}"))?, 1);
    assert_eq!(files(), before, "its file is deleted");
    Ok(())
}

on_both_databases!(
    a_small_message_keeps_its_parts_in_its_row_and_a_large_one_as_blobs_both_opening_whole,
    parts_in_row_or_blobs
);
async fn parts_in_row_or_blobs(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let small = alice
        .send(
            &[("to", "bob@example.com"), ("subject", "Small"), ("body", "Row")],
            &[("a.txt", "text/plain", b"in the row".to_vec())],
        )
        .await?;
    // The small file first (kept in memory), then one that outgrows the row: the
    // first follows the second to the blob store when the message is sent.
    let large_bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let large = alice
        .send(
            &[("to", "bob@example.com"), ("subject", "Large"), ("body", "Blobs")],
            &[
                ("b.txt", "text/plain", b"small first".to_vec()),
                ("c.bin", "application/octet-stream", large_bytes.clone()),
            ],
        )
        .await?;
    assert_eq!(parts_kept(&app, &small).await?, Some(true));
    assert_eq!(parts_kept(&app, &large).await?, Some(false));
    let mut blobs: Vec<String> = std::fs::read_dir(app.dir.path().join("blobs").join(&large))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    blobs.sort();
    assert_eq!(blobs, ["0", "1", "2"], "content and both attachments");

    assert!(bob.get(&format!("/m/{small}")).await?.shows("Row"));
    assert_eq!(
        bob.bytes(&format!("/m/{small}/attachments/1")).await?,
        (200, b"in the row".to_vec())
    );
    assert!(bob.get(&format!("/m/{large}")).await?.shows("Blobs"));
    assert_eq!(
        bob.bytes(&format!("/m/{large}/attachments/1")).await?,
        (200, b"small first".to_vec())
    );
    assert_eq!(
        bob.bytes(&format!("/m/{large}/attachments/2")).await?,
        (200, large_bytes)
    );
    // Nothing of either is left noted as an upload in progress.
    let day = 24 * 60 * 60;
    app.clock.advance_seconds(day + 1);
    assert_eq!(
        app.services
            .purge_stale_uploads(day)
            .await
            .map_err(|e| anyhow!("{e:?}"))?,
        0
    );
    Ok(())
}

on_both_databases!(an_upload_that_never_became_a_message_is_cleaned_up, abandoned_upload);
async fn abandoned_upload(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let sent = alice
        .send(
            &[("to", "bob@example.com"), ("subject", "Kept"), ("body", "x")],
            &[("keep.txt", "text/plain", b"sent".to_vec())],
        )
        .await?;
    let files = || count_files(&app.dir.path().join("blobs"));
    let before = files();

    // The process stops mid-way: an attachment too large for the message's row
    // is stored, and neither a message nor a discard follows.
    let actor = app.actor("alice@example.com").await?;
    let mut draft = app
        .services
        .start_draft(&actor, None)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let mut upload = app
        .services
        .add_attachment(&mut draft, "lost.txt", "text/plain")
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    upload.push(&[b'l'; 100_000]).await.map_err(|e| anyhow!("{e:?}"))?;
    upload.finish(&mut draft).await.map_err(|e| anyhow!("{e:?}"))?;
    drop(draft);
    assert_eq!(files(), before + 1);

    let day = 24 * 60 * 60;
    let purge = || async {
        app.services
            .purge_stale_uploads(day)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    };
    assert_eq!(purge().await?, 0, "not yet a day old");
    app.clock.advance_seconds(day + 1);
    assert_eq!(purge().await?, 1);
    assert_eq!(files(), before, "the abandoned blob is deleted");
    // A day later Bob logs in again: the sent message's blobs were never touched.
    drop(bob);
    let bob = logged_in(&app, "bob@example.com").await?;
    assert_eq!(
        bob.bytes(&format!("/m/{sent}/attachments/1")).await?,
        (200, b"sent".to_vec())
    );
    Ok(())
}

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
    let scanned = app.scan_for_plaintext(&marker)?;
    assert!(scanned >= 4, "database, blobs and mail were scanned ({scanned} files)");
    Ok(())
}

#[tokio::test]
async fn envelope_only_messages_open_from_the_envelope_itself() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn_envelope_only(crate::helpers::Db::Sqlite).await? else {
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
    assert_eq!(blob_entries(&app), 0, "the service keeps only keys");
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
    // The delivery mode is the default envelope profile's (BCE Config); Details shows it.
    let action = format!("{details}/profiles/default");
    let page = alice.get(&details).await?;
    page.assert_shows("Service default: Stored and attached");
    page.assert_shows("Set in BCE Config");
    assert!(
        !page.body.contains(r#"name="delivery_mode""#),
        "no mode form on Details"
    );
    let form = alice.get(&action).await?;
    assert!(
        form.body.contains(r#"name="delivery_mode" value="" checked"#),
        "{}",
        form.text()
    );

    let fields = |mode: &'static str| {
        vec![
            ("name", "Default"),
            ("security", "medium"),
            ("remember_days", "30"),
            ("delivery_mode", mode),
            ("allow_reply", "on"),
            ("allow_reply_all", "on"),
            ("file_name", "securedoc_${date}T${time}.html"),
            ("recipient_locale", "en"),
        ]
    };
    let refused = alice.submit(&action, &action, &fields("pigeon")).await?;
    assert_eq!(refused.status, 422);
    refused.assert_shows("Choose one of the delivery modes.");
    let choose = |mode: &'static str| {
        let (alice, details, action, fields) = (&alice, &details, &action, &fields);
        async move {
            let saved = alice.submit(action, action, &fields(mode)).await?;
            ensure!(saved.status == 303, "{mode}: {}", saved.text());
            let tab = alice.get(&format!("{details}/profiles")).await?;
            tab.assert_shows("The profile Default has been saved.");
            alice.get(details).await
        }
    };

    // Link only: the notification carries the link and no envelope.
    let page = choose("link").await?;
    page.assert_shows("Link only");
    let linked = alice
        .send_to("bob@example.com", "By link", "Travels by link", &[])
        .await?;
    app.deliver().await?;
    let mail = app.mail_to("bob@example.com", "Secure message from")?;
    assert!(mail.envelope().is_err(), "link only attaches no envelope");
    assert_eq!(
        mail.link(&format!("{}/m/", app.base))?,
        format!("{}/m/{linked}?r=bob%40example.com", app.base)
    );
    assert!(bob.get(&format!("/m/{linked}")).await?.shows("Travels by link"));
    assert_eq!(parts_kept(&app, &linked).await?, Some(true), "the payload is stored");

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
    assert_eq!(
        parts_kept(&app, &enveloped).await?,
        None,
        "the service keeps only the key"
    );

    // Empty is the service's default again (stored and attached).
    let page = choose("").await?;
    page.assert_shows("Service default: Stored and attached");
    let stored = alice
        .send_to("dave@example.org", "Both", "Travels both ways", &[])
        .await?;
    app.deliver().await?;
    let (_, envelope) = app.mail_to("dave@example.org", "Secure message from")?.envelope()?;
    assert!(hidden_field(&envelope, "payload").is_some());
    assert_eq!(
        parts_kept(&app, &stored).await?,
        Some(true),
        "the payload is stored too"
    );

    let audit = alice.get(&format!("{details}/audit")).await?;
    audit.assert_shows("Envelope profile changed");
    Ok(())
}

on_both_databases!(
    delivered_mail_leaves_the_outbox_a_week_after_it_went,
    delivered_mail_purged
);
async fn delivered_mail_purged(app: TestApp) -> anyhow::Result<()> {
    use sealpost_domain::services::outbox::SENT_MAIL_KEPT_DAYS;
    let (_alice, _bob) = acme(&app).await?;
    let asked = app.client().forgot_password("bob@example.com").await?;
    ensure!(asked.status == 200, "{}", asked.status);
    ensure!(app.deliver().await? >= 1, "the reset link went out");
    let purge = || async { app.services.purge_finished_mail().await.map_err(|e| anyhow!("{e:?}")) };
    ensure!(purge().await? == 0, "just delivered: kept");
    app.clock.advance_seconds((SENT_MAIL_KEPT_DAYS - 1) * 24 * 60 * 60);
    ensure!(purge().await? == 0, "a day before its week is out: kept");
    app.clock.advance_seconds(2 * 24 * 60 * 60);
    ensure!(purge().await? >= 1, "past its week: gone");
    ensure!(purge().await? == 0, "gone once");
    Ok(())
}
