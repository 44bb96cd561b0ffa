//! Secure messages over HTTP: composing with attachments, notifications with the
//! Registered Envelope, opening, registering through the envelope, replies, read
//! receipts, lock and expiry, tenancy, and the promise that plaintext never reaches
//! disk.

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::types::EmailAddress;

use crate::helpers::{Client, PASSWORD, TestApp, hidden_field, logged_in_with, sent_id};

async fn logged_in(app: &TestApp, email: &str) -> anyhow::Result<Client> {
    logged_in_with(app, email, PASSWORD).await
}

/// Alice (administrator of Acme, so a member who may send) and Bob (registered, in no account).
async fn acme(app: &TestApp) -> anyhow::Result<(Client, Client)> {
    app.add_user("alice@example.com", false).await?;
    app.add_user("bob@example.com", false).await?;
    app.add_account("Acme Corp", Some("alice@example.com")).await?;
    Ok((
        logged_in(app, "alice@example.com").await?,
        logged_in(app, "bob@example.com").await?,
    ))
}

/// A plain member of Acme (in its Staff group, made on first use), logged in.
async fn acme_member(app: &TestApp, email: &str) -> anyhow::Result<Client> {
    app.add_user(email, false).await?;
    let acme = app
        .store_port()
        .list_accounts()
        .await
        .map_err(|e| anyhow!("{e:?}"))?
        .into_iter()
        .next()
        .context("acme")?;
    let alice = app
        .store_port()
        .user_by_email(&EmailAddress::parse("alice@example.com")?)
        .await
        .map_err(|e| anyhow!("{e:?}"))?
        .context("alice")?;
    let scope = app
        .services
        .account_scope(
            &app.services.act_as(alice.id).await.map_err(|e| anyhow!("{e:?}"))?,
            acme.number,
            None,
        )
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let groups = app.services.groups(&scope).await.map_err(|e| anyhow!("{e:?}"))?;
    let staff = match groups.into_iter().find(|g| g.name == "Staff") {
        Some(staff) => staff,
        None => app
            .services
            .create_group(&scope, "Staff")
            .await
            .map_err(|e| anyhow!("{e:?}"))?,
    };
    app.services
        .add_member(&scope, staff.id, email)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    logged_in(app, email).await
}

on_both_databases!(
    a_member_sends_and_a_registered_recipient_opens_message_and_attachment,
    send_and_open
);
async fn send_and_open(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let report: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let sent = alice
        .compose(
            &[
                ("to", "bob@example.com"),
                ("cc", "carol@example.com"),
                ("subject", "Q3 figures"),
                ("body", "Hello Bob,\n<b>see</b> attached."),
                ("allow_reply", "on"),
            ],
            &[("q3 report.bin", "application/octet-stream", report.clone())],
        )
        .await?;
    let id = sent_id(&sent)?;
    let tracking = alice.get(&format!("/portal/sent/{id}")).await?;
    assert!(tracking.shows("Your secure message has been sent.") && tracking.shows("Q3 figures"));
    assert!(
        tracking.shows("bob@example.com")
            && tracking.shows("carol@example.com (Cc)")
            && tracking.shows("Not opened yet")
    );

    assert_eq!(app.deliver().await?, 2, "one notification per recipient");
    let mail = app.mail_to("bob@example.com", "Secure message from")?;
    assert!(
        mail.subject.contains("Test alice"),
        "the subject names the sender: {}",
        mail.subject
    );
    assert!(
        mail.html.contains("Open Online") && mail.text.contains("Open Online"),
        "text and HTML parts"
    );
    assert!(
        !mail.subject.contains("Q3") && !String::from_utf8_lossy(&mail.raw).contains("Q3 figures"),
        "the notification never carries the subject"
    );
    let link = mail.link(&format!("{}/m/", app.base))?;
    assert_eq!(link, format!("{}/m/{id}", app.base));
    let (name, envelope) = mail.envelope()?;
    assert!(name.len() == "securedoc_20261121T183000.html".len(), "{name}");
    assert!(envelope.contains("Open Online") && !envelope.contains("<script"));
    assert_eq!(hidden_field(&envelope, "id").as_deref(), Some(id.as_str()));
    assert!(
        hidden_field(&envelope, "payload").is_some_and(|p| p.len() > 1_000_000),
        "stored mode also attaches the payload"
    );

    let page = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.shows("Q3 figures")
            && page.shows("Hello Bob,")
            && page.shows("<b>see</b> attached.")
            && !page.body.contains("<b>see"),
        "plain text is escaped"
    );
    assert!(page.shows("q3 report.bin") && page.shows("Reply") && !page.shows("Forward"));
    let (status, bytes) = bob.bytes(&format!("/m/{id}/attachments/1")).await?;
    assert_eq!(status, 200);
    assert!(bytes == report, "the attachment comes back byte for byte");

    let tracking = alice.get(&format!("/portal/sent/{id}")).await?;
    assert!(
        !tracking.shows("bob@example.com Not opened yet"),
        "Bob's opening shows: {}",
        tracking.text()
    );
    assert!(bob.get("/portal/inbox").await?.shows("Q3 figures"));
    assert!(alice.get("/portal/sent").await?.shows("Q3 figures"));

    // Nobody else may open it, whatever they try.
    app.add_user("mallory@example.com", false).await?;
    let mallory = logged_in(&app, "mallory@example.com").await?;
    assert_eq!(mallory.get(&format!("/m/{id}")).await?.status, 404);
    assert_eq!(mallory.bytes(&format!("/m/{id}/attachments/1")).await?.0, 404);
    assert_eq!(mallory.get(&format!("/portal/sent/{id}")).await?.status, 404);
    assert_eq!(
        bob.get(&format!("/portal/sent/{id}")).await?.status,
        404,
        "a recipient does not manage the message"
    );
    Ok(())
}

on_both_databases!(
    a_new_recipient_registers_through_the_envelope_and_can_then_be_made_administrator,
    register_through_envelope
);
async fn register_through_envelope(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let id = sent_id(
        &alice
            .compose(
                &[
                    ("to", "carol@example.com"),
                    ("subject", "Welcome"),
                    ("body", "Hi Carol"),
                ],
                &[],
            )
            .await?,
    )?;
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
        .submit(
            &to_message,
            "/register",
            &[
                ("email", "carol@example.com"),
                ("first_name", "Carol"),
                ("last_name", "Danvers"),
                ("password", "Danvers-Secret-1"),
                ("confirm_password", "Danvers-Secret-2"),
                ("locale", "en"),
                ("next", &format!("/m/{id}")),
            ],
        )
        .await?;
    assert_eq!(mismatch.status, 422);
    assert!(
        mismatch.shows("The passwords do not match.")
            && mismatch.body.contains("value=\"Carol\"")
            && mismatch.body.contains("value=\"Danvers\"")
    );
    let registered = carol
        .submit(
            &to_message,
            "/register",
            &[
                ("email", "carol@example.com"),
                ("first_name", "Carol"),
                ("last_name", "Danvers"),
                ("password", "Danvers-Secret-1"),
                ("confirm_password", "Danvers-Secret-1"),
                ("locale", "en"),
                ("next", &format!("/m/{id}")),
            ],
        )
        .await?;
    assert!(registered.shows("Check your mailbox"), "{}", registered.text());
    assert_eq!(
        app.client()
            .login("carol@example.com", "Danvers-Secret-1")
            .await?
            .status,
        401,
        "not active before the mailbox is proven"
    );

    app.deliver().await?;
    let activation = app.mail_to("carol@example.com", "Confirm your email address")?;
    let link = activation.link(&format!("{}/activate?token=", app.base))?;
    let path = link.strip_prefix(&app.base).context("same site")?.replace("&amp;", "&");
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
        .administered_accounts(
            app.store_port()
                .user_by_email(&EmailAddress::parse("alice@example.com")?)
                .await
                .map_err(|e| anyhow!("{e:?}"))?
                .context("alice")?
                .id,
        )
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

on_both_databases!(replies_and_read_receipts_follow_the_senders_options, replies);
async fn replies(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let id = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "Contract"),
                    ("body", "Please sign."),
                    ("allow_reply", "on"),
                    ("read_receipt", "on"),
                ],
                &[],
            )
            .await?,
    )?;
    app.deliver().await?;
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Please sign."));
    bob.get(&format!("/m/{id}")).await?;
    app.deliver().await?;
    let receipts: Vec<_> = app
        .mails()?
        .into_iter()
        .filter(|m| m.to.contains("alice@example.com"))
        .collect();
    assert_eq!(receipts.len(), 1, "one read receipt, however often Bob looks");

    let form = bob.get(&format!("/portal/compose?reply={id}&kind=reply")).await?;
    assert!(
        form.body.contains("value=\"Re: Contract\"") && form.shows("> Please sign."),
        "{}",
        form.text()
    );
    let forward = bob.get(&format!("/portal/compose?reply={id}&kind=forward")).await?;
    assert_eq!(forward.status, 422, "forwarding was not allowed: {}", forward.text());
    assert!(forward.shows("This cannot be done"), "{}", forward.text());
    let reply = bob
        .compose(
            &[
                ("reply", &id),
                ("kind", "reply"),
                ("to", "mallory@example.com"),
                ("subject", "Re: Contract"),
                ("body", "Signed."),
            ],
            &[],
        )
        .await?;
    sent_id(&reply)?;
    let inbox = alice.get("/portal/inbox").await?;
    assert!(
        inbox.shows("Re: Contract") && inbox.shows("bob@example.com"),
        "the reply went to the sender, not to whoever the form named"
    );
    app.deliver().await?;
    assert!(app.mails()?.iter().all(|m| !m.to.contains("mallory")));
    Ok(())
}

on_both_databases!(locked_and_expired_messages_tell_the_recipient_why, lock_and_expiry);
async fn lock_and_expiry(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let id = sent_id(
        &alice
            .compose(
                &[("to", "bob@example.com"), ("subject", "Offer"), ("body", "Our offer")],
                &[],
            )
            .await?,
    )?;
    let base = format!("/portal/sent/{id}");

    let no_reason = alice.submit(&base, &format!("{base}/lock"), &[("reason", " ")]).await?;
    assert!(no_reason.shows("Give a reason: recipients will see it."));
    assert_eq!(
        alice
            .submit(
                &base,
                &format!("{base}/lock"),
                &[("reason", "Sent to the wrong person")]
            )
            .await?
            .status,
        303
    );
    let locked = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(locked.status, 410, "{:?} {}", locked.location, locked.text());
    assert!(
        locked.shows("This message is locked")
            && locked.shows("Sent to the wrong person")
            && locked.shows("alice@example.com")
    );
    assert!(!locked.shows("Our offer"));
    assert_eq!(alice.submit(&base, &format!("{base}/unlock"), &[]).await?.status, 303);
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Our offer"));

    let past = alice
        .submit(&base, &format!("{base}/expiry"), &[("expires_on", "2001-01-01")])
        .await?;
    assert!(past.shows("The expiration date must be in the future."));
    let tomorrow = sealpost_domain::services::messages::expiry_field(Some(app.clock_now().plus_seconds(24 * 3600)));
    assert_eq!(
        alice
            .submit(&base, &format!("{base}/expiry"), &[("expires_on", &tomorrow)])
            .await?
            .status,
        303
    );
    app.clock.advance_seconds(3 * 24 * 3600);
    let bob = logged_in(&app, "bob@example.com").await?;
    let alice = logged_in(&app, "alice@example.com").await?;
    let expired = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(expired.status, 410);
    assert!(
        expired.shows("This message has expired") && expired.shows(&tomorrow) && expired.shows("alice@example.com")
    );

    // Destroying the key makes every copy unreadable, even with the envelope in hand.
    assert_eq!(app.services.shred_expired(0).await.map_err(|e| anyhow!("{e:?}"))?, 1);
    app.deliver().await?;
    let (_, envelope) = app.mail_to("bob@example.com", "Secure message from")?.envelope()?;
    let payload = hidden_field(&envelope, "payload").context("payload")?;
    let posted = bob
        .post_raw(
            "/envelope/open",
            &[("id", &id), ("recipient", "bob@example.com"), ("payload", &payload)],
        )
        .await?;
    let after = bob.get(posted.location.as_deref().unwrap_or("/")).await?;
    assert!(after.shows("This message has expired") && !after.shows("Our offer"));
    assert!(alice.get(&base).await?.shows("Expired, key destroyed"));
    Ok(())
}

on_both_databases!(
    administrators_manage_messages_of_their_account_only_without_reading_them,
    admin_messages
);
async fn admin_messages(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let sam = acme_member(&app, "sam@example.com").await?;
    let acme = app
        .store_port()
        .list_accounts()
        .await
        .map_err(|e| anyhow!("{e:?}"))?
        .into_iter()
        .next()
        .context("acme")?;
    let id = sent_id(
        &sam.compose(
            &[
                ("to", "bob@example.com"),
                ("subject", "Secret plans"),
                ("body", "Top secret"),
            ],
            &[],
        )
        .await?,
    )?;

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
        alice.get(&format!("/m/{id}")).await?.status,
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
            .get(&format!("/admin/accounts/{}/messages/{id}", other.number))
            .await?
            .status,
        404
    );
    assert_eq!(oscar.get(&base).await?.status, 404);
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
    assert_eq!(bob.get("/portal/compose").await?.status, 403, "Bob is in no account");
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
    let id = sent_id(
        &alice
            .compose(
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
            .await?,
    )?;
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
    let id = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "Envelope only"),
                    ("body", "Carried in the mail"),
                ],
                &[("note.txt", "text/plain", b"inside".to_vec())],
            )
            .await?,
    )?;
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
        let answer = visitor
            .submit("/password/forgot", "/password/forgot", &[("email", email)])
            .await?;
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
    let form = visitor.get(&path).await?;
    let token = hidden_field(&form.body, "token").context("token")?;

    let weak = visitor
        .submit(
            &path,
            "/password/reset",
            &[
                ("token", &token),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await?;
    assert!(
        weak.shows("The password must be at least 10 characters long."),
        "{}",
        weak.text()
    );
    let done = visitor
        .submit(
            &path,
            "/password/reset",
            &[
                ("token", &token),
                ("new_password", "Brand-New-Secret-9"),
                ("confirm_password", "Brand-New-Secret-9"),
            ],
        )
        .await?;
    assert_eq!(
        done.location.as_deref(),
        Some("/portal"),
        "a refused password left the link working"
    );
    assert!(visitor.get("/portal").await?.shows("Your new password is set."));
    assert_eq!(
        app.client()
            .login("bob@example.com", "Brand-New-Secret-9")
            .await?
            .status,
        303
    );
    assert_eq!(app.client().login("bob@example.com", PASSWORD).await?.status, 401);
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
        .submit(
            "/register?email=eve@example.com",
            "/register",
            &[
                ("email", "eve@example.com"),
                ("first_name", "Eve"),
                ("last_name", "Ng"),
                ("password", "Long-Enough-Pass-1"),
                ("confirm_password", "Long-Enough-Pass-1"),
                ("locale", "en"),
            ],
        )
        .await?;
    assert_eq!(answer.status, 200);
    assert!(answer.shows("Check your mailbox"), "{}", answer.text());
    app.deliver().await?;
    assert!(app.mails()?.is_empty(), "nothing is mailed to a stranger's address");
    assert_eq!(
        app.client()
            .login("eve@example.com", "Long-Enough-Pass-1")
            .await?
            .status,
        401
    );
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
        ids.push(sent_id(
            &alice
                .compose(
                    &[
                        ("to", "bob@example.com"),
                        ("subject", &format!("Before rotation {n}")),
                        ("body", "old key"),
                    ],
                    &[],
                )
                .await?,
        )?);
    }
    let acme = app
        .store_port()
        .list_accounts()
        .await
        .map_err(|e| anyhow!("{e:?}"))?
        .into_iter()
        .next()
        .context("acme")?;
    let rotation = app
        .services
        .rotate_account_key(acme.number)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    assert_eq!((rotation.version, rotation.rewrapped), (2, 3));
    let after = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "After rotation"),
                    ("body", "new key"),
                ],
                &[],
            )
            .await?,
    )?;
    for id in ids.iter().chain([&after]) {
        assert_eq!(bob.get(&format!("/m/{id}")).await?.status, 200, "{id} still opens");
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

    let id = sent_id(
        &alice
            .compose(
                &[
                    ("to", "dana@example.com, bob@example.com"),
                    ("subject", "Vertrag"),
                    ("body", "Bitte prüfen"),
                    ("read_receipt", "on"),
                ],
                &[],
            )
            .await?,
    )?;
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
    assert!(
        register.shows("Registrieren") && register.shows("Vorname"),
        "{}",
        register.text()
    );

    // Bob opens: the receipt reaches Alice in the account's language.
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Bitte prüfen"));
    app.deliver().await?;
    let receipt = app.mail_to("alice@example.com", "hat Ihre sichere Nachricht geöffnet")?;
    assert!(receipt.subject.starts_with("bob@example.com"), "{}", receipt.subject);
    Ok(())
}

/// The Details tab of the account [`acme`] made.
async fn acme_details(app: &TestApp) -> anyhow::Result<String> {
    let acme = app
        .store_port()
        .list_accounts()
        .await
        .map_err(|e| anyhow!("{e:?}"))?
        .into_iter()
        .next()
        .context("acme")?;
    Ok(format!("/admin/accounts/{}", acme.number))
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
    sent_id(
        &alice
            .compose(
                &[("to", "bob@example.com"), ("subject", "Early"), ("body", "Hello")],
                &[],
            )
            .await?,
    )?;
    app.deliver().await?;
    let senders = notification_senders(&app)?;
    assert_eq!(senders.len(), 1);
    assert!(!senders[0].contains("secure@acme.example"), "{senders:?}");

    let confirm = app.mail_to("secure@acme.example", "Confirm secure@acme.example")?;
    let link = confirm.link(&format!("{}/confirm-sender?token=", app.base))?;
    let path = link.strip_prefix(&app.base).context("same site")?.replace("&amp;", "&");
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

    sent_id(
        &alice
            .compose(
                &[("to", "bob@example.com"), ("subject", "From Acme"), ("body", "Hello")],
                &[],
            )
            .await?,
    )?;
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
    let linked = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "By link"),
                    ("body", "Travels by link"),
                ],
                &[],
            )
            .await?,
    )?;
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
    let enveloped = sent_id(
        &alice
            .compose(
                &[
                    ("to", "carol@example.org"),
                    ("subject", "Inside"),
                    ("body", "Travels inside"),
                ],
                &[],
            )
            .await?,
    )?;
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
    let stored = sent_id(
        &alice
            .compose(
                &[
                    ("to", "dave@example.org"),
                    ("subject", "Both"),
                    ("body", "Travels both ways"),
                ],
                &[],
            )
            .await?,
    )?;
    app.deliver().await?;
    let (_, envelope) = app.mail_to("dave@example.org", "Secure message from")?.envelope()?;
    assert!(hidden_field(&envelope, "payload").is_some() && blobs_of(&stored));

    let audit = alice.get(&format!("{details}/audit")).await?;
    assert!(audit.shows("Delivery mode changed"), "{}", audit.text());
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
    let id = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "Figures"),
                    ("body", "See attached."),
                    ("draft", &token),
                    ("keep", "1"),
                ],
                &[("more.txt", "text/plain", b"more".to_vec())],
            )
            .await?,
    )?;
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

/// How many files lie below `dir`, at any depth.
fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { count_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

on_both_databases!(an_upload_that_never_became_a_message_is_cleaned_up, abandoned_upload);
async fn abandoned_upload(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let sent = sent_id(
        &alice
            .compose(
                &[("to", "bob@example.com"), ("subject", "Kept"), ("body", "x")],
                &[("keep.txt", "text/plain", b"sent".to_vec())],
            )
            .await?,
    )?;
    let files = || count_files(&app.dir.path().join("blobs"));
    let before = files();

    // The process stops mid-way: an attachment is stored, and neither a message
    // nor a discard follows.
    let user = app
        .store_port()
        .user_by_email(&EmailAddress::parse("alice@example.com")?)
        .await
        .map_err(|e| anyhow!("{e:?}"))?
        .context("alice")?;
    let actor = app.services.act_as(user.id).await.map_err(|e| anyhow!("{e:?}"))?;
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

on_both_databases!(html_bodies_are_sanitized_and_shown_in_a_sandboxed_frame, html_bodies);
async fn html_bodies(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let body = r#"<p>Hello <b>Bob</b>,</p><script>alert(1)</script><img src="https://tracker.example/p.gif" onerror="steal()"><a href="https://example.org/terms" onclick="x()">terms</a>"#;
    let id = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "Styled"),
                    ("body", body),
                    ("format", "html"),
                    ("allow_reply", "on"),
                ],
                &[],
            )
            .await?,
    )?;
    let page = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(page.status, 200);
    let frame_at = page
        .body
        .find("<iframe class=\"body\" sandbox=\"allow-popups allow-popups-to-escape-sandbox\" srcdoc=\"")
        .context("a sandboxed frame")?;
    let frame = &page.body[frame_at
        ..page.body[frame_at..]
            .find("</iframe>")
            .map(|e| frame_at + e)
            .context("frame end")?];
    let shown = frame
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"");
    assert!(
        shown.contains("<b>Bob</b>") && shown.contains("href=\"https://example.org/terms\""),
        "{shown}"
    );
    assert!(
        !shown.contains("alert(1)")
            && !shown.contains("onerror")
            && !shown.contains("onclick")
            && !shown.contains("<script"),
        "{shown}"
    );
    assert!(shown.contains("rel=\"noopener noreferrer nofollow\""));
    let csp = reqwest::get(format!("{}/portal/login", app.base)).await?;
    let csp = csp
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("img-src 'self' data:"),
        "remote images stay blocked: {csp}"
    );

    let reply = bob.get(&format!("/portal/compose?reply={id}&kind=reply")).await?;
    assert!(
        reply.shows("> Hello Bob,"),
        "replies quote the text, not the markup: {}",
        reply.text()
    );
    let plain = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "Plain"),
                    ("body", "<b>not bold</b>"),
                ],
                &[],
            )
            .await?,
    )?;
    let plain = bob.get(&format!("/m/{plain}")).await?;
    assert!(
        !plain.body.contains("<iframe") && plain.shows("<b>not bold</b>"),
        "plain text stays text"
    );
    Ok(())
}

on_both_databases!(
    a_view_is_recorded_once_and_its_attachments_and_reply_form_are_not_views,
    one_record_per_view
);
/// Issue 12: reading a message and recording the access are separate. Each view of
/// the page is one access record; downloading its attachment or opening the reply
/// form is part of that view, not another one.
async fn one_record_per_view(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let id = sent_id(
        &alice
            .compose(
                &[
                    ("to", "bob@example.com"),
                    ("subject", "Counted"),
                    ("body", "Once"),
                    ("allow_reply", "on"),
                ],
                &[("a.txt", "text/plain", b"attached".to_vec())],
            )
            .await?,
    )?;
    let views = || async {
        let account = app
            .store_port()
            .list_accounts()
            .await
            .map_err(|e| anyhow!("{e:?}"))?
            .into_iter()
            .next()
            .context("acme")?;
        let events = app
            .store_port()
            .list_audit(Some(account.id), 200)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
        anyhow::Ok(
            events
                .iter()
                .filter(|e| e.action == "message.opened" && e.target == id)
                .count(),
        )
    };
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Once"));
    assert_eq!(views().await?, 1);
    for _ in 0..2 {
        let (status, bytes) = bob.bytes(&format!("/m/{id}/attachments/1")).await?;
        assert_eq!((status, bytes), (200, b"attached".to_vec()));
    }
    let form = bob.get(&format!("/portal/compose?reply={id}&kind=reply")).await?;
    assert!(form.body.contains("value=\"Re: Counted\""));
    assert_eq!(views().await?, 1, "downloads and the reply form are part of the view");
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Once"));
    assert_eq!(views().await?, 2, "every view of the page is recorded");
    Ok(())
}
