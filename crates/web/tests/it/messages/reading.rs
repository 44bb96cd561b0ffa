//! Who reads and who manages: a recipient opens the message and its attachments,
//! replies, meets lock and expiry, sanitized HTML bodies, one access record per
//! view; an account's administrators manage messages without reading them and
//! choose the address notifications come from.

use anyhow::{Context as _, anyhow};

use crate::helpers::{TestApp, acme, hidden_field, logged_in};

use super::{acme_details, acme_member};

on_both_databases!(
    a_member_sends_and_a_registered_recipient_opens_message_and_attachment,
    send_and_open
);
async fn send_and_open(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let report: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let id = alice
        .send(
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
    assert_eq!(link, format!("{}/m/{id}?r=bob%40example.com", app.base));
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
    assert_eq!(mallory.status(&format!("/m/{id}")).await?, 404);
    assert_eq!(mallory.bytes(&format!("/m/{id}/attachments/1")).await?.0, 404);
    assert_eq!(mallory.status(&format!("/portal/sent/{id}")).await?, 404);
    assert_eq!(
        bob.status(&format!("/portal/sent/{id}")).await?,
        404,
        "a recipient does not manage the message"
    );
    Ok(())
}

on_both_databases!(replies_and_read_receipts_follow_the_senders_options, replies);
async fn replies(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let id = alice
        .send_to(
            "bob@example.com",
            "Contract",
            "Please sign.",
            &[("allow_reply", "on"), ("read_receipt", "on")],
        )
        .await?;
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
    forward.assert_shows("This cannot be done");
    bob.send(
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
    let id = alice.send_to("bob@example.com", "Offer", "Our offer", &[]).await?;
    let base = format!("/portal/sent/{id}");

    // The sender locks through a confirmation step with a labelled reason, as an
    // administrator does; nobody else reaches it, and a refused reason is kept.
    let tracking = alice.get(&base).await?;
    assert!(
        tracking
            .body
            .contains(&format!("<form method=\"get\" action=\"{base}/lock\"")),
        "{}",
        tracking.body
    );
    let lock = format!("{base}/lock");
    let confirm = alice.get(&lock).await?;
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    assert!(confirm.shows("Lock this message?") && confirm.shows("alice@example.com"));
    assert!(
        confirm
            .body
            .contains("<label for=\"reason\">Reason shown to recipients</label>")
    );
    assert!(
        confirm.body.contains(&format!("<a href=\"{base}\">")),
        "cancel goes back"
    );
    app.add_user("mallory@example.com", false).await?;
    let mallory = logged_in(&app, "mallory@example.com").await?;
    for stranger in [&bob, &mallory] {
        assert_eq!(stranger.status(&lock).await?, 404);
        let forged = stranger.submit("/portal", &lock, &[("reason", "Hijacked")]).await?;
        assert_eq!(forged.status, 404, "{}", forged.text());
    }
    assert!(bob.get(&format!("/m/{id}")).await?.shows("Our offer"), "not locked");

    let no_reason = alice.submit(&lock, &lock, &[("reason", " ")]).await?;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.shows("Give a reason: recipients will see it.") && no_reason.shows("Lock this message?"));
    let too_long = "x".repeat(501);
    let kept = alice.submit(&lock, &lock, &[("reason", &too_long)]).await?;
    assert_eq!(kept.status, 422);
    kept.assert_shows("The reason can be at most 500 characters long.");
    assert!(
        kept.body.contains(&format!(">{too_long}</textarea>")),
        "what was typed is kept"
    );
    assert_eq!(
        alice
            .submit(&base, &lock, &[("reason", "Sent to the wrong person")])
            .await?
            .status,
        303
    );
    let tracking = alice.get(&base).await?;
    assert!(tracking.shows("The message is locked.") && tracking.shows("Sent to the wrong person"));
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
    // The page writes that day as Bob reads dates (English, UTC).
    let tomorrow_as_read = sealpost_i18n::DateFormatter::new(sealpost_domain::types::Locale::En, None)
        .date(app.clock_now().plus_seconds(24 * 3600));
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
    expired.assert_shows("This message has expired");
    expired.assert_shows(&tomorrow_as_read);
    expired.assert_shows("alice@example.com");

    // Destroying the key makes every copy unreadable, even with the envelope in hand.
    assert_eq!(app.services.shred_expired(0).await.map_err(|e| anyhow!("{e:?}"))?, 1);
    app.deliver().await?;
    let (_, envelope) = app.mail_to("bob@example.com", "Secure message from")?.envelope()?;
    let posted = bob.open_envelope(&envelope).await?;
    let after = bob.get(posted.location.as_deref().unwrap_or("/")).await?;
    assert!(after.shows("This message has expired") && !after.shows("Our offer"));
    assert!(alice.get(&base).await?.shows("Expired, key destroyed"));
    Ok(())
}

on_both_databases!(html_bodies_are_sanitized_and_shown_in_a_sandboxed_frame, html_bodies);
async fn html_bodies(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let body = r#"<p>Hello <b>Bob</b>,</p><script>alert(1)</script><img src="https://tracker.example/p.gif" onerror="steal()"><a href="https://example.org/terms" onclick="x()">terms</a>"#;
    let id = alice
        .send_to(
            "bob@example.com",
            "Styled",
            body,
            &[("format", "html"), ("allow_reply", "on")],
        )
        .await?;
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
    let plain = alice
        .send_to("bob@example.com", "Plain", "<b>not bold</b>", &[])
        .await?;
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
    let id = alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("subject", "Counted"),
                ("body", "Once"),
                ("allow_reply", "on"),
            ],
            &[("a.txt", "text/plain", b"attached".to_vec())],
        )
        .await?;
    let views = || async {
        let events = app.first_account_audit().await?;
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
    page.assert_shows("Not set: notifications come from sealpost@example.com with the account's name.");
    let form = format!("{details}/sending-address");
    let bad = alice
        .submit(&details, &form, &[("sending_address", "secure@acme")])
        .await?;
    assert_eq!(bad.status, 422);
    assert!(bad.shows("Enter a valid email address") && bad.body.contains("value=\"secure@acme\""));
    let saved = alice
        .submit(&details, &form, &[("sending_address", "Secure@Acme.example")])
        .await?;
    assert_eq!(saved.status, 303);
    let waiting = alice.get(&details).await?;
    waiting.assert_shows("A confirmation link was sent to secure@acme.example.");
    waiting.assert_shows("Waiting for confirmation: secure@acme.example.");

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
    confirmed.assert_shows("Notifications are now sent from secure@acme.example.");
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
