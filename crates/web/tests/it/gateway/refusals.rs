//! Who may not submit, and what they are told: wrong, revoked and out-of-network
//! tokens, senders outside the account, guessing throttled like logins; every
//! refusal audited without subject or content.

use anyhow::{anyhow, ensure};
use sealpost_mail::gateway::GatewayConfig;

use super::{
    RawClient, acme_and_gateway, acme_with_token, alices_messages, audit_actions, bob_reads, gateway, queued_id,
    stored_messages,
};
use crate::helpers::{TestApp, wrong_secret};

async fn wrong_revoked_and_out_of_network_tokens_are_refused(app: TestApp) -> anyhow::Result<()> {
    let token = acme_with_token(&app, "").await?;
    let number = app.first_account().await?.number;
    let fenced = super::token_for(&app, number, "10.0.0.0/8").await?;
    let gw = gateway(&app, GatewayConfig::default(), None).await?;

    let mut client = RawClient::connect(gw.port).await?;
    let wrong = wrong_secret(&token);
    ensure!(
        client.login(&wrong).await?.starts_with("535 5.7.8"),
        "a wrong secret is refused"
    );
    let mut client = RawClient::connect(gw.port).await?;
    let answer = client.login(&fenced).await?;
    ensure!(
        answer.starts_with("535 5.7.8"),
        "a token from outside its networks is refused: {answer}"
    );

    let scope = app.scope("alice@example.com", number).await?;
    let listed = app
        .services
        .account_tokens(&scope)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    for listed in listed.iter().filter(|t| token.contains(&t.public_id)) {
        app.services
            .revoke_account_token(&scope, listed.id)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
    }
    let mut client = RawClient::connect(gw.port).await?;
    ensure!(
        client.login(&token).await?.starts_with("535 5.7.8"),
        "a revoked token is refused"
    );
    ensure!(stored_messages(&app).await? == 0);
    Ok(())
}
on_both_databases!(bad_tokens, wrong_revoked_and_out_of_network_tokens_are_refused);

async fn senders_outside_the_account_get_550_and_the_refusal_is_audited(app: TestApp) -> anyhow::Result<()> {
    let (token, gw) = acme_and_gateway(&app).await?;
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    for stranger in ["bob@example.com", "nobody@elsewhere.example"] {
        let answer = client.command(&format!("MAIL FROM:<{stranger}>")).await?;
        ensure!(answer.starts_with("550 5.7.1"), "{stranger} is refused: {answer}");
        ensure!(answer.contains(stranger), "the refusal names the sender: {answer}");
    }
    let answer = client
        .send_simple("alice@example.com", "[secure] Audit canary SUBJECTCANARY", "BODYCANARY")
        .await?;
    ensure!(answer.starts_with("250 2.0.0"), "Alice may send: {answer}");
    let audit = audit_actions(&app).await?;
    let submissions: Vec<_> = audit.iter().filter(|(a, _, _)| a == "gateway.submission").collect();
    ensure!(
        submissions
            .iter()
            .any(|(_, t, o)| o == "refused" && t.contains("from=nobody@elsewhere.example")),
        "the refused sender is audited: {submissions:?}"
    );
    ensure!(
        submissions.iter().any(|(_, t, o)| o == "ok"
            && t.contains("from=alice@example.com")
            && t.contains("rcpt=1")
            && t.contains("sptk_")),
        "the accepted submission is audited with token, sender and count: {submissions:?}"
    );
    ensure!(
        !audit.iter().any(|(_, t, _)| t.contains("CANARY")),
        "no subject or content in the audit"
    );
    Ok(())
}
on_both_databases!(
    foreign_senders,
    senders_outside_the_account_get_550_and_the_refusal_is_audited
);

async fn guessing_tokens_is_throttled_while_the_server_keeps_serving(app: TestApp) -> anyhow::Result<()> {
    let (token, gw) = acme_and_gateway(&app).await?;
    let wrong = wrong_secret(&token);
    let mut throttled = false;
    for _ in 0..8 {
        let mut client = RawClient::connect(gw.port).await?;
        let answer = client.login(&wrong).await?;
        if answer.starts_with("454 4.7.0") {
            throttled = true;
            break;
        }
        ensure!(answer.starts_with("535"), "a wrong guess: {answer}");
    }
    ensure!(throttled, "a guessing client ends up waiting");
    // Even the right secret waits now, from this client (the fake clock stands still).
    let mut client = RawClient::connect(gw.port).await?;
    ensure!(client.login(&token).await?.starts_with("454 4.7.0"));
    // The server still serves: a new session greets and answers.
    let mut client = RawClient::connect(gw.port).await?;
    client.expect("NOOP", "250").await?;
    Ok(())
}
on_both_databases!(
    auth_throttle,
    guessing_tokens_is_throttled_while_the_server_keeps_serving
);

async fn control_headers_never_exceed_the_accounts_features(app: TestApp) -> anyhow::Result<()> {
    use sealpost_domain::settings::Feature;
    let token = acme_with_token(&app, "").await?;
    let scope = app
        .scope("alice@example.com", app.first_account().await?.number)
        .await?;
    app.services
        .change_account_settings(&scope, |s| s.set_feature(Feature::SecureForward, false))
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let gw = gateway(&app, GatewayConfig::default(), None).await?;
    let mut client = RawClient::logged_in(gw.port, &token).await?;
    let message = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: [secure] Options\r\n\
        X-Sealpost-Forward: yes\r\nX-Sealpost-Reply: no\r\nX-Sealpost-Expires: +3\r\n\r\nHello\r\n";
    let answer = client
        .transaction("alice@example.com", &["bob@example.com"], message)
        .await?;
    let id = queued_id(&answer)?;
    let sent = alices_messages(&app).await?;
    let message = sent.first().ok_or_else(|| anyhow!("nothing sent"))?;
    ensure!(message.public_id.to_hex() == id);
    ensure!(!message.options.allow_forward, "Forward is switched off for Acme");
    ensure!(!message.options.allow_reply, "X-Sealpost-Reply: no");
    ensure!(message.options.allow_reply_all, "the default stays");
    let expires = message.expires_at.ok_or_else(|| anyhow!("no expiry"))?;
    let days = (expires.0 - app.clock_now().0) / (24 * 3600 * 1000);
    ensure!((2..=3).contains(&days), "expires in about three days ({days})");
    let page = bob_reads(&app, &id).await?;
    ensure!(!page.shows("X-Sealpost"), "control headers are not in the message");
    Ok(())
}
on_both_databases!(control_headers, control_headers_never_exceed_the_accounts_features);

async fn a_suspended_account_or_one_without_secure_compose_takes_no_gateway_mail(app: TestApp) -> anyhow::Result<()> {
    use sealpost_domain::settings::Feature;
    let token = acme_with_token(&app, "").await?;
    let number = app.first_account().await?.number;
    app.add_user("ops@example.com", false).await?;
    app.make_operator("ops@example.com").await?;
    let operator = app.scope("ops@example.com", number).await?;
    let gw = gateway(&app, GatewayConfig::default(), None).await?;
    let send = || async {
        let mut client = RawClient::logged_in(gw.port, &token).await?;
        client.send_simple("alice@example.com", "[secure] Hi", "Hello").await
    };
    app.services
        .set_account_suspended(&operator, true)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let answer = send().await?;
    ensure!(
        answer.starts_with("550 5.7.1") && answer.contains("suspended"),
        "{answer}"
    );
    // A scope holds the account as it was read: a fresh one sees the suspension.
    let operator = app.scope("ops@example.com", number).await?;
    app.services
        .set_account_suspended(&operator, false)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    app.services
        .change_account_settings(&operator, |s| s.set_feature(Feature::SecureCompose, false))
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let answer = send().await?;
    ensure!(
        answer.starts_with("550 5.7.1") && answer.contains("Secure Compose"),
        "{answer}"
    );
    ensure!(stored_messages(&app).await? == 0, "nothing was stored");
    Ok(())
}
on_both_databases!(
    suspended_or_no_compose,
    a_suspended_account_or_one_without_secure_compose_takes_no_gateway_mail
);
