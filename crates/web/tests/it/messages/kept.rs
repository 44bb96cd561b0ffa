//! Refused drafts kept in the database (any node takes them back): what they
//! store holds no plaintext, and an envelope-only draft's sealed parts wait in
//! the blob store only while it is kept.

use anyhow::{Context as _, ensure};

use crate::helpers::{TestApp, acme, hidden_field};

use super::blob_entries;

fn marker() -> anyhow::Result<String> {
    Ok(format!(
        "KEPT{}",
        sealpost_crypto::token::random_token(12)?.replace(['-', '_'], "x")
    ))
}

#[tokio::test]
async fn a_kept_draft_stores_its_file_name_and_contents_sealed() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(crate::helpers::Db::Sqlite).await? else {
        return Ok(());
    };
    let (alice, bob) = acme(&app).await?;
    let marker = marker()?;
    let name = format!("{marker}.txt");
    let refused = alice
        .compose(
            &[("to", "bob@"), ("subject", "Kept"), ("body", "x")],
            &[(&name, "text/plain", format!("contents {marker}").into_bytes())],
        )
        .await?;
    ensure!(refused.status == 422 && refused.shows(&name), "{}", refused.text());
    let token = hidden_field(&refused.body, "draft").context("the kept draft's token")?;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kept_drafts")
        .fetch_one(app.store.pool())
        .await?;
    ensure!(stored == 1, "the draft waits in the database ({stored} rows)");
    // Neither the name nor the contents (nor the token) are readable on disk.
    ensure!(
        app.scan_for_plaintext(&marker)? >= 2,
        "the database and the blob were scanned"
    );
    ensure!(
        app.scan_for_plaintext(&token).is_ok(),
        "the token is stored only as its hash"
    );

    let id = alice
        .send_to("bob@example.com", "Kept", "x", &[("draft", &token), ("keep", "1")])
        .await?;
    let page = bob.get(&format!("/m/{id}")).await?;
    page.assert_shows(&name);
    ensure!(
        bob.bytes(&format!("/m/{id}/attachments/1")).await? == (200, format!("contents {marker}").into_bytes()),
        "the kept file arrives whole"
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kept_drafts")
        .fetch_one(app.store.pool())
        .await?;
    ensure!(left == 0, "taken back, the draft leaves the database");
    Ok(())
}

#[tokio::test]
async fn an_envelope_only_draft_leaves_nothing_in_the_blob_store_once_sent() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn_envelope_only(crate::helpers::Db::Sqlite).await? else {
        return Ok(());
    };
    let (alice, bob) = acme(&app).await?;
    let refused = alice
        .compose(
            &[("to", "bob@"), ("subject", "Envelope"), ("body", "Carried in the mail")],
            &[("note.txt", "text/plain", b"inside".to_vec())],
        )
        .await?;
    ensure!(refused.status == 422, "{}", refused.text());
    let token = hidden_field(&refused.body, "draft").context("the kept draft's token")?;
    ensure!(
        blob_entries(&app) == 1,
        "while kept, the sealed file waits in the blob store"
    );
    let id = alice
        .send_to(
            "bob@example.com",
            "Envelope",
            "Carried in the mail",
            &[("draft", &token), ("keep", "1")],
        )
        .await?;
    ensure!(blob_entries(&app) == 0, "sent, the service keeps only keys again");
    app.deliver().await?;
    let (_, envelope) = app.mail_to("bob@example.com", "Secure message from")?.envelope()?;
    let payload = hidden_field(&envelope, "payload").context("payload")?;
    let opened = bob.open_envelope(&envelope).await?;
    ensure!(opened.status == 200 && opened.shows("note.txt"), "{}", opened.text());
    let csrf = opened.csrf().context("csrf")?;
    let download = bob
        .post_raw(
            &format!("/m/{id}/attachments/1"),
            &[("csrf", &csrf), ("payload", &payload)],
        )
        .await?;
    ensure!(download.body == "inside", "the kept file travels in the envelope");
    Ok(())
}
