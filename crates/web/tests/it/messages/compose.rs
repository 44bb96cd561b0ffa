//! Composing: refused forms keep what was typed and attached, size limits, and
//! uploads that never became a message.

use anyhow::{Context as _, anyhow};

use crate::helpers::{TestApp, acme, hidden_field, logged_in};

use super::{acme_member, count_files};

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
    assert!(again.shows("attach them again"), "{}", again.text());

    // A draft nobody comes back for is discarded after an hour, files and all.
    let files = || count_files(&app.dir.path().join("blobs"));
    let before = files();
    let late = alice
        .compose(
            &[("to", "bob@"), ("subject", "Later"), ("body", "x")],
            &[("late.txt", "text/plain", b"late".to_vec())],
        )
        .await?;
    assert_eq!((late.status, files()), (422, before + 1), "kept, with its file");
    app.clock
        .advance_seconds(sealpost_domain::services::messages::DRAFT_KEEP_SECONDS + 1);
    assert_eq!(app.services.purge_kept_drafts().await, 1);
    assert_eq!(files(), before, "its file is deleted");
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

    // The process stops mid-way: an attachment is stored, and neither a message
    // nor a discard follows.
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
    upload.push(b"lost").await.map_err(|e| anyhow!("{e:?}"))?;
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
