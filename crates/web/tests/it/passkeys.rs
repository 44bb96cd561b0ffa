//! Passkeys over HTTP, on both databases, with a software authenticator that
//! signs for real ([`crate::soft_authenticator`]): adding one (and the page's
//! script-allowing CSP, every other page keeping the script-free one), the login's
//! second step with it (a passkey alone makes the second step due), answers that
//! are replayed or come too late refused, wrong answers throttled like wrong codes,
//! CSRF on every form, and another user unable to remove my passkey. A user with
//! passkeys only makes recovery codes, which go with the last passkey. A public URL
//! that is an IP address says in words that passkeys cannot be used.

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::links::Links;
use sealpost_domain::passkeys::PasskeyRecord;

use crate::helpers::{Answer, Client, Db, PASSWORD, TestApp, acme};
use crate::soft_authenticator::{SoftKey, field, options_of};
use crate::two_step::{codes_of, second_step};

/// A Sealpost whose public URL is `http://localhost:PORT` (passkeys need a host
/// name); tests still talk to it at 127.0.0.1.
pub async fn passkey_app(db: Db) -> anyhow::Result<Option<TestApp>> {
    TestApp::spawn_with(db, |config| {
        config.links = Links::new(&config.links.base().replace("127.0.0.1", "localhost"));
    })
    .await
}

async fn with_passkeys<F: std::future::Future<Output = anyhow::Result<()>>>(
    db: Db,
    body: impl FnOnce(TestApp) -> F,
) -> anyhow::Result<()> {
    match passkey_app(db).await? {
        Some(app) => body(app).await,
        None => Ok(()),
    }
}

/// The browser's origin: the public URL.
fn origin(app: &TestApp) -> String {
    app.base.replace("127.0.0.1", "localhost")
}

const SCRIPT_CSP: &str = "script-src 'self'";

/// Adds a passkey named `name` for the logged-in `client`: the registration page
/// and what it answered.
async fn add_passkey(app: &TestApp, client: &Client, key: &mut SoftKey, name: &str) -> anyhow::Result<Answer> {
    let page = client.get("/me/security").await?;
    let csrf = page.csrf().context("a CSRF token on the security page")?;
    let (start, headers) = client
        .post_with_headers(
            "/me/security/passkeys",
            &[("csrf", &csrf), ("name", name)],
            &["content-security-policy"],
        )
        .await?;
    ensure!(start.status == 200, "begin: {} {}", start.status, start.text());
    ensure!(
        headers[0].contains(SCRIPT_CSP),
        "the passkey page may run its script: {}",
        headers[0]
    );
    ensure!(start.body.contains("<script src=\"/static/passkey.js\""));
    let credential = key.register(&options_of(&start.body)?, &origin(app))?;
    let fields = [
        ("csrf", csrf.as_str()),
        ("ceremony", &field(&start.body, "ceremony")?),
        ("name", &field(&start.body, "name")?),
        ("credential", &credential),
    ];
    client.post_raw("/me/security/passkeys/finish", &fields).await
}

/// The second step with `key` for a client past the password: the begin page and
/// the answer to its finish.
async fn sign_in(app: &TestApp, client: &Client, key: &mut SoftKey) -> anyhow::Result<(String, Answer)> {
    let code_page = client.get("/login/two-step").await?;
    code_page.assert_shows("Use a passkey");
    let csrf = code_page.csrf().context("a CSRF token on the code page")?;
    let (start, headers) = client
        .post_with_headers(
            "/login/two-step/passkey",
            &[("csrf", &csrf), ("next", "")],
            &["content-security-policy"],
        )
        .await?;
    ensure!(start.status == 200, "begin: {} {}", start.status, start.text());
    ensure!(headers[0].contains(SCRIPT_CSP), "{}", headers[0]);
    let answer = key.sign_in(&options_of(&start.body)?, &origin(app))?;
    let ceremony = field(&start.body, "ceremony")?;
    let done = finish_sign_in(client, &csrf, &ceremony, &answer).await?;
    Ok((format!("{ceremony}\n{answer}"), done))
}

/// Opens the code page and begins the second step with a passkey, without looking
/// at either: the code page's CSRF token and the begin page.
async fn begin_sign_in(client: &Client) -> anyhow::Result<(String, Answer)> {
    let code_page = client.get("/login/two-step").await?;
    let csrf = code_page.csrf().context("a CSRF token on the code page")?;
    let start = client
        .post_raw("/login/two-step/passkey", &[("csrf", &csrf), ("next", "")])
        .await?;
    Ok((csrf, start))
}

/// Posts the signed `credential` for `ceremony` to the second step's finish, with
/// the code page's token `csrf`: what the finish answered.
async fn finish_sign_in(client: &Client, csrf: &str, ceremony: &str, credential: &str) -> anyhow::Result<Answer> {
    client
        .post_raw(
            "/login/two-step/passkey/finish",
            &[
                ("csrf", csrf),
                ("next", ""),
                ("ceremony", ceremony),
                ("credential", credential),
            ],
        )
        .await
}

async fn password_step(app: &TestApp, email: &str) -> anyhow::Result<Client> {
    let client = app.client();
    let answer = client.login(email, PASSWORD).await?;
    ensure!(
        answer.location.as_deref() == Some("/login/two-step"),
        "a passkey makes the second step due: {:?}",
        answer.location
    );
    Ok(client)
}

/// An audit event for passkeys stored directly (fixtures).
fn event(app: &TestApp, action: &str) -> sealpost_domain::model::AuditEvent {
    sealpost_domain::model::AuditEvent {
        at: app.clock_now(),
        actor: None,
        account_id: None,
        action: action.to_owned(),
        target: "alice@example.com".to_owned(),
        ip: None,
        outcome: "ok".to_owned(),
    }
}

/// The passkeys of `email`, as the service lists them.
async fn passkeys_of(app: &TestApp, email: &str) -> anyhow::Result<Vec<PasskeyRecord>> {
    let actor = app.actor(email).await?;
    app.services.passkeys_of(&actor).await.map_err(|e| anyhow!("{e:?}"))
}

async fn passkey_count(app: &TestApp, email: &str) -> anyhow::Result<usize> {
    Ok(passkeys_of(app, email).await?.len())
}

/// Alice and Bob of [`acme`], Alice with the passkey "Laptop" added: their
/// clients and the software authenticator holding her passkey.
async fn alice_with_a_laptop_passkey(app: &TestApp) -> anyhow::Result<(Client, Client, SoftKey)> {
    let (alice, bob) = acme(app).await?;
    let mut key = SoftKey::new()?;
    let added = add_passkey(app, &alice, &mut key, "Laptop").await?;
    ensure!(added.status == 303, "Laptop added: {} {}", added.status, added.text());
    Ok((alice, bob, key))
}

on_both_databases!(
    a_passkey_is_added_and_logs_in_and_its_answers_work_once,
    added_and_used,
    given_db
);
async fn added_and_used(db: Db) -> anyhow::Result<()> {
    with_passkeys(db, |app| async move {
        let (alice, _bob) = acme(&app).await?;
        let mut key = SoftKey::new()?;
        let (status, headers, body) = alice
            .get_with_headers("/me/security", &["content-security-policy"])
            .await?;
        ensure!(status == 200 && body.contains("Add a passkey"));
        ensure!(
            !headers[0].contains("script-src") && headers[0].contains("default-src 'none'"),
            "the security page runs no script: {}",
            headers[0]
        );
        let added = add_passkey(&app, &alice, &mut key, "  Laptop ").await?;
        ensure!(added.status == 303, "finish: {} {}", added.status, added.text());
        let security = alice.get("/me/security").await?;
        security.assert_shows("The passkey “Laptop” was added.");
        security.assert_shows("Laptop");
        // Each column of the passkeys and sessions tables has a header a screen
        // reader reads out (the actions' one is visually hidden).
        ensure!(!security.body.contains("<th></th>"), "an empty table header");
        for header in ["Actions", "Current"] {
            let cell = format!("<th><span class=\"visually-hidden\">{header}</span></th>");
            ensure!(security.body.contains(&cell), "no header {cell}");
        }
        ensure!(passkey_count(&app, "alice@example.com").await? == 1);
        app.deliver().await?;
        let notice = app.mail_to("alice@example.com", "A passkey was added to your Sealpost login")?;
        ensure!(notice.text.contains("/me/security"), "{}", notice.text);
        ensure!(
            notice.text.contains("A passkey named “Laptop” was added"),
            "{}",
            notice.text
        );
        let alice_id = app.user("alice@example.com").await?.id;
        ensure!(
            app.services
                .two_step_enabled(alice_id)
                .await
                .map_err(|e| anyhow!("{e:?}"))?,
            "a passkey counts as two-step verification on"
        );

        // The script itself, and the pages around it stay script-free.
        let (status, headers, script) = alice.get_with_headers("/static/passkey.js", &["content-type"]).await?;
        ensure!(status == 200 && headers[0].starts_with("text/javascript") && script.contains("navigator.credentials"));
        for path in ["/portal", "/me", "/portal/login"] {
            let (_, headers, _) = alice.get_with_headers(path, &["content-security-policy"]).await?;
            ensure!(!headers[0].contains("script-src"), "{path}: {}", headers[0]);
        }

        // The password, then the passkey (no TOTP: the passkey alone is the second factor).
        let first = password_step(&app, "alice@example.com").await?;
        ensure!(
            first.status("/portal").await? != 200,
            "the password alone opens nothing"
        );
        let code_page = first.get("/login/two-step").await?;
        let (_, headers, _) = first
            .get_with_headers("/login/two-step", &["content-security-policy"])
            .await?;
        ensure!(!headers[0].contains("script-src"), "the code page runs no script");
        ensure!(code_page.status == 200);
        ensure!(
            !code_page.body.contains("name=\"code\""),
            "no code form for a user without TOTP or recovery codes"
        );
        let (used, done) = sign_in(&app, &first, &mut key).await?;
        ensure!(
            done.status == 303,
            "the passkey logs in: {} {}",
            done.status,
            done.text()
        );
        ensure!(first.status("/portal").await? == 200, "now logged in");
        let keys = passkeys_of(&app, "alice@example.com").await?;
        ensure!(keys[0].last_used_at.is_some(), "the use is noted");

        // Replayed: the same signed answer for the same ceremony, at a new login.
        let second = password_step(&app, "alice@example.com").await?;
        let csrf = second.get("/login/two-step").await?.csrf().context("csrf")?;
        let (ceremony, answer) = used.split_once('\n').context("two parts")?;
        let replay = finish_sign_in(&second, &csrf, ceremony, answer).await?;
        ensure!(replay.status == 400, "a replayed answer is refused: {}", replay.status);
        replay.assert_shows("The passkey was not accepted. Try again.");
        ensure!(second.status("/portal").await? != 200, "the replay opened nothing");

        // Too late: the ceremony expired before the (right) answer came.
        let (csrf, start) = begin_sign_in(&second).await?;
        ensure!(
            !start.shows("Use a code instead"),
            "no code to fall back on, so no link to a page without a code form"
        );
        let late = key.sign_in(&options_of(&start.body)?, &origin(&app))?;
        app.clock.advance_seconds(6 * 60);
        let refused = finish_sign_in(&second, &csrf, &field(&start.body, "ceremony")?, &late).await?;
        ensure!(refused.status == 400, "a stale answer is refused: {}", refused.status);
        ensure!(
            second.status("/portal").await? != 200,
            "the stale answer opened nothing"
        );

        // With an authenticator app as well, the passkey page offers the code form.
        crate::two_step::enrol(&app, &alice).await?;
        let third = password_step(&app, "alice@example.com").await?;
        let code_page = third.get("/login/two-step").await?;
        ensure!(code_page.body.contains("name=\"code\""), "now a code form too");
        let csrf = code_page.csrf().context("csrf")?;
        let start = third
            .post_raw("/login/two-step/passkey", &[("csrf", &csrf), ("next", "")])
            .await?;
        start.assert_shows("Use a code instead");

        // A replayed registration adds nothing.
        let mut other = SoftKey::new()?;
        let page = alice.get("/me/security").await?;
        let csrf = page.csrf().context("csrf")?;
        let start = alice
            .post_raw("/me/security/passkeys", &[("csrf", &csrf), ("name", "Phone")])
            .await?;
        let credential = other.register(&options_of(&start.body)?, &origin(&app))?;
        let fields = [
            ("csrf", csrf.as_str()),
            ("ceremony", &field(&start.body, "ceremony")?),
            ("name", "Phone"),
            ("credential", &credential),
        ];
        let first_time = alice.post_raw("/me/security/passkeys/finish", &fields).await?;
        ensure!(first_time.status == 303, "{}", first_time.text());
        let again = alice.post_raw("/me/security/passkeys/finish", &fields).await?;
        ensure!(
            again.status == 400,
            "a replayed registration is refused: {}",
            again.status
        );
        again.assert_shows("This took too long or was done already. Please start again.");
        ensure!(again.body.contains("value=\"Phone\""), "the form keeps the name typed");
        ensure!(passkey_count(&app, "alice@example.com").await? == 2);
        Ok(())
    })
    .await
}

on_both_databases!(
    wrong_passkey_answers_are_throttled_like_wrong_codes,
    throttled,
    given_db
);
async fn throttled(db: Db) -> anyhow::Result<()> {
    with_passkeys(db, |app| async move {
        let (_alice, _bob, mut key) = alice_with_a_laptop_passkey(&app).await?;
        let client = password_step(&app, "alice@example.com").await?;
        let mut stranger = SoftKey::new()?;
        let mut last = None;
        for _ in 0..6 {
            let (csrf, start) = begin_sign_in(&client).await?;
            // A key the service does not know signs: refused.
            let wrong = stranger.sign_in(&options_of(&start.body)?, &origin(&app))?;
            last = Some(finish_sign_in(&client, &csrf, &field(&start.body, "ceremony")?, &wrong).await?);
        }
        let last = last.context("six tries")?;
        ensure!(last.status == 429, "the sixth wrong answer waits: {}", last.status);
        ensure!(last.text().contains("Too many"), "{}", last.text());
        // Even the right passkey waits now.
        let (_, right) = sign_in(&app, &client, &mut key).await?;
        ensure!(right.status == 429, "throttled: {}", right.status);
        ensure!(client.status("/portal").await? != 200);
        let refused: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'session.second_step' AND outcome = 'refused'",
        )
        .fetch_one(app.store.pool())
        .await?;
        ensure!(refused >= 5, "each refusal is audited: {refused}");
        Ok(())
    })
    .await
}

on_both_databases!(
    another_user_cannot_remove_my_passkey_and_every_form_needs_its_token,
    isolation,
    given_db
);
async fn isolation(db: Db) -> anyhow::Result<()> {
    with_passkeys(db, |app| async move {
        let (alice, bob, _key) = alice_with_a_laptop_passkey(&app).await?;
        let id = passkeys_of(&app, "alice@example.com").await?[0].id;

        // Bob, with his own valid token, on Alice's passkey: not found, still there.
        let path = format!("/me/security/passkeys/{id}/remove");
        let bobs = bob.submit("/me/security", &path, &[]).await?;
        ensure!(
            bobs.status == 404,
            "another user's passkey is not found: {}",
            bobs.status
        );
        ensure!(passkey_count(&app, "alice@example.com").await? == 1, "still there");

        // No token, or a wrong one: refused, nothing changes.
        for csrf in ["", "forged"] {
            for (form, fields) in [
                (path.as_str(), vec![("csrf", csrf)]),
                ("/me/security/passkeys", vec![("csrf", csrf), ("name", "Evil")]),
                ("/me/security/passkeys/finish", vec![("csrf", csrf), ("name", "Evil")]),
            ] {
                let answer = alice.post_raw(form, &fields).await?;
                ensure!(answer.status == 403, "{form} without its token: {}", answer.status);
            }
        }
        let client = password_step(&app, "alice@example.com").await?;
        let answer = client
            .post_raw("/login/two-step/passkey", &[("csrf", "forged"), ("next", "")])
            .await?;
        ensure!(answer.status == 403, "the login's passkey form needs its token too");
        ensure!(passkey_count(&app, "alice@example.com").await? == 1, "still there");

        // A name too long is refused, keeping what was typed.
        let long = "L".repeat(61);
        let refused = alice
            .submit("/me/security", "/me/security/passkeys", &[("name", &long)])
            .await?;
        ensure!(refused.status == 422, "{}", refused.status);
        refused.assert_shows("Give the passkey a name of at most 60 characters.");
        ensure!(refused.body.contains(&long));

        // At most 20 passkeys each.
        let alice_id = app.user("alice@example.com").await?.id;
        let fixture = sealpost_domain::messages::NewOutboxItem {
            kind: sealpost_domain::messages::MailKind::SecurityNotice,
            to: sealpost_domain::types::EmailAddress::parse("fixtures@example.com")?,
            mail: sealpost_domain::messages::RenderedMail {
                message_id: "fixture@sealpost.test".to_owned(),
                raw: b"Subject: a fixture's passkey\r\n\r\n".to_vec(),
            },
            message: None,
            bounce_to: None,
            created_at: app.clock_now(),
        };
        for n in 0..19 {
            sealpost_domain::ports::PasskeyStore::add_passkey(
                app.store.as_ref(),
                alice_id,
                &format!("Key {n}"),
                "{}",
                app.clock_now(),
                &fixture,
                event(&app, "user.passkey_added"),
            )
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
        }
        let full = alice
            .submit("/me/security", "/me/security/passkeys", &[("name", "One more")])
            .await?;
        ensure!(full.status == 409, "the 21st is refused: {}", full.status);
        full.assert_shows("You have 20 passkeys, the most one user may have.");
        ensure!(passkey_count(&app, "alice@example.com").await? == 20);
        for key in passkeys_of(&app, "alice@example.com").await? {
            if key.name.starts_with("Key ") {
                sealpost_domain::ports::PasskeyStore::remove_passkey(
                    app.store.as_ref(),
                    alice_id,
                    key.id,
                    event(&app, "test.cleanup"),
                )
                .await
                .map_err(|e| anyhow!("{e:?}"))?;
            }
        }

        // Alice removes her own: gone, audited.
        let removed = alice.submit("/me/security", &path, &[]).await?;
        ensure!(removed.status == 303, "{}", removed.status);
        alice
            .get("/me/security")
            .await?
            .assert_shows("The passkey “Laptop” was removed.");
        ensure!(passkey_count(&app, "alice@example.com").await? == 0);
        let audited: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'user.passkey_removed'")
                .fetch_one(app.store.pool())
                .await?;
        ensure!(audited == 1, "the removal is audited");
        // Without a passkey (and without TOTP) the password alone logs in again.
        let answer = app.client().login("alice@example.com", PASSWORD).await?;
        ensure!(
            answer.location.as_deref() != Some("/login/two-step"),
            "{:?}",
            answer.location
        );
        Ok(())
    })
    .await
}

on_both_databases!(
    a_passkey_is_renamed_by_its_owner_only_and_a_refused_name_keeps_what_was_typed,
    renamed,
    given_db
);
async fn renamed(db: Db) -> anyhow::Result<()> {
    with_passkeys(db, |app| async move {
        let (alice, bob, mut key) = alice_with_a_laptop_passkey(&app).await?;
        let names = || async {
            let keys = passkeys_of(&app, "alice@example.com").await?;
            anyhow::Ok(keys.into_iter().map(|p| (p.id, p.name)).collect::<Vec<_>>())
        };
        let id = names().await?[0].0;
        let path = format!("/me/security/passkeys/{id}/rename");
        let page = alice.get("/me/security").await?;
        ensure!(
            page.body.contains("aria-label=\"Rename the passkey Laptop\""),
            "each passkey has its rename button"
        );

        // Bob, with his own valid token, on Alice's passkey: not found, not renamed.
        let bobs = bob.submit("/me/security", &path, &[("name", "Taken over")]).await?;
        ensure!(
            bobs.status == 404,
            "another user's passkey is not found: {}",
            bobs.status
        );
        // No token, or a wrong one: refused.
        for csrf in ["", "forged"] {
            let answer = alice.post_raw(&path, &[("csrf", csrf), ("name", "Evil")]).await?;
            ensure!(answer.status == 403, "rename without its token: {}", answer.status);
        }
        // Nor an anonymous client.
        let anonymous = app
            .client()
            .post_raw(&path, &[("csrf", "guessed"), ("name", "Anonymous")])
            .await?;
        ensure!(
            matches!(anonymous.status, 303 | 403),
            "anonymous rename: {}",
            anonymous.status
        );
        ensure!(names().await? == [(id, "Laptop".to_owned())], "nothing was renamed");

        // A name too long is refused in that passkey's row, keeping what was typed.
        let long = "W".repeat(61);
        let refused = alice.submit("/me/security", &path, &[("name", &long)]).await?;
        ensure!(refused.status == 422, "{}", refused.status);
        refused.assert_shows("Give the passkey a name of at most 60 characters.");
        ensure!(
            refused.body.contains(&format!("value=\"{long}\"")),
            "the typed name is kept"
        );
        ensure!(names().await? == [(id, "Laptop".to_owned())]);

        // Alice renames it: listed under the new name, audited with both names.
        let done = alice
            .submit("/me/security", &path, &[("name", "  Work laptop ")])
            .await?;
        ensure!(done.status == 303, "{} {}", done.status, done.text());
        alice
            .get("/me/security")
            .await?
            .assert_shows("The passkey is now called “Work laptop”.");
        ensure!(names().await? == [(id, "Work laptop".to_owned())]);
        let targets: Vec<String> =
            sqlx::query_scalar("SELECT target FROM audit_events WHERE action = 'user.passkey_renamed'")
                .fetch_all(app.store.pool())
                .await?;
        ensure!(
            targets == ["alice@example.com (Laptop → Work laptop)"],
            "one audit event, with both names: {targets:?}"
        );

        // Markup in a name is shown as text.
        let marked = alice.submit("/me/security", &path, &[("name", "<b>Key</b>")]).await?;
        ensure!(marked.status == 303, "{}", marked.status);
        let page = alice.get("/me/security").await?;
        ensure!(
            page.shows("<b>Key</b>") && !page.body.contains("<b>Key</b>"),
            "the name is shown as typed, escaped in the HTML"
        );

        // Renamed, it still logs in.
        let client = password_step(&app, "alice@example.com").await?;
        let (_, signed_in) = sign_in(&app, &client, &mut key).await?;
        ensure!(signed_in.status == 303, "{}", signed_in.status);
        Ok(())
    })
    .await
}

/// The recovery codes `email` has not used yet.
async fn codes_left(app: &TestApp, email: &str) -> anyhow::Result<i64> {
    let actor = app.actor(email).await?;
    let status = app
        .services
        .two_step_status(&actor)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(status.recovery_codes_left)
}

on_both_databases!(
    a_passkey_alone_gets_recovery_codes_which_go_with_the_last_passkey,
    passkey_recovery_codes,
    given_db
);
async fn passkey_recovery_codes(db: Db) -> anyhow::Result<()> {
    with_passkeys(db, |app| async move {
        let (alice, bob, _key) = alice_with_a_laptop_passkey(&app).await?;
        let page = alice.get("/me/security").await?;
        page.assert_shows("Two-step verification is on: you confirm your login with a passkey.");
        page.assert_shows("Set up an authenticator app");
        page.assert_shows("If you lose your passkeys, a recovery code lets you log in once without them.");
        page.assert_shows("Unused recovery codes: 0");
        page.assert_shows("Make new recovery codes");

        // Bob has no second factor: no form, and posting it anyway makes nothing.
        let bobs = bob.get("/me/security").await?;
        ensure!(!bobs.shows("Make new recovery codes"), "{}", bobs.text());
        let refused = bob
            .submit("/me/security", "/me/security/recovery-codes", &[("password", PASSWORD)])
            .await?;
        ensure!(
            refused.status == 404,
            "no codes without a second factor: {}",
            refused.status
        );
        ensure!(codes_left(&app, "bob@example.com").await? == 0);

        let wrong = alice
            .submit(
                "/me/security",
                "/me/security/recovery-codes",
                &[("password", "Not-The-Password-1")],
            )
            .await?;
        ensure!(wrong.status == 401, "the password is asked again: {}", wrong.status);
        ensure!(codes_left(&app, "alice@example.com").await? == 0);
        let made = alice
            .submit("/me/security", "/me/security/recovery-codes", &[("password", PASSWORD)])
            .await?;
        ensure!(made.status == 200, "codes: {} {}", made.status, made.text());
        made.assert_shows("Each one lets you log in once without your app or passkey.");
        let codes = codes_of(&made.body);
        ensure!(codes.len() == 10, "ten recovery codes: {codes:?}");

        // At the next login a recovery code stands in for the passkey, once.
        let client = password_step(&app, "alice@example.com").await?;
        let code_page = client.get("/login/two-step").await?;
        code_page.assert_shows("Use a passkey");
        code_page.assert_shows("No passkey at hand? Enter one of your recovery codes.");
        ensure!(
            !code_page.shows("authenticator app"),
            "she has no app: {}",
            code_page.text()
        );
        let used = second_step(&client, &codes[0]).await?;
        ensure!(
            used.status == 303,
            "a recovery code logs in: {} {}",
            used.status,
            used.text()
        );
        ensure!(client.status("/portal").await? == 200);
        client
            .get("/me/security")
            .await?
            .assert_shows("Unused recovery codes: 9");
        app.deliver().await?;
        let notice = app.mail_to("alice@example.com", "A recovery code was used to log in to Sealpost")?;
        ensure!(notice.text.contains("/me/security"), "{}", notice.text);
        let other = password_step(&app, "alice@example.com").await?;
        let reused = second_step(&other, &codes[0]).await?;
        ensure!(reused.status == 401, "a used code is refused: {}", reused.status);
        reused.assert_shows("That recovery code is not right, or it was used already.");
        ensure!(!reused.shows("Check your app"), "she has no app: {}", reused.text());

        // Her last passkey removed, two-step is off and the codes are gone with it.
        let id = passkeys_of(&app, "alice@example.com").await?[0].id;
        let removed = client
            .submit("/me/security", &format!("/me/security/passkeys/{id}/remove"), &[])
            .await?;
        ensure!(removed.status == 303, "removed: {}", removed.status);
        let page = client.get("/me/security").await?;
        page.assert_shows("Two-step verification is off.");
        ensure!(!page.shows("Make new recovery codes"), "{}", page.text());
        ensure!(codes_left(&app, "alice@example.com").await? == 0);
        let again = client
            .submit("/me/security", "/me/security/recovery-codes", &[("password", PASSWORD)])
            .await?;
        ensure!(again.status == 404, "no codes after the last passkey: {}", again.status);
        ensure!(codes_left(&app, "alice@example.com").await? == 0);
        Ok(())
    })
    .await
}

on_both_databases!(an_ip_address_as_public_url_says_passkeys_cannot_be_used, unavailable);
async fn unavailable(app: TestApp) -> anyhow::Result<()> {
    let (alice, _bob) = acme(&app).await?;
    let page = alice.get("/me/security").await?;
    page.assert_shows("Passkeys cannot be used here");
    ensure!(!page.body.contains("Add a passkey"), "no form that cannot work");
    let refused = alice
        .submit("/me/security", "/me/security/passkeys", &[("name", "Laptop")])
        .await?;
    ensure!(refused.status == 409, "{}", refused.status);
    refused.assert_shows("an IP address");
    Ok(())
}
