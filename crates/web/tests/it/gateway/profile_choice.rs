//! Choosing the envelope profile at the gateway: a subject tag set on the BCE
//! Config form (validated, unique per account) or `X-Sealpost-Profile`; tags
//! stripped, control headers never sealed; an unknown profile name refused with
//! nothing stored.

use anyhow::{anyhow, ensure};
use sealpost_domain::messages::Message;
use sealpost_domain::profiles::{ProfileRequest, SecurityLevel};
use sealpost_mail::gateway::GatewayConfig;
use tokio::process::Command;

use super::{RawClient, acme_with_token, alices_messages, gateway, have, queued_id, stored_messages};
use crate::helpers::{TestApp, logged_in};
use crate::profiles::partner_form;

/// The message Alice sent with this public id, as stored.
async fn alices_message(app: &TestApp, id: &str) -> anyhow::Result<Message> {
    alices_messages(app)
        .await?
        .into_iter()
        .find(|m| m.public_id.to_hex() == id)
        .ok_or_else(|| anyhow!("no message {id}"))
}

async fn an_unknown_or_another_accounts_profile_name_is_refused_and_nothing_is_stored(
    app: TestApp,
) -> anyhow::Result<()> {
    let token = acme_with_token(&app, "").await?;
    app.add_user("boris@beta.example", false).await?;
    let beta = app.add_account("Beta", Some("boris@beta.example")).await?;
    let beta_scope = app.scope("boris@beta.example", beta.number).await?;
    let secret = ProfileRequest {
        name: "Secret".to_owned(),
        security: "high".to_owned(),
        recipient_locale: "en".to_owned(),
        subject_tag: "[secret]".to_owned(),
        ..ProfileRequest::default()
    };
    app.services
        .create_envelope_profile(&beta_scope, &secret)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let gw = gateway(&app, GatewayConfig::default(), None).await?;
    for (header, subject) in [
        ("Secret", "[secure] For Beta's profile"),
        ("Nope", "[secure] Nobody's profile"),
        ("Default\u{7f}", "[secure] Control character"),
    ] {
        let mut client = RawClient::logged_in(gw.port, &token).await?;
        let message = format!(
            "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: {subject}\r\nX-Sealpost-Profile: {header}\r\n\r\nBODYCANARY\r\n"
        );
        let answer = client
            .transaction("alice@example.com", &["bob@example.com"], &message)
            .await?;
        ensure!(
            answer.starts_with("550 5.7.1")
                && answer.contains("X-Sealpost-Profile")
                && answer.contains("no envelope profile"),
            "{header} is refused: {answer}"
        );
        ensure!(client.command("NOOP").await?.starts_with("250"), "the session goes on");
    }
    // Beta's tag means nothing at Acme: the message gets Acme's default.
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    ensure!(stored_messages(&app).await? == 0, "nothing was stored");
    ensure!(app.deliver().await? == 0, "nothing was sent");
    let message = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: [secret] Not Beta's\r\n\r\nx\r\n";
    let answer = client
        .transaction("alice@example.com", &["bob@example.com"], message)
        .await?;
    let sent = alices_message(&app, &queued_id(&answer)?).await?;
    ensure!(
        sent.profile_id.is_none() && sent.security == SecurityLevel::Medium,
        "{sent:?}"
    );
    Ok(())
}
on_both_databases!(
    unknown_profile_header,
    an_unknown_or_another_accounts_profile_name_is_refused_and_nothing_is_stored
);

async fn subject_tags_and_the_profile_header_choose_the_profile_and_are_stripped(app: TestApp) -> anyhow::Result<()> {
    if !have(
        "swaks",
        "subject_tags_and_the_profile_header_choose_the_profile_and_are_stripped",
    ) {
        return Ok(());
    }
    let token = acme_with_token(&app, "").await?;
    let number = app.first_account().await?.number;
    let alice = logged_in(&app, "alice@example.com").await?;
    let tab = format!("/admin/accounts/{number}/profiles");
    // High, Reply and Forward on, Reply All off, expiry 10 days.
    let legal = |tag: &'static str, name: &'static str| partner_form(name, &[("subject_tag", tag)]);
    let refused = alice.submit(&tab, &tab, &legal("x", "Legal")).await?;
    ensure!(refused.status == 422, "{}", refused.text());
    refused.assert_shows("Write the subject tag as 2 to 40 characters without line breaks");
    ensure!(
        refused.body.contains(r#"name="subject_tag" maxlength="40" value="x""#),
        "typed tag kept"
    );
    let created = alice.submit(&tab, &tab, &legal("  [Legal] ", "Legal")).await?;
    ensure!(created.status == 303, "{}", created.text());
    let taken = alice.submit(&tab, &tab, &legal("[LEGAL]", "Board")).await?;
    ensure!(taken.status == 422, "{}", taken.text());
    taken.assert_shows("Another profile of this account already has this subject tag.");
    ensure!(taken.body.contains(r#"value="Board""#), "the name typed is kept");
    let scope = app.scope("alice@example.com", number).await?;
    let profiles = app
        .services
        .envelope_profiles(&scope)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(profiles.len() == 2, "Board was not created: {profiles:?}");
    let legal_profile = profiles
        .iter()
        .find(|p| p.name == "Legal")
        .ok_or_else(|| anyhow!("no Legal"))?;
    ensure!(legal_profile.subject_tag.as_deref() == Some("[Legal]"), "kept trimmed");
    let legal_id = legal_profile.id;

    let gw = gateway(&app, GatewayConfig::default(), None).await?;
    // swaks: the tag in any case, anywhere in the subject.
    let output = Command::new("swaks")
        .args(["--server", &format!("127.0.0.1:{}", gw.port)])
        .args(["--from", "alice@example.com", "--to", "bob@example.com"])
        .args(["--auth", "PLAIN", "--auth-user", "relay", "--auth-password", &token])
        .args(["--header", "Subject: Contract [lEgAl] draft"])
        .args(["--header", "X-Sealpost-Reply: no"])
        .args(["--body", "The contract is attached."])
        .output()
        .await?;
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "swaks failed: {printed}");
    let tagged = alices_message(&app, &queued_id(&printed)?).await?;
    ensure!(tagged.profile_id == legal_id, "Legal by its tag: {tagged:?}");
    ensure!(tagged.security == SecurityLevel::High);
    ensure!(
        tagged.options.allow_forward && !tagged.options.allow_reply_all,
        "the profile's defaults"
    );
    ensure!(!tagged.options.allow_reply, "the header over the profile's default");
    let expires = tagged.expires_at.ok_or_else(|| anyhow!("the profile's expiry"))?;
    let days = (expires.0 - app.clock_now().0) / (24 * 3600 * 1000);
    ensure!((9..=10).contains(&days), "expires in the profile's 10 days ({days})");
    let tracking = alice
        .get(&format!("/portal/sent/{}", tagged.public_id.to_hex()))
        .await?;
    tracking.assert_shows("Contract draft");
    ensure!(
        !tracking.shows("[lEgAl]") && !tracking.shows("[Legal]"),
        "the tag is stripped"
    );

    // The header chooses by name, any case; no tag needed.
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    let by_header = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Plain words\r\n\
        X-Sealpost-Profile: LEGAL\r\nX-Sealpost-Forward: no\r\n\r\nHello\r\n";
    let answer = client
        .transaction("alice@example.com", &["bob@example.com"], by_header)
        .await?;
    let headed = alices_message(&app, &queued_id(&answer)?).await?;
    ensure!(
        headed.profile_id == legal_id && !headed.options.allow_forward,
        "{headed:?}"
    );
    // The service-wide tag, or no tag at all, without a relaying token: the default.
    let mut last = String::new();
    for subject in ["[SECURE] Hello", "No tag at all"] {
        let message = format!("From: alice@example.com\r\nTo: bob@example.com\r\nSubject: {subject}\r\n\r\nHello\r\n");
        let answer = client
            .transaction("alice@example.com", &["bob@example.com"], &message)
            .await?;
        last = queued_id(&answer)?;
        let plain = alices_message(&app, &last).await?;
        ensure!(
            plain.profile_id.is_none() && plain.security == SecurityLevel::Medium,
            "{subject}: {plain:?}"
        );
    }
    app.deliver().await?;
    let bob = logged_in(&app, "bob@example.com").await?;
    let page = bob.get(&format!("/m/{last}")).await?;
    ensure!(page.status == 200 && page.shows("No tag at all"), "{}", page.text());
    ensure!(!page.shows("X-Sealpost"), "no control header is sealed");
    Ok(())
}
on_both_databases!(
    profile_by_tag_or_header,
    subject_tags_and_the_profile_header_choose_the_profile_and_are_stripped
);
