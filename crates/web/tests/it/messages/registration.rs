//! A recipient without an account: registering through the envelope, by invitation
//! only, in the account's language, and resetting a forgotten password.

use anyhow::{Context as _, anyhow};

use crate::helpers::{PASSWORD, TestApp, acme, hidden_field, logged_in};

on_both_databases!(
    a_new_recipient_registers_through_the_envelope_and_can_then_be_made_administrator,
    register_through_envelope
);
async fn register_through_envelope(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let id = alice.send_to("carol@example.com", "Welcome", "Hi Carol", &[]).await?;
    app.deliver().await?;
    let (_, envelope) = app.mail_to("carol@example.com", "Secure message from")?.envelope()?;

    // "Open Online" posts the envelope's fields from wherever the file was opened.
    let carol = app.client();
    let opened = carol.open_envelope(&envelope).await?;
    assert_eq!(opened.status, 303);
    let to_message = opened.location.clone().context("location")?;
    let register = carol.get(&to_message).await?;
    assert!(
        register.shows("Register") && register.body.contains("value=\"carol@example.com\""),
        "{}",
        register.text()
    );

    let mismatch = carol
        .register(
            &to_message,
            "carol@example.com",
            ("Carol", "Danvers"),
            ("Danvers-Secret-1", "Danvers-Secret-2"),
            &format!("/m/{id}"),
        )
        .await?;
    assert_eq!(mismatch.status, 422);
    assert!(
        mismatch.shows("The passwords do not match.")
            && mismatch.body.contains("value=\"Carol\"")
            && mismatch.body.contains("value=\"Danvers\"")
    );
    let registered = carol
        .register(
            &to_message,
            "carol@example.com",
            ("Carol", "Danvers"),
            ("Danvers-Secret-1", "Danvers-Secret-1"),
            &format!("/m/{id}"),
        )
        .await?;
    registered.assert_shows("Check your mailbox");
    assert_eq!(
        app.login_status("carol@example.com", "Danvers-Secret-1").await?,
        401,
        "not active before the mailbox is proven"
    );

    app.deliver().await?;
    let path = app.link_path("carol@example.com", "Confirm your email address", "/activate?token=")?;
    let confirm = carol.get(&path).await?;
    assert!(
        confirm.shows("Confirm and continue"),
        "a link scanner's GET spends nothing"
    );
    let token = hidden_field(&confirm.body, "token").context("token")?;
    let next = hidden_field(&confirm.body, "next").context("next")?;
    let activated = carol
        .submit(&path, "/activate", &[("token", &token), ("next", &next)])
        .await?;
    assert_eq!(activated.location.as_deref(), Some(format!("/m/{id}").as_str()));
    assert!(carol.get(&format!("/m/{id}")).await?.shows("Hi Carol"));
    let again = carol
        .submit(&path, "/activate", &[("token", &token), ("next", &next)])
        .await?;
    assert!(
        again.shows("This link is invalid, was already used, or has expired."),
        "single use"
    );

    // The seeds' troubleshooting path: now the administrator can add Carol.
    let account = app
        .store_port()
        .administered_accounts(app.user("alice@example.com").await?.id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let account = account.first().context("account")?;
    let group = app
        .store_port()
        .admin_group(account.id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let members = format!("/admin/accounts/{}/groups/{}", account.number, group.id);
    let added = alice
        .submit(
            &members,
            &format!("{members}/members"),
            &[("user_id", "carol@example.com")],
        )
        .await?;
    assert_eq!(added.status, 303, "{}", added.text());
    assert!(
        alice
            .get(&members)
            .await?
            .shows("carol@example.com was added to the group Account Administrators.")
    );
    Ok(())
}

on_both_databases!(a_forgotten_password_is_reset_through_a_single_use_link, password_reset);
async fn password_reset(app: TestApp) -> anyhow::Result<()> {
    app.add_user("bob@example.com", false).await?;
    let visitor = app.client();
    let page = visitor.get("/portal/login").await?;
    assert!(
        page.body.contains("href=\"/password/forgot\""),
        "the login page offers the reset"
    );
    for email in ["bob@example.com", "nobody@example.com"] {
        let answer = visitor.forgot_password(email).await?;
        assert!(
            answer.shows(&format!(
                "If {email} has a Sealpost user, a link to reset the password is on its way."
            )),
            "the same answer for everyone"
        );
    }
    app.deliver().await?;
    let mails = app.mails()?;
    assert_eq!(mails.len(), 1, "only the real user gets mail");
    let link = mails[0].link(&format!("{}/password/reset?token=", app.base))?;
    let path = link.strip_prefix(&app.base).context("same site")?.to_owned();
    let weak = visitor.reset_password(&path, "short").await?;
    weak.assert_shows("The password must be at least 10 characters long.");
    let done = visitor.reset_password(&path, "Brand-New-Secret-9").await?;
    assert_eq!(
        done.location.as_deref(),
        Some("/portal"),
        "a refused password left the link working"
    );
    assert!(visitor.get("/portal").await?.shows("Your new password is set."));
    assert_eq!(app.login_status("bob@example.com", "Brand-New-Secret-9").await?, 303);
    assert_eq!(app.login_status("bob@example.com", PASSWORD).await?, 401);
    let reused = app.client().get(&path).await?;
    assert_eq!(reused.status, 410);
    assert!(reused.shows("This link is invalid, was already used, or has expired."));
    Ok(())
}

on_both_databases!(
    only_addresses_that_received_a_message_may_register,
    registration_by_invitation
);
/// A stranger's address gets the same page and answer as an invited one, and no
/// mail: registration is by invitation, but the visitor is not told so.
async fn registration_by_invitation(app: TestApp) -> anyhow::Result<()> {
    let stranger = app.client();
    let page = stranger.get("/register?email=eve@example.com").await?;
    assert_eq!(page.status, 200, "the same page for every address");
    let answer = stranger
        .register(
            "/register?email=eve@example.com",
            "eve@example.com",
            ("Eve", "Ng"),
            ("Long-Enough-Pass-1", "Long-Enough-Pass-1"),
            "",
        )
        .await?;
    assert_eq!(answer.status, 200);
    answer.assert_shows("Check your mailbox");
    app.deliver().await?;
    assert!(app.mails()?.is_empty(), "nothing is mailed to a stranger's address");
    assert_eq!(app.login_status("eve@example.com", "Long-Enough-Pass-1").await?, 401);
    Ok(())
}

on_both_databases!(
    a_german_account_speaks_german_from_envelope_to_registration_and_receipt,
    german_account
);
async fn german_account(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    app.add_user("bob@example.com", false).await?;
    app.add_account_speaking(
        "Acme GmbH",
        Some("alice@example.com"),
        sealpost_domain::types::Locale::De,
    )
    .await?;
    let alice = logged_in(&app, "alice@example.com").await?;
    let bob = logged_in(&app, "bob@example.com").await?;
    assert!(
        alice.get("/portal/inbox").await?.shows("Compose Message"),
        "members may compose"
    );
    assert!(
        !bob.get("/portal/inbox").await?.shows("Compose Message"),
        "Bob is in no account: no compose link"
    );

    let id = alice
        .send_to(
            "dana@example.com, bob@example.com",
            "Vertrag",
            "Bitte prüfen",
            &[("read_receipt", "on")],
        )
        .await?;
    app.deliver().await?;
    let (_, envelope) = app.mail_to("dana@example.com", "Sichere Nachricht von")?.envelope()?;
    assert!(
        envelope.contains("Online öffnen") && envelope.contains("Registrieren"),
        "the envelope speaks the account's language"
    );
    assert_eq!(hidden_field(&envelope, "lang").as_deref(), Some("de"));

    // Dana's browser says English; the envelope said German, and so do the pages after it.
    let dana = app.client();
    let opened = dana.open_envelope(&envelope).await?;
    let register = dana
        .get_in(opened.location.as_deref().context("location")?, "en-US,en")
        .await?;
    register.assert_shows("Registrieren");
    register.assert_shows("Vorname");

    // Bob opens: the receipt reaches Alice in the account's language.
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Bitte prüfen"));
    app.deliver().await?;
    let receipt = app.mail_to("alice@example.com", "hat Ihre sichere Nachricht geöffnet")?;
    assert!(receipt.subject.starts_with("bob@example.com"), "{}", receipt.subject);
    Ok(())
}
