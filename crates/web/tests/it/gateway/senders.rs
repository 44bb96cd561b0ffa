//! Allowed sender domains at the gateway: look-alike senders get 550 and leave
//! nothing behind; an address of an allowed domain that is not a member yet
//! sends, becomes a member without a password, and later sets one through
//! "Forgot password?" to see and lock what it sent.

use anyhow::{anyhow, ensure};
use sealpost_domain::model::UserStatus;
use sealpost_domain::services::messages::GATEWAY_SENDERS_GROUP;
use sealpost_domain::types::AccountNumber;
use sealpost_mail::gateway::GatewayConfig;
use tokio::process::Command;

use super::{RawClient, acme_and_gateway, acme_with_token, gateway, have, queued_id, stored_messages};
use crate::helpers::{TestApp, logged_in};

/// Acme (its token and number returned) allowing `acme.example` and its
/// `*.eu.acme.example` subdomains; Beta, another account, allowing `beta.example`.
async fn acme_allowing_its_domain(app: &TestApp) -> anyhow::Result<(String, AccountNumber)> {
    let token = acme_with_token(app, "").await?;
    let acme = app.first_account().await?;
    let scope = app.scope("alice@example.com", acme.number).await?;
    app.services
        .set_sender_domains(&scope, "acme.example *.eu.acme.example")
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    app.add_user("boris@beta.example", false).await?;
    let beta = app.add_account("Beta", Some("boris@beta.example")).await?;
    let beta_scope = app.scope("boris@beta.example", beta.number).await?;
    app.services
        .set_sender_domains(&beta_scope, "beta.example")
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok((token, acme.number))
}

/// Whether a user with this address exists.
async fn user_exists(app: &TestApp, email: &str) -> anyhow::Result<bool> {
    let address = sealpost_domain::types::EmailAddress::parse(email).map_err(|e| anyhow!("{e:?}"))?;
    Ok(app
        .store_port()
        .user_by_email(&address)
        .await
        .map_err(|e| anyhow!("{e:?}"))?
        .is_some())
}

/// Whether Acme has its "Gateway senders" group (made at the first admission).
async fn acme_has_gateway_group(app: &TestApp, number: AccountNumber) -> anyhow::Result<bool> {
    let acme = app.account(number).await?;
    let groups = app
        .store_port()
        .list_groups(acme.id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(groups.iter().any(|g| g.name == GATEWAY_SENDERS_GROUP))
}

async fn look_alike_senders_are_refused_and_leave_no_user_group_or_message(app: TestApp) -> anyhow::Result<()> {
    let (token, acme) = acme_allowing_its_domain(&app).await?;
    let locked = sealpost_domain::model::NewUser {
        email: sealpost_domain::types::EmailAddress::parse("locked@acme.example").map_err(|e| anyhow!("{e:?}"))?,
        first_name: "Lou".to_owned(),
        last_name: "Locked".to_owned(),
        password_hash: None,
        status: UserStatus::Locked,
        must_change_password: false,
        locale: None,
        created_by: None,
        created_at: app.clock_now(),
        mailbox_verified_at: None,
    };
    app.store_port()
        .insert_user(locked, None)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let gw = gateway(&app, GatewayConfig::default(), None).await?;
    // Each refusal counts toward the session's error limit: a session per kind.
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    for stranger in [
        "mallory@evil-acme.example",
        "mallory@acme.example.evil",
        "mallory@acme-example.com",
        "mallory@sub.acme.example",
        "mallory@eu.acme.example",
        "mallory@xn--acme-9ta.example",
        "mallory@beta.example",
        "locked@acme.example",
    ] {
        let answer = client.command(&format!("MAIL FROM:<{stranger}>")).await?;
        ensure!(answer.starts_with("550 5.7.1"), "{stranger} is refused: {answer}");
    }
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    // A Cyrillic "а" in place of the Latin "a": another domain (or no address at all).
    let answer = client.command("MAIL FROM:<mallory@аcme.example> SMTPUTF8").await?;
    ensure!(
        answer.starts_with("550") || answer.starts_with("553") || answer.starts_with("501"),
        "a homograph is refused: {answer}"
    );
    for malformed in [
        "\"mallory@acme.example\"@evil.example",
        "mallory@acme.example.",
        "mallory@[127.0.0.1]",
        "<mallory@acme.example>@evil.example",
    ] {
        let answer = client.command(&format!("MAIL FROM:<{malformed}>")).await?;
        ensure!(
            answer.starts_with("553") || answer.starts_with("501"),
            "{malformed} is not an address: {answer}"
        );
    }
    // The envelope sender may send, but the From: header names someone else.
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    let forged =
        "From: CEO <ceo@acme.example>\r\nTo: bob@example.com\r\nSubject: [secure] Wire the money\r\n\r\nNow.\r\n";
    let answer = client
        .transaction("dana@acme.example", &["bob@example.com"], forged)
        .await?;
    ensure!(
        answer.starts_with("550 5.7.1") && answer.contains("From header"),
        "a From header naming someone else is refused: {answer}"
    );
    let quoted = "From: \"ceo@acme.example\"@evil.example\r\nTo: bob@example.com\r\nSubject: [secure] x\r\n\r\nx\r\n";
    let answer = client
        .transaction("dana@acme.example", &["bob@example.com"], quoted)
        .await?;
    ensure!(answer.starts_with("550 5.7.1"), "{answer}");
    for nobody in [
        "mallory@evil-acme.example",
        "mallory@sub.acme.example",
        "dana@acme.example",
        "ceo@acme.example",
    ] {
        ensure!(!user_exists(&app, nobody).await?, "no user {nobody} was created");
    }
    ensure!(!acme_has_gateway_group(&app, acme).await?, "no group was created");
    ensure!(stored_messages(&app).await? == 0, "nothing was stored");
    ensure!(app.deliver().await? == 0, "nothing was sent to anyone (Bob included)");
    Ok(())
}
on_both_databases!(
    look_alike_senders,
    look_alike_senders_are_refused_and_leave_no_user_group_or_message
);

const SMTPLIB_SCRIPT: &str = r#"
import smtplib, sys
from email.message import EmailMessage
port, token, sender, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
msg = EmailMessage()
msg["From"] = sender
msg["To"] = "bob@example.com"
msg["Subject"] = subject
msg.set_content("Welcome aboard, from the new colleague.\n")
with smtplib.SMTP("127.0.0.1", port) as s:
    s.login("mailserver", token)
    s.mail(sender)
    s.rcpt("bob@example.com")
    code, answer = s.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    print(code, answer.decode())
"#;

async fn smtplib_sends(port: u16, token: &str, sender: &str, subject: &str) -> anyhow::Result<String> {
    let output = Command::new("python3")
        .args(["-c", SMTPLIB_SCRIPT, &port.to_string(), token, sender, subject])
        .output()
        .await?;
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "smtplib failed: {printed} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(printed)
}

async fn an_address_of_an_allowed_domain_becomes_a_member_then_sets_a_password_and_locks_its_message(
    app: TestApp,
) -> anyhow::Result<()> {
    if !have(
        "python3",
        "an_address_of_an_allowed_domain_becomes_a_member_then_sets_a_password_and_locks_its_message",
    ) {
        return Ok(());
    }
    let (token, acme) = acme_allowing_its_domain(&app).await?;
    let gw = gateway(&app, GatewayConfig::default(), None).await?;
    let printed = smtplib_sends(gw.port, &token, "Dana@ACME.example", "[secure] Welcome pack").await?;
    ensure!(printed.starts_with("250"), "Dana may send: {printed}");
    let id = queued_id(&printed)?;
    let dana = app.user("dana@acme.example").await?;
    ensure!(dana.status == UserStatus::Pending, "a pending user, without password");
    ensure!(
        acme_has_gateway_group(&app, acme).await?,
        "in Acme's Gateway senders group"
    );
    let printed = smtplib_sends(gw.port, &token, "erin@mail.eu.acme.example", "[secure] Second").await?;
    ensure!(printed.starts_with("250"), "a listed wildcard's subdomain: {printed}");
    let again = smtplib_sends(gw.port, &token, "dana@acme.example", "[secure] Follow-up").await?;
    ensure!(again.starts_with("250"), "a member now: {again}");

    let alice = logged_in(&app, "alice@example.com").await?;
    let audit = alice.get(&format!("/admin/accounts/{acme}/audit")).await?;
    audit.assert_shows("User created by the SMTP gateway (allowed sender domain)");
    ensure!(
        audit.body.matches("dana@acme.example by sptk_").count() == 1,
        "created once: {}",
        audit.text()
    );

    app.deliver().await?;
    let bob = logged_in(&app, "bob@example.com").await?;
    let page = bob.get(&format!("/m/{id}")).await?;
    ensure!(page.status == 200, "{}", page.text());
    page.assert_shows("Welcome pack");
    page.assert_shows("dana@acme.example");

    // Dana sets a password through "Forgot password?", then tracks and locks.
    let visitor = app.client();
    visitor.forgot_password("dana@acme.example").await?;
    app.deliver().await?;
    let path = app.link_path("dana@acme.example", "Reset your", "/password/reset?token=")?;
    let done = visitor.reset_password(&path, "Blue-Harbour-Lights-7").await?;
    ensure!(done.status == 303, "{}", done.text());
    let sent = visitor.get("/portal/sent").await?;
    sent.assert_shows("Welcome pack");
    sent.assert_shows("Follow-up");
    let base = format!("/portal/sent/{id}");
    let lock = visitor
        .submit(&base, &format!("{base}/lock"), &[("reason", "Sent too early")])
        .await?;
    ensure!(lock.status == 303, "{}", lock.text());
    let locked = bob.get(&format!("/m/{id}")).await?;
    ensure!(
        locked.status == 410 && locked.shows("Sent too early"),
        "{}",
        locked.text()
    );
    Ok(())
}
on_both_databases!(
    allowed_domain_admission,
    an_address_of_an_allowed_domain_becomes_a_member_then_sets_a_password_and_locks_its_message
);

async fn without_allowed_domains_only_members_send(app: TestApp) -> anyhow::Result<()> {
    let (token, gw) = acme_and_gateway(&app).await?;
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    let answer = client.send_simple("dana@acme.example", "[secure] Hi", "x").await?;
    ensure!(answer.starts_with("550 5.7.1"), "{answer}");
    ensure!(!user_exists(&app, "dana@acme.example").await?);
    Ok(())
}
on_both_databases!(only_members_without_domains, without_allowed_domains_only_members_send);

async fn an_account_that_may_not_send_admits_nobody(app: TestApp) -> anyhow::Result<()> {
    use sealpost_domain::settings::Feature;
    let (token, acme) = acme_allowing_its_domain(&app).await?;
    let scope = app.scope("alice@example.com", acme).await?;
    app.services
        .change_account_settings(&scope, |s| s.set_feature(Feature::SecureCompose, false))
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let gw = gateway(&app, GatewayConfig::default(), None).await?;
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    let message = "From: dana@acme.example\r\nTo: bob@example.com\r\nSubject: [secure] Hi\r\n\r\nx\r\n";
    let answer = client
        .transaction("dana@acme.example", &["bob@example.com"], message)
        .await?;
    ensure!(
        answer.starts_with("550 5.7.1") && answer.contains("Secure Compose"),
        "{answer}"
    );
    ensure!(!user_exists(&app, "dana@acme.example").await?, "nobody was admitted");
    ensure!(!acme_has_gateway_group(&app, acme).await?);
    Ok(())
}
on_both_databases!(no_compose_no_admission, an_account_that_may_not_send_admits_nobody);
