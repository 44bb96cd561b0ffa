//! What the sender sees when a notification cannot be delivered: the relay (the
//! real aiosmtpd sink, which refuses `reject*` recipients with 550) bounces one
//! recipient; the sender's tracking page and the account's Messages tab say so,
//! with the relay's reason as it wrote it, in the sender's language.

use anyhow::{Context as _, ensure};

use crate::helpers::{Client, Db, PASSWORD, SmtpSink, TestApp};

const REASON: &str = "550 5.1.1 <reject@client.example>: Recipient address rejected: no such user";

on_both_databases!(
    a_bounced_recipient_shows_the_failure_and_its_reason_on_the_senders_pages,
    bounced_on,
    given_db
);
async fn bounced_on(db: Db) -> anyhow::Result<()> {
    let Some(sink) = SmtpSink::start()? else { return Ok(()) };
    let Some(app) = TestApp::spawn_smtp(db, sink.port).await? else {
        return Ok(());
    };
    app.add_user("alice@example.com", false).await?;
    let acme = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let alice = Client::logged_in(&app, "alice@example.com").await?;
    let sent = alice
        .compose(
            &[
                ("to", "reject@client.example"),
                ("cc", "bob@client.example"),
                ("subject", "Contract"),
                ("body", "Please sign."),
            ],
            &[],
        )
        .await?;
    ensure!(sent.status == 303, "compose refused: {}", sent.text());
    let tracking = sent.location.clone().context("no location")?;

    assert_eq!(app.deliver().await?, 3, "two notifications, and the bounce to Alice");

    let page = alice.get(&tracking).await?;
    assert_eq!(page.status, 200);
    ensure!(
        page.shows(&format!("reject@client.example Delivery failed: {REASON}")),
        "the failure is not shown: {}",
        page.text()
    );
    ensure!(
        page.shows("bob@client.example (Cc) Not opened yet"),
        "Bob's notification was delivered: {}",
        page.text()
    );
    let failure = page
        .body
        .find("Delivery failed: ")
        .and_then(|at| page.body.get(at..at + 120))
        .unwrap_or_default();
    ensure!(
        failure.contains("550 5.1.1 &#60;reject@client.example&#62;: Recipient address rejected"),
        "the relay's text is not escaped: {failure}"
    );
    for (language, frame) in [("de", "Zustellung fehlgeschlagen: "), ("fr", "Échec de la remise : ")] {
        let page = alice.get_in(&tracking, language).await?;
        ensure!(page.shows(&format!("{frame}{REASON}")), "{language}: {}", page.text());
    }

    let list = alice.get(&format!("/admin/accounts/{}/messages", acme.number)).await?;
    ensure!(
        list.shows("reject@client.example (delivery failed), bob@client.example"),
        "the Messages tab: {}",
        list.text()
    );
    Ok(())
}

impl Client {
    /// A client logged in as `email` with [`PASSWORD`].
    async fn logged_in(app: &TestApp, email: &str) -> anyhow::Result<Self> {
        let client = app.client();
        let answer = client.login(email, PASSWORD).await?;
        ensure!(answer.status == 303, "login of {email} failed: {}", answer.text());
        Ok(client)
    }
}
