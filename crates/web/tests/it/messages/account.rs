//! What an account's administrators do with messages: manage without reading, and
//! choose the address notifications come from.

use anyhow::Context as _;

use crate::helpers::{TestApp, acme, hidden_field, logged_in};

use super::{acme_details, acme_member};

on_both_databases!(
    administrators_manage_messages_of_their_account_only_without_reading_them,
    admin_messages
);
async fn admin_messages(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let sam = acme_member(&app, "sam@example.com").await?;
    let acme = app.first_account().await?;
    let id = sam
        .send_to("bob@example.com", "Secret plans", "Top secret", &[])
        .await?;

    let list = alice.get(&format!("/admin/accounts/{}/messages", acme.number)).await?;
    assert!(
        list.shows("sam@example.com") && list.shows("bob@example.com") && !list.shows("Secret plans"),
        "{}",
        list.text()
    );
    let base = format!("/admin/accounts/{}/messages/{id}", acme.number);
    let manage = alice.get(&base).await?;
    assert!(manage.status == 200 && !manage.shows("Secret plans"));
    assert_eq!(
        alice.status(&format!("/m/{id}")).await?,
        404,
        "administrators do not read messages"
    );
    assert_eq!(
        alice
            .submit(&base, &format!("{base}/lock"), &[("reason", "Under review")])
            .await?
            .status,
        303
    );
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Under review"));

    // Another account's administrator gets nothing.
    app.add_user("oscar@other.example", false).await?;
    let other = app.add_account("Other Ltd", Some("oscar@other.example")).await?;
    let oscar = logged_in(&app, "oscar@other.example").await?;
    assert_eq!(
        oscar
            .status(&format!("/admin/accounts/{}/messages/{id}", other.number))
            .await?,
        404
    );
    assert_eq!(oscar.status(&base).await?, 404);
    let own = format!("/admin/accounts/{}/messages", other.number);
    assert_eq!(
        oscar
            .submit(
                &own,
                &format!("/admin/accounts/{}/messages/{id}/unlock", other.number),
                &[]
            )
            .await?
            .status,
        404
    );
    assert!(
        bob.get(&format!("/m/{id}")).await?.shows("Under review"),
        "still locked"
    );
    Ok(())
}

on_both_databases!(notifications_come_from_the_accounts_sending_address, sending_address);
async fn sending_address(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let details = acme_details(&app).await?;
    let page = alice.get(&details).await?;
    assert!(
        page.shows("Not set: notifications come from sealpost@example.com with the account's name."),
        "{}",
        page.text()
    );
    let bad = alice
        .submit(
            &details,
            &format!("{details}/sending-address"),
            &[("sending_address", "secure@acme")],
        )
        .await?;
    assert_eq!(bad.status, 422);
    assert!(bad.shows("Enter a valid email address") && bad.body.contains("value=\"secure@acme\""));
    let saved = alice
        .submit(
            &details,
            &format!("{details}/sending-address"),
            &[("sending_address", "Secure@Acme.example")],
        )
        .await?;
    assert_eq!(saved.status, 303);
    let waiting = alice.get(&details).await?;
    assert!(
        waiting.shows("A confirmation link was sent to secure@acme.example.")
            && waiting.shows("Waiting for confirmation: secure@acme.example."),
        "{}",
        waiting.text()
    );

    // Not in effect before the address confirms: nobody sends as an address
    // they do not read.
    alice.send_to("bob@example.com", "Early", "Hello", &[]).await?;
    app.deliver().await?;
    let senders = notification_senders(&app)?;
    assert_eq!(senders.len(), 1);
    assert!(!senders[0].contains("secure@acme.example"), "{senders:?}");

    let path = app.link_path(
        "secure@acme.example",
        "Confirm secure@acme.example",
        "/confirm-sender?token=",
    )?;
    let someone = app.client();
    let button = someone.get(&path).await?;
    assert!(
        button.shows("Confirm this sending address"),
        "a link scanner's GET spends nothing"
    );
    let token = hidden_field(&button.body, "token").context("token")?;
    let confirmed = someone.submit(&path, "/confirm-sender", &[("token", &token)]).await?;
    assert!(
        confirmed.shows("Notifications are now sent from secure@acme.example."),
        "{}",
        confirmed.text()
    );
    let again = someone.submit(&path, "/confirm-sender", &[("token", &token)]).await?;
    assert_eq!(again.status, 410, "a link works once");

    alice.send_to("bob@example.com", "From Acme", "Hello", &[]).await?;
    app.deliver().await?;
    let senders = notification_senders(&app)?;
    assert_eq!(senders.len(), 2);
    assert!(
        senders
            .iter()
            .any(|from| from.contains("secure@acme.example") && from.contains("Acme Corp")),
        "{senders:?}"
    );
    Ok(())
}

/// The decoded `From` (name and address) of every notification Bob received.
fn notification_senders(app: &TestApp) -> anyhow::Result<Vec<String>> {
    app.mails()?
        .iter()
        .filter(|m| m.to.contains("bob@example.com") && m.subject.contains("Secure message from"))
        .map(|m| {
            let parsed = mail_parser::MessageParser::default()
                .parse(&m.raw)
                .context("parsable")?;
            let from = parsed.from().and_then(|f| f.first()).context("From")?;
            Ok(format!(
                "{} <{}>",
                from.name().unwrap_or_default(),
                from.address().unwrap_or_default()
            ))
        })
        .collect()
}
