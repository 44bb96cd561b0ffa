//! Who may read what (issue 7), tried as the attackers would: another account's
//! administrator creating the recipient's address, a second registration of a
//! pending address, strangers asking who exists, an account sending as an address
//! it does not read. Each test shows the attack as the user would see it.

use anyhow::Context as _;

use crate::helpers::{Answer, Client, PASSWORD, TestApp, logged_in_with, sent_id};

/// Account One (Alice) writes to Dana, who has no account here yet. Account Two's
/// administrator is Tom. Returns Alice's and Tom's clients and the message id.
async fn two_organisations(app: &TestApp) -> anyhow::Result<(Client, Client, String)> {
    app.add_user("alice@one.example", false).await?;
    app.add_account("One Bank", Some("alice@one.example")).await?;
    app.add_user("tom@two.example", false).await?;
    app.add_account("Two Corp", Some("tom@two.example")).await?;
    let alice = logged_in_with(app, "alice@one.example", PASSWORD).await?;
    let id = alice
        .send(
            &[
                ("to", "dana@partner.example"),
                ("subject", "Merger terms"),
                ("body", "Confidential: the price is 42."),
            ],
            &[("terms.txt", "text/plain", b"price=42".to_vec())],
        )
        .await?;
    app.deliver().await?;
    let tom = logged_in_with(app, "tom@two.example", PASSWORD).await?;
    Ok((alice, tom, id))
}

/// Tom adds the user dana@partner.example through Users → Add User, with a
/// password he chose and no forced change.
async fn tom_creates_dana(tom: &Client) -> anyhow::Result<Answer> {
    tom.submit(
        "/admin/users/new",
        "/admin/users",
        &[
            ("username", "dana@partner.example"),
            ("first_name", "Dana"),
            ("last_name", "Planted"),
            ("password", "Toms-Chosen-Secret-1"),
            ("confirm_password", "Toms-Chosen-Secret-1"),
        ],
    )
    .await
}

fn reveals_the_message(answer: &Answer) -> bool {
    answer.body.contains("Merger terms") || answer.body.contains("the price is 42") || answer.body.contains("price=42")
}

on_both_databases!(
    another_accounts_administrator_cannot_read_mail_by_creating_the_recipient,
    planted_recipient
);
async fn planted_recipient(app: TestApp) -> anyhow::Result<()> {
    let (_alice, tom, id) = two_organisations(&app).await?;
    let created = tom_creates_dana(&tom).await?;
    assert_eq!(created.status, 303, "{}", created.text());

    // Tom logs in as the address he created and tries every way to the message.
    let as_dana = logged_in_with(&app, "dana@partner.example", "Toms-Chosen-Secret-1").await?;
    let page = as_dana.get(&format!("/m/{id}")).await?;
    assert_eq!(page.status, 403, "{}", page.text());
    assert!(page.shows("Confirm your email address") && page.shows("Send me the link"));
    assert!(!reveals_the_message(&page));
    let attachment = as_dana.get(&format!("/m/{id}/attachments/1")).await?;
    assert_ne!(attachment.status, 200);
    assert!(!reveals_the_message(&attachment));
    let inbox = as_dana.get("/portal/inbox").await?;
    assert!(!reveals_the_message(&inbox), "not even the subject in the inbox");
    assert!(inbox.shows("Send me the link"), "the inbox offers the proof link");
    let reply = as_dana.get(&format!("/portal/compose?reply={id}&kind=forward")).await?;
    assert!(
        !reveals_the_message(&reply),
        "no forward form prefilled with the content"
    );

    // He asks for the proof link: it goes to Dana's real mailbox.
    let asked = as_dana
        .submit(&format!("/m/{id}"), "/verify/request", &[("next", &format!("/m/{id}"))])
        .await?;
    asked.assert_shows("We sent a link to dana@partner.example.");
    app.deliver().await?;
    let proof = app.link_path("dana@partner.example", "Confirm that", "/verify?token=")?;

    // The real Dana clicks it in her own browser: it proves nothing for Tom's
    // session, and tells her what to do.
    let real_dana = app.client();
    let elsewhere = real_dana.use_link(&proof, "/verify").await?;
    assert_eq!(elsewhere.status, 403);
    assert!(elsewhere.shows("This link works only in the browser that asked for it"));
    let still = as_dana.get(&format!("/m/{id}")).await?;
    assert_eq!(still.status, 403, "Tom still cannot read");
    assert!(!reveals_the_message(&still));

    // Dana registers from her envelope: her link replaces Tom's password and
    // ends his session; the message opens for her alone.
    let (_, envelope) = app.mail_to("dana@partner.example", "Secure message from")?.envelope()?;
    let opened = real_dana.open_envelope(&envelope).await?;
    let to_message = opened.location.clone().context("location")?;
    let register = real_dana.get(&to_message).await?;
    assert!(
        register.shows("Register"),
        "the real owner may still register: {}",
        register.text()
    );
    let registered = real_dana
        .register(
            &to_message,
            "dana@partner.example",
            ("Dana", "Real"),
            ("Mailbox-Owner-Secret-7", "Mailbox-Owner-Secret-7"),
            &format!("/m/{id}"),
        )
        .await?;
    registered.assert_shows("Check your mailbox");
    app.deliver().await?;
    let activation = app.link_path("dana@partner.example", "Confirm your email address", "/activate?token=")?;
    let activated = real_dana.use_link(&activation, "/activate").await?;
    assert_eq!(activated.status, 303);
    let read = real_dana.get(&format!("/m/{id}")).await?;
    read.assert_shows("the price is 42");

    let tom_again = as_dana.get(&format!("/m/{id}")).await?;
    assert!(
        !reveals_the_message(&tom_again),
        "Tom's session ended with the password"
    );
    assert_eq!(
        app.login_status("dana@partner.example", "Toms-Chosen-Secret-1").await?,
        401,
        "Tom's password is gone"
    );
    Ok(())
}

on_both_databases!(
    an_administrator_created_colleague_proves_the_mailbox_once_in_the_same_browser,
    colleague_proves_mailbox
);
async fn colleague_proves_mailbox(app: TestApp) -> anyhow::Result<()> {
    let (alice, tom, _) = two_organisations(&app).await?;
    drop(tom);
    // Alice adds her colleague Erin as the seeds describe: temporary password,
    // forced change.
    let created = alice
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[
                ("username", "erin@one.example"),
                ("first_name", "Erin"),
                ("last_name", "Colleague"),
                ("password", "Temporary-Secret-1"),
                ("confirm_password", "Temporary-Secret-1"),
                ("force_password_change", "on"),
            ],
        )
        .await?;
    assert_eq!(created.status, 303, "{}", created.text());
    let id = alice.send_to("erin@one.example", "Payroll", "Salary list", &[]).await?;

    let erin = logged_in_with(&app, "erin@one.example", "Temporary-Secret-1").await?;
    let changed = erin.change_password("Temporary-Secret-1", "Colleague-Secret-5").await?;
    assert_eq!(changed.status, 303, "{}", changed.text());
    let first = erin.get(&format!("/m/{id}")).await?;
    assert_eq!(first.status, 403, "a new password proves no mailbox");
    erin.submit(&format!("/m/{id}"), "/verify/request", &[("next", &format!("/m/{id}"))])
        .await?;
    app.deliver().await?;
    let proof = app.link_path("erin@one.example", "Confirm that", "/verify?token=")?;
    let proven = erin.use_link(&proof, "/verify").await?;
    assert_eq!(proven.location.as_deref(), Some(format!("/m/{id}").as_str()));
    assert!(erin.get(&format!("/m/{id}")).await?.shows("Salary list"));
    assert!(erin.get("/portal/inbox").await?.shows("Payroll"));
    Ok(())
}

on_both_databases!(a_pending_registration_cannot_be_taken_over, registration_takeover);
/// Issue 7, item 2: Eve registers an address whose owner registered first and
/// has not clicked yet. Bob then clicks his own link: he gets his own password.
async fn registration_takeover(app: TestApp) -> anyhow::Result<()> {
    let (alice, _, _) = two_organisations(&app).await?;
    let id = alice
        .send_to("bob@partner.example", "Hello Bob", "For Bob only", &[])
        .await?;
    let register = |password: &'static str, first: &'static str| {
        let client = app.client();
        let next = format!("/m/{id}");
        async move {
            let answer = client
                .register(
                    "/register?email=bob@partner.example",
                    "bob@partner.example",
                    (first, "Person"),
                    (password, password),
                    &next,
                )
                .await?;
            anyhow::Ok((client, answer))
        }
    };
    let (bob, answer) = register("Bobs-Own-Secret-3", "Bob").await?;
    assert!(answer.shows("Check your mailbox"));
    app.deliver().await?;
    let bobs_link = app.link_path("bob@partner.example", "Confirm your email address", "/activate?token=")?;
    let (_eve, answer) = register("Eves-Attack-Secret-4", "Eve").await?;
    assert!(answer.shows("Check your mailbox"));
    app.deliver().await?;
    let prefix = format!("{}/activate?token=", app.base);
    let links: Vec<String> = app
        .mails()?
        .iter()
        .filter(|m| m.to.contains("bob@partner.example") && m.subject.contains("Confirm your email address"))
        .map(|m| m.link(&prefix))
        .collect::<anyhow::Result<_>>()?;
    assert_eq!(links.len(), 2, "one link per attempt");
    let eves_link = links
        .iter()
        .map(|l| l.strip_prefix(&app.base).unwrap_or(l).replace("&amp;", "&"))
        .find(|l| *l != bobs_link)
        .context("Eve's link")?;

    let activated = bob.use_link(&bobs_link, "/activate").await?;
    assert_eq!(activated.status, 303, "{}", activated.text());
    assert!(bob.get(&format!("/m/{id}")).await?.shows("For Bob only"));
    assert_eq!(
        app.login_status("bob@partner.example", "Eves-Attack-Secret-4").await?,
        401,
        "Eve's password was never activated"
    );
    assert_eq!(app.login_status("bob@partner.example", "Bobs-Own-Secret-3").await?, 303);

    // Eve's link (it went to Bob's mailbox) is dead now.
    let late = app.client();
    let refused = late.use_link(&eves_link, "/activate").await?;
    assert_eq!(refused.status, 410);
    assert_eq!(app.login_status("bob@partner.example", "Bobs-Own-Secret-3").await?, 303);
    Ok(())
}

on_both_databases!(strangers_learn_nothing_about_who_exists, no_enumeration);
/// Issue 7, item 7: registration, the message link and "forgot password" answer
/// a stranger the same whoever the address belongs to; the owner hears by mail;
/// link mails are limited per address and per client.
async fn no_enumeration(app: TestApp) -> anyhow::Result<()> {
    let (alice, _tom, id) = two_organisations(&app).await?;
    drop(alice);
    let stranger = app.client();
    let register = |email: &'static str| {
        let stranger = &stranger;
        async move {
            stranger
                .register(
                    &format!("/register?email={email}"),
                    email,
                    ("Someone", "Else"),
                    ("Some-Long-Secret-8", "Some-Long-Secret-8"),
                    "",
                )
                .await
        }
    };
    // alice@one.example has an account; dana@partner.example was written to;
    // nobody@nowhere.example was never heard of.
    let answers = [
        register("alice@one.example").await?,
        register("dana@partner.example").await?,
        register("nobody@nowhere.example").await?,
    ];
    let normalized: Vec<(u16, String)> = answers
        .iter()
        .zip(["alice@one.example", "dana@partner.example", "nobody@nowhere.example"])
        .map(|(a, email)| (a.status, a.text().replace(email, "ADDRESS")))
        .collect();
    assert!(
        normalized.windows(2).all(|w| w[0] == w[1]),
        "the same answer for every address: {normalized:#?}"
    );
    app.deliver().await?;
    assert!(
        app.mail_to("alice@one.example", "Your Sealpost account").is_ok(),
        "the owner of an account hears that someone tried"
    );
    assert!(
        app.mail_to("dana@partner.example", "Confirm your email address")
            .is_ok()
    );
    assert!(
        app.mails()?.iter().all(|m| !m.to.contains("nobody@nowhere.example")),
        "no mail to a stranger's address"
    );

    // The message link tells nothing about an address on another id.
    let unknown_id = "00000000000000000000000000000000";
    for (path, email) in [
        (
            format!("/m/{unknown_id}?r=dana%40partner.example"),
            "dana@partner.example",
        ),
        (
            format!("/m/{unknown_id}?r=nobody%40nowhere.example"),
            "nobody@nowhere.example",
        ),
        (format!("/m/{id}?r=nobody%40nowhere.example"), "nobody@nowhere.example"),
        (format!("/m/{id}?r=alice%40one.example"), "alice@one.example"),
    ] {
        let answer = app.client().get(&path).await?;
        assert_eq!(answer.status, 303, "{path}");
        let location = answer.location.unwrap_or_default();
        assert!(location.starts_with("/portal/login?"), "{path} → {location}");
        assert!(location.contains(&email.replace('@', "%40")), "{location}");
    }

    // Forgot password: the same answer; 30 requests for one address send 3 mails.
    let known = app.client().forgot_password("alice@one.example").await?;
    let unknown = app.client().forgot_password("nobody@nowhere.example").await?;
    assert_eq!(
        (known.status, known.text().replace("alice@one.example", "ADDRESS")),
        (
            unknown.status,
            unknown.text().replace("nobody@nowhere.example", "ADDRESS")
        )
    );
    let flood = app.client();
    for _ in 0..30 {
        let answer = flood.forgot_password("tom@two.example").await?;
        assert_eq!(answer.status, 200);
    }
    app.deliver().await?;
    let resets = app
        .mails()?
        .iter()
        .filter(|m| m.to.contains("tom@two.example") && m.subject.contains("Reset your"))
        .count();
    assert_eq!(resets, 3, "link mails per address are limited");
    Ok(())
}

/// `client` forwards `original` with `fields` (to, body, …) and `files`.
async fn forward(
    client: &Client,
    original: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> anyhow::Result<Answer> {
    let mut all = vec![("reply", original), ("kind", "forward")];
    all.extend_from_slice(fields);
    client.compose(&all, files).await
}

on_both_databases!(
    forwards_are_off_by_default_and_an_outsider_forwards_only_the_original_with_a_note,
    outside_forwards
);
/// Issue 7, item 4: an outside recipient could send anything as the organisation.
/// Now Forward is off unless the sender allows it; a forward carries the original
/// and its attachments plus a note (no files, no HTML of the forwarder's); an
/// outsider forwards to a few addresses, a limited number of times an hour, and the
/// mail names them by address.
async fn outside_forwards(app: TestApp) -> anyhow::Result<()> {
    let (alice, _tom, _) = two_organisations(&app).await?;
    let form = alice.get("/portal/compose").await?;
    assert!(
        form.body.contains("name=\"allow_forward\" value=\"on\">"),
        "Forward is unticked on a new message"
    );
    app.add_user("bob@partner.example", false).await?;
    let bob = logged_in_with(&app, "bob@partner.example", PASSWORD).await?;
    // Alice sends Bob a report with a PDF; `ticked` are the options she allows.
    let sent_with = |subject: &'static str, body: &'static str, ticked: &'static [(&'static str, &'static str)]| {
        let alice = &alice;
        async move {
            let mut fields = vec![("to", "bob@partner.example"), ("subject", subject), ("body", body)];
            fields.extend_from_slice(ticked);
            let answer = alice
                .compose(&fields, &[("report.pdf", "application/pdf", b"%PDF-original".to_vec())])
                .await?;
            sent_id(&answer)
        }
    };
    let closed = sent_with("Closed", "No forwarding", &[]).await?;
    let forge = forward(&bob, &closed, &[("to", "eve@evil.example"), ("body", "fwd")], &[]).await?;
    assert_eq!(forge.status, 422, "a forged forward of a closed message is refused");
    app.deliver().await?;
    assert!(
        app.mails()?.iter().all(|m| !m.to.contains("eve@evil.example")),
        "nothing sent"
    );

    let open = sent_with("Quarterly report", "The original text.", &[("allow_forward", "on")]).await?;
    let many = forward(
        &bob,
        &open,
        &[
            (
                "to",
                "a@x.example, b@x.example, c@x.example, d@x.example, e@x.example, f@x.example",
            ),
            ("body", "spam"),
        ],
        &[],
    )
    .await?;
    assert_eq!(many.status, 422);
    many.assert_shows("You can forward this message to at most 5 addresses.");
    let with_file = forward(
        &bob,
        &open,
        &[("to", "carol@x.example"), ("body", "see")],
        &[("invoice.exe", "application/octet-stream", b"MZ-malware".to_vec())],
    )
    .await?;
    assert_eq!(with_file.status, 422);
    with_file.assert_shows("You can add a note, but no files.");

    let forwarded = forward(
        &bob,
        &open,
        &[
            ("to", "carol@x.example"),
            ("subject", "URGENT: pay now"),
            ("body", "FYI, from Bob"),
            ("format", "html"),
        ],
        &[],
    )
    .await?;
    assert_eq!(forwarded.status, 303, "{}", forwarded.text());
    app.deliver().await?;
    let notice = app.mail_to("carol@x.example", "Secure message from")?;
    let parsed = mail_parser::MessageParser::default()
        .parse(&notice.raw)
        .context("parsable")?;
    let from = parsed
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.name())
        .unwrap_or_default()
        .to_owned();
    assert!(from.contains("bob@partner.example via One Bank"), "{from}");
    assert!(
        !notice.subject.contains("Test"),
        "not the name Bob chose: {}",
        notice.subject
    );

    app.add_user("carol@x.example", false).await?;
    let carol = logged_in_with(&app, "carol@x.example", PASSWORD).await?;
    let id = notice.link(&format!("{}/m/", app.base))?;
    let id = id
        .split('?')
        .next()
        .and_then(|path| path.rsplit('/').next())
        .context("id")?
        .to_owned();
    let page = carol.get(&format!("/m/{id}")).await?;
    assert!(
        page.shows("Fwd: Quarterly report")
            && !page.shows("URGENT")
            && page.shows("FYI, from Bob")
            && page.shows("The original text."),
        "the original plus a note: {}",
        page.text()
    );
    assert!(page.shows("report.pdf") && !page.shows("invoice.exe"));
    let (status, bytes) = carol.bytes(&format!("/m/{id}/attachments/1")).await?;
    assert_eq!(
        (status, bytes),
        (200, b"%PDF-original".to_vec()),
        "the original's attachment, intact"
    );

    // An outsider answers at most 20 times an hour.
    let reply_open = sent_with("Chat", "Reply freely", &[("allow_reply", "on")]).await?;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let answer = bob
            .compose(&[("reply", &reply_open), ("kind", "reply"), ("body", "ok")], &[])
            .await?;
        statuses.push(answer.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        19,
        "one forward was sent already: {statuses:?}"
    );
    let last = statuses.last().copied().unwrap_or_default();
    assert_eq!(last, 422);
    Ok(())
}
