//! The self page `/me`: a signed-in user changes their own names, language, time
//! zone and password; nobody else's, and nothing without a session or a token.

use anyhow::ensure;

use crate::helpers::{Answer, PASSWORD, TestApp, acme, hidden_field, logged_in, login_coming_back};

/// 2026-12-03 21:49:30 UTC: 22:49 in Berlin.
const AT: i64 = 1_796_334_570_000;

async fn at_fixed_time(app: &TestApp) {
    let now = app.clock_now();
    app.clock
        .advance_seconds(sealpost_domain::types::Timestamp(AT).seconds_since(now));
}

fn profile<'a>(first: &'a str, last: &'a str, locale: &'a str, zone: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("first_name", first),
        ("last_name", last),
        ("locale", locale),
        ("time_zone", zone),
    ]
}

/// `fields` and a password change: the present password, and the new one twice.
fn with_new_password<'a>(
    mut fields: Vec<(&'static str, &'a str)>,
    current: &'a str,
    new: &'a str,
) -> Vec<(&'static str, &'a str)> {
    fields.extend([
        ("current_password", current),
        ("new_password", new),
        ("confirm_password", new),
    ]);
    fields
}

on_both_databases!(names_language_and_time_zone_are_saved_and_shown, saved_and_shown);
async fn saved_and_shown(app: TestApp) -> anyhow::Result<()> {
    at_fixed_time(&app).await;
    app.add_user("bob@example.com", false).await?;
    let bob = logged_in(&app, "bob@example.com").await?;
    let page = bob.get("/me").await?;
    ensure!(page.status == 200, "{}", page.text());
    page.assert_shows("bob@example.com");
    page.assert_shows("Security");
    ensure!(page.body.contains("href=\"/me/security\""), "no link to /me/security");

    let saved = bob
        .submit("/me", "/me", &profile("Robert", "Builder", "de", "Europe/Berlin"))
        .await?;
    ensure!(
        saved.status == 303 && saved.location.as_deref() == Some("/me"),
        "{} {}",
        saved.status,
        saved.text()
    );
    let page = bob.get("/me").await?;
    page.assert_shows("Ihre Einstellungen wurden gespeichert.");
    ensure!(page.body.contains("value=\"Robert\"") && page.body.contains("value=\"Builder\""));
    ensure!(
        page.body.contains("<option value=\"Europe/Berlin\" selected>"),
        "zone not chosen"
    );
    page.assert_shows("3. Dezember 2026 um 22:49");
    let user = app.user("bob@example.com").await?;
    ensure!(user.first_name == "Robert" && user.last_name == "Builder");
    ensure!(user.locale == Some(sealpost_domain::types::Locale::De));
    ensure!(user.time_zone.as_ref().map(|z| z.as_str()) == Some("Europe/Berlin"));
    // The header links the page.
    ensure!(page.body.contains("<a class=\"who\" href=\"/me\""), "no header link");
    Ok(())
}

on_both_databases!(
    a_wrong_current_password_is_refused_and_keeps_the_typed_names,
    wrong_current
);
async fn wrong_current(app: TestApp) -> anyhow::Result<()> {
    app.add_user("bob@example.com", false).await?;
    let bob = logged_in(&app, "bob@example.com").await?;
    bob.submit("/me", "/me", &profile("Test", "bob", "fr", "")).await?;
    let mut fields = with_new_password(
        profile("Roberto", "Constructeur", "fr", "Europe/Paris"),
        "Not-The-Password-1",
        "A-Brand-New-Secret-7",
    );
    let refused = bob.submit("/me", "/me", &fields).await?;
    ensure!(refused.status == 422, "{} {}", refused.status, refused.text());
    refused.assert_shows("Le mot de passe actuel est incorrect.");
    ensure!(refused.body.contains("value=\"Roberto\"") && refused.body.contains("value=\"Constructeur\""));
    ensure!(refused.body.contains("<option value=\"Europe/Paris\" selected>"));
    ensure!(!refused.body.contains("Not-The-Password-1") && !refused.body.contains("A-Brand-New-Secret-7"));
    // Nothing was saved: neither the names nor the password.
    let user = app.user("bob@example.com").await?;
    ensure!(user.first_name == "Test" && user.time_zone.is_none(), "{user:?}");
    ensure!(app.login_status("bob@example.com", PASSWORD).await? == 303);
    ensure!(app.login_status("bob@example.com", "A-Brand-New-Secret-7").await? != 303);
    app.deliver().await?;
    let told = || -> anyhow::Result<Vec<crate::helpers::Mail>> {
        let mails = app.mails()?.into_iter();
        Ok(mails.filter(|m| m.subject.contains("mot de passe sur")).collect())
    };
    ensure!(told()?.is_empty(), "no notice for a refused change");

    // The right one changes it, and the names with it.
    fields[4].1 = PASSWORD;
    let saved = bob.submit("/me", "/me", &fields).await?;
    ensure!(saved.status == 303, "{}", saved.text());
    ensure!(app.login_status("bob@example.com", "A-Brand-New-Secret-7").await? == 303);
    ensure!(app.user("bob@example.com").await?.first_name == "Roberto");
    // The session the change handed out keeps working.
    bob.get("/me")
        .await?
        .assert_shows("Vos paramètres et votre nouveau mot de passe ont été enregistrés.");
    // Bob is told by mail, in his language, with the way to a new password.
    app.deliver().await?;
    let notices = told()?;
    ensure!(notices.len() == 1, "one notice: {notices:?}");
    let notice = &notices[0];
    ensure!(
        notice.subject == "Votre mot de passe sur Sealpost a été modifié",
        "{}",
        notice.subject
    );
    ensure!(
        notice.text.contains("Le mot de passe de bob@example.com"),
        "{}",
        notice.text
    );
    ensure!(notice.text.contains("/password/forgot"), "{}", notice.text);
    Ok(())
}

on_both_databases!(
    the_password_notice_speaks_the_language_and_time_zone_chosen_with_the_new_password,
    chosen_with_password
);
async fn chosen_with_password(app: TestApp) -> anyhow::Result<()> {
    at_fixed_time(&app).await;
    app.add_user("bob@example.com", false).await?;
    let bob = logged_in(&app, "bob@example.com").await?;
    // Bob, on the English page, chooses German, Berlin and a new password in one go.
    let fields = with_new_password(
        profile("Robert", "Builder", "de", "Europe/Berlin"),
        PASSWORD,
        "A-Brand-New-Secret-7",
    );
    let saved = bob.submit("/me", "/me", &fields).await?;
    ensure!(saved.status == 303, "{}", saved.text());
    app.deliver().await?;
    let notice = app.mail_to("bob@example.com", "Ihr Kennwort bei Sealpost wurde geändert")?;
    ensure!(
        notice.text.contains("am 3. Dezember 2026 um 22:49 CET geändert"),
        "the time Bob chose, in his new language: {}",
        notice.text
    );
    ensure!(
        app.mails()?.iter().all(|m| !m.subject.contains("password was changed")),
        "no notice in the language Bob left"
    );
    Ok(())
}

on_both_databases!(the_password_rule_says_what_it_compares_against, rule_words);
async fn rule_words(app: TestApp) -> anyhow::Result<()> {
    app.add_user("robert@example.com", false).await?;
    let bob = logged_in(&app, "robert@example.com").await?;
    let fields = with_new_password(profile("Test", "robert", "", ""), PASSWORD, "robert-is-great-2026");
    let refused = bob.submit("/me", "/me", &fields).await?;
    ensure!(refused.status == 422, "{}", refused.text());
    refused.assert_shows(
        "The password must not contain your email address nor the part of it before the @ (your username).",
    );
    refused.assert_shows("not your email address nor the part of it before the @");
    Ok(())
}

on_both_databases!(an_unknown_time_zone_or_empty_name_is_refused_in_words, refusals);
async fn refusals(app: TestApp) -> anyhow::Result<()> {
    app.add_user("bob@example.com", false).await?;
    let bob = logged_in(&app, "bob@example.com").await?;
    let refused = bob
        .submit("/me", "/me", &profile("Bob", "B", "de", "Mars/Olympus"))
        .await?;
    ensure!(refused.status == 422);
    // Nothing was saved, the language neither: the refusal speaks the page's language.
    refused.assert_shows("This time zone is not known. Choose one from the list.");
    ensure!(refused.body.contains("value=\"Bob\""));
    let refused = bob.submit("/me", "/me", &profile("", "B", "en", "UTC")).await?;
    ensure!(refused.status == 422);
    ensure!(app.user("bob@example.com").await?.first_name == "Test");
    Ok(())
}

on_both_databases!(no_token_no_session_and_no_one_else_changes_anything, hostile);
async fn hostile(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let fields = profile("Mallory", "Evil", "fr", "Asia/Tokyo");

    // A forged form (no or a wrong token) is refused.
    let forged: Answer = bob.post_raw("/me", &fields).await?;
    ensure!(forged.status == 403, "{}", forged.status);
    let mut wrong = fields.clone();
    wrong.push(("csrf", "not-the-token"));
    ensure!(bob.post_raw("/me", &wrong).await?.status == 403);

    // Anonymous: sent to log in, with a token of its own too.
    let anonymous = app.client();
    let answer = anonymous.post_raw("/me", &fields).await?;
    ensure!(matches!(answer.status, 303 | 403), "{}", answer.status);
    let answer = anonymous.submit("/portal/login", "/me", &fields).await?;
    ensure!(
        answer.status == 303 && answer.location.as_deref() == Some("/portal/login"),
        "{} {:?}",
        answer.status,
        answer.location
    );

    // An administrator (Alice administers an account) saves her own page: only her
    // own row changes; no URL names another user.
    let saved = alice.submit("/me", "/me", &fields).await?;
    ensure!(saved.status == 303);
    for path in ["/me/2", "/me/bob@example.com"] {
        ensure!(alice.get(path).await?.status == 404, "{path}");
    }
    let own = alice.get("/me?user=bob@example.com").await?;
    ensure!(own.body.contains("value=\"Mallory\"") && !own.body.contains("value=\"bob\""));
    let bob_now = app.user("bob@example.com").await?;
    ensure!(
        bob_now.first_name == "Test" && bob_now.locale.is_none() && bob_now.time_zone.is_none(),
        "{bob_now:?}"
    );
    ensure!(bob.get("/me").await?.body.contains("value=\"Test\""));
    let alice_now = app.user("alice@example.com").await?;
    ensure!(alice_now.first_name == "Mallory", "{alice_now:?}");
    Ok(())
}

on_both_databases!(
    a_page_opened_from_a_mail_before_logging_in_is_where_the_login_leads,
    back_after_login
);
async fn back_after_login(app: TestApp) -> anyhow::Result<()> {
    app.add_user("bob@example.com", false).await?;
    let bob = app.client();
    // The link of a security notice, opened in a browser not logged in.
    let sent = bob.get("/me/security").await?;
    let login = login_coming_back("/portal/login", "/me/security")?;
    ensure!(
        sent.status == 303 && sent.location.as_deref() == Some(login.as_str()),
        "{} {:?}",
        sent.status,
        sent.location
    );
    let form = bob.get(&login).await?;
    ensure!(
        hidden_field(&form.body, "next").as_deref() == Some("/me/security"),
        "the login form carries where it leads"
    );
    let fields = [
        ("email", "bob@example.com"),
        ("password", PASSWORD),
        ("next", "/me/security"),
    ];
    let logged_in = bob.submit(&login, "/portal/login", &fields).await?;
    ensure!(
        logged_in.status == 303 && logged_in.location.as_deref() == Some("/me/security"),
        "{} {:?}",
        logged_in.status,
        logged_in.location
    );
    bob.get("/me/security").await?.assert_shows("Security");

    // A form's target is no page to come back to, nor another site.
    let anonymous = app.client();
    let posted = anonymous.submit("/portal/login", "/me", &[("first_name", "X")]).await?;
    ensure!(
        posted.location.as_deref() == Some("/portal/login"),
        "{:?}",
        posted.location
    );
    let elsewhere = [
        ("email", "bob@example.com"),
        ("password", PASSWORD),
        ("next", "//evil.example/me"),
    ];
    let away = anonymous.submit("/portal/login", "/portal/login", &elsewhere).await?;
    ensure!(
        away.location.as_deref() == Some("/portal"),
        "another site is never where the login leads: {:?}",
        away.location
    );
    Ok(())
}
