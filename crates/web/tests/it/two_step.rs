//! Two-step verification over HTTP, on both databases: turning TOTP on from the
//! security page, the login's second step (codes work once, recovery codes once,
//! wrong ones throttled), the half-logged-in cookie opening nothing, an account's
//! requirement sending a member to enrolment first (and another account's
//! administrator unable to change it), and "log out everywhere".

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::two_step::TwoStepRequirement;
use sealpost_domain::types::AccountNumber;

use crate::helpers::{Answer, Client, PASSWORD, TestApp, acme, logged_in};

/// The secret the enrolment page writes out (the QR code's text alternative).
pub fn secret_of(page: &str) -> anyhow::Result<String> {
    let marker = "id=\"totp-secret\">";
    let start = page.find(marker).context("the page shows no secret")? + marker.len();
    let end = page[start..].find('<').context("unterminated secret")?;
    Ok(page[start..start + end].to_owned())
}

/// The code an authenticator app shows for `secret` at the app's (fake) time.
pub fn code(app: &TestApp, secret: &str) -> anyhow::Result<String> {
    let secret = totp_rs::Secret::try_from_base32(secret).map_err(|e| anyhow!("{e:?}"))?;
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(totp.generate(u64::try_from(app.clock_now().0 / 1000)?).to_string())
}

/// The recovery codes on a codes page.
pub fn codes_of(page: &str) -> Vec<String> {
    page.split("<li><code>")
        .skip(1)
        .filter_map(|rest| rest.split('<').next().map(str::to_owned))
        .collect()
}

/// Turns TOTP on for the logged-in `client`: its secret and recovery codes.
pub async fn enrol(app: &TestApp, client: &Client) -> anyhow::Result<(String, Vec<String>)> {
    let started = client.submit("/me/security", "/me/security/totp/start", &[]).await?;
    ensure!(started.status == 303, "start: {}", started.status);
    let page = client.get("/me/security/totp").await?;
    ensure!(page.status == 200, "enrolment page: {}", page.status);
    let secret = secret_of(&page.body)?;
    let code = code(app, &secret)?;
    let done = client
        .submit("/me/security/totp", "/me/security/totp", &[("code", &code)])
        .await?;
    ensure!(done.status == 200, "confirm: {} {}", done.status, done.text());
    let codes = codes_of(&done.body);
    ensure!(codes.len() == 10, "ten recovery codes: {codes:?}");
    Ok((secret, codes))
}

/// A fresh client past the password: where the login sent it.
async fn password_step(app: &TestApp, email: &str) -> anyhow::Result<(Client, Answer)> {
    let client = app.client();
    let answer = client.login(email, PASSWORD).await?;
    ensure!(answer.status == 303, "login: {} {}", answer.status, answer.text());
    Ok((client, answer))
}

pub async fn second_step(client: &Client, code: &str) -> anyhow::Result<Answer> {
    client
        .submit("/login/two-step", "/login/two-step", &[("code", code)])
        .await
}

/// Whether `client` has a full session (the portal answers instead of sending it
/// to the login).
async fn signed_in(client: &Client) -> anyhow::Result<bool> {
    Ok(client.status("/portal").await? == 200)
}

on_both_databases!(a_code_is_needed_after_the_password_and_works_once, code_works_once);
async fn code_works_once(app: TestApp) -> anyhow::Result<()> {
    let (alice, _bob) = acme(&app).await?;
    let (secret, _) = enrol(&app, &alice).await?;
    ensure!(
        app.services
            .two_step_enabled(app.user("alice@example.com").await?.id)
            .await
            .map_err(|e| anyhow!("{e:?}"))?
    );
    let security = alice.get("/me/security").await?;
    security.assert_shows("Two-step verification is on.");

    // The code that turned it on does not log in again (same time step).
    let (first, answer) = password_step(&app, "alice@example.com").await?;
    ensure!(
        answer.location.as_deref() == Some("/login/two-step"),
        "{:?}",
        answer.location
    );
    ensure!(!signed_in(&first).await?, "the password alone opens nothing");
    let replay = second_step(&first, &code(&app, &secret)?).await?;
    ensure!(replay.status == 401, "a used code is refused: {}", replay.status);
    replay.assert_shows("That code is not right.");

    app.clock.advance_seconds(30);
    let fresh = code(&app, &secret)?;
    let wrong = second_step(&first, "000000").await?;
    ensure!(
        wrong.status == 401 && !signed_in(&first).await?,
        "a wrong code is refused"
    );
    let right = second_step(&first, &fresh).await?;
    ensure!(
        right.status == 303,
        "the right code logs in: {} {}",
        right.status,
        right.text()
    );
    ensure!(
        right.location.as_deref() == Some("/admin/accounts"),
        "{:?}",
        right.location
    );
    ensure!(signed_in(&first).await?, "now logged in");

    // The same code on another client in the same step: refused.
    let (second, _) = password_step(&app, "alice@example.com").await?;
    let again = second_step(&second, &fresh).await?;
    ensure!(again.status == 401 && !signed_in(&second).await?, "a code works once");
    Ok(())
}

on_both_databases!(a_recovery_code_logs_in_once, recovery_once);
async fn recovery_once(app: TestApp) -> anyhow::Result<()> {
    let (_alice, bob) = acme(&app).await?;
    let (_, codes) = enrol(&app, &bob).await?;
    let (client, _) = password_step(&app, "bob@example.com").await?;
    let used = second_step(&client, &codes[3].to_uppercase()).await?;
    ensure!(used.status == 303, "a recovery code logs in: {}", used.status);
    ensure!(signed_in(&client).await?);
    let page = client.get("/me/security").await?;
    page.assert_shows("Unused recovery codes: 9");

    let (other, _) = password_step(&app, "bob@example.com").await?;
    let reused = second_step(&other, &codes[3]).await?;
    ensure!(
        reused.status == 401,
        "the same recovery code is refused: {}",
        reused.status
    );
    ensure!(!signed_in(&other).await?);
    Ok(())
}

on_both_databases!(wrong_codes_are_throttled_and_another_users_code_fails, throttled);
async fn throttled(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let (alice_secret, _) = enrol(&app, &alice).await?;
    app.clock.advance_seconds(30);
    let (bob_secret, _) = enrol(&app, &bob).await?;
    ensure!(alice_secret != bob_secret);
    app.clock.advance_seconds(30);

    let (client, _) = password_step(&app, "bob@example.com").await?;
    let alices = second_step(&client, &code(&app, &alice_secret)?).await?;
    ensure!(alices.status == 401, "a code of Alice's secret does not log Bob in");
    for _ in 0..4 {
        let wrong = second_step(&client, "123456").await?;
        ensure!(wrong.status == 401, "wrong code: {}", wrong.status);
    }
    // Five failures: now even the right code waits, and is not checked.
    let waiting = second_step(&client, &code(&app, &bob_secret)?).await?;
    ensure!(
        waiting.status == 429,
        "throttled: {} {}",
        waiting.status,
        waiting.text()
    );
    waiting.assert_shows("Too many failed attempts");
    ensure!(!signed_in(&client).await?, "nothing opened while throttled");
    // The wait counts on the login form too: the password waits as well.
    let login = client.login("bob@example.com", PASSWORD).await?;
    ensure!(login.status == 429, "the password form waits too: {}", login.status);

    app.clock.advance_seconds(60);
    let (later, _) = password_step(&app, "bob@example.com").await?;
    let right = second_step(&later, &code(&app, &bob_secret)?).await?;
    ensure!(
        right.status == 303,
        "after the wait the right code works: {}",
        right.status
    );
    Ok(())
}

on_both_databases!(the_half_logged_in_cookie_opens_no_page, half_logged_in);
async fn half_logged_in(app: TestApp) -> anyhow::Result<()> {
    let (alice, _bob) = acme(&app).await?;
    enrol(&app, &alice).await?;
    let (client, _) = password_step(&app, "alice@example.com").await?;
    for path in [
        "/portal",
        "/portal/inbox",
        "/portal/compose",
        "/me/security",
        "/admin/accounts",
        "/password",
    ] {
        let answer = client.get(path).await?;
        ensure!(
            answer.status == 303
                && answer
                    .location
                    .as_deref()
                    .and_then(|l| l.split('?').next())
                    .is_some_and(|l| l.ends_with("/login")),
            "{path} sends the half-logged-in visitor to the login: {} {:?}",
            answer.status,
            answer.location
        );
    }
    // A form posted with the pre-session token does nothing either.
    let csrf = client.get("/login/two-step").await?.csrf().context("token")?;
    let everywhere = client
        .post_raw("/me/security/logout-everywhere", &[("csrf", &csrf)])
        .await?;
    ensure!(everywhere.status == 303, "{}", everywhere.status);
    ensure!(signed_in(&alice).await?, "Alice's session still lives");
    Ok(())
}

on_both_databases!(
    an_account_requiring_two_step_sends_a_member_to_enrolment_first,
    required
);
async fn required(app: TestApp) -> anyhow::Result<()> {
    let (alice, _bob) = acme(&app).await?;
    let account = app.first_account().await?;
    let number = account.number.to_string();
    let features = format!("/admin/accounts/{number}/features");
    let saved = alice
        .submit(
            &features,
            &format!("/admin/accounts/{number}/two-step"),
            &[("required", "members")],
        )
        .await?;
    ensure!(saved.status == 303, "saved: {}", saved.status);
    let page = alice.get(&features).await?;
    ensure!(page.body.contains("checked value=\"members\""), "the choice shows");

    app.add_user("carol@example.com", false).await?;
    let scope = app.scope("alice@example.com", account.number).await?;
    let groups = app.services.groups(&scope).await.map_err(|e| anyhow!("{e:?}"))?;
    let group = groups.first().context("a group")?;
    app.services
        .add_member(&scope, group.id, "carol@example.com")
        .await
        .map_err(|e| anyhow!("{e:?}"))?;

    let (carol, answer) = password_step(&app, "carol@example.com").await?;
    ensure!(
        answer.location.as_deref() == Some("/login/two-step/enrol"),
        "Carol is sent to enrolment: {:?}",
        answer.location
    );
    ensure!(!signed_in(&carol).await?, "no page before enrolment");
    let enrolment = carol.get("/login/two-step/enrol").await?;
    ensure!(enrolment.status == 200, "{}", enrolment.status);
    let secret = secret_of(&enrolment.body)?;
    let wrong = carol
        .submit("/login/two-step/enrol", "/login/two-step/enrol", &[("code", "000000")])
        .await?;
    ensure!(
        wrong.status == 401 && !signed_in(&carol).await?,
        "a wrong first code is refused"
    );
    ensure!(secret_of(&wrong.body)? == secret, "the same secret is shown again");
    let done = carol
        .submit(
            "/login/two-step/enrol",
            "/login/two-step/enrol",
            &[("code", &code(&app, &secret)?)],
        )
        .await?;
    ensure!(done.status == 200, "enrolled: {} {}", done.status, done.text());
    ensure!(codes_of(&done.body).len() == 10, "the recovery codes are shown");
    ensure!(signed_in(&carol).await?, "and Carol is logged in");
    // Required: she cannot turn it off.
    let security = carol.get("/me/security").await?;
    security.assert_shows("so it cannot be turned off");
    let off = carol
        .submit("/me/security", "/me/security/totp/off", &[("password", PASSWORD)])
        .await?;
    ensure!(off.status == 403, "turning off is refused: {}", off.status);
    ensure!(
        app.services
            .two_step_enabled(app.user("carol@example.com").await?.id)
            .await
            .map_err(|e| anyhow!("{e:?}"))?,
        "still on"
    );
    Ok(())
}

on_both_databases!(another_accounts_administrator_cannot_change_the_requirement, isolation);
async fn isolation(app: TestApp) -> anyhow::Result<()> {
    let (_alice, _bob) = acme(&app).await?;
    let one = app.first_account().await?;
    app.add_user("mallory@example.com", false).await?;
    let two = app.add_account("Two Ltd", Some("mallory@example.com")).await?;
    let mallory = logged_in(&app, "mallory@example.com").await?;
    // The requirement of account `number`, as its administrator `admin` reads it.
    let required = async |admin: &str, number: AccountNumber| {
        let scope = app.scope(admin, number).await?;
        let settings = app
            .services
            .account_settings(&scope)
            .await
            .map_err(|e| anyhow!("{admin} reads {number}'s settings: {e:?}"))?;
        anyhow::Ok(settings.two_step_required)
    };
    let own = format!("/admin/accounts/{}/features", two.number);
    let refused = mallory
        .submit(
            &own,
            &format!("/admin/accounts/{}/two-step", one.number),
            &[("required", "members")],
        )
        .await?;
    ensure!(refused.status == 404, "another account answers 404: {}", refused.status);
    ensure!(
        required("alice@example.com", one.number).await?.is_none(),
        "Account One's requirement is unchanged"
    );
    // Mallory's own account: fine.
    let own_saved = mallory
        .submit(
            &own,
            &format!("/admin/accounts/{}/two-step", two.number),
            &[("required", "administrators")],
        )
        .await?;
    ensure!(own_saved.status == 303);
    ensure!(
        required("mallory@example.com", two.number).await? == Some(TwoStepRequirement::Administrators),
        "Mallory's own account now requires it of administrators"
    );
    // An anonymous client changes nothing either.
    let anonymous = app.client();
    let csrf = anonymous.get("/portal/login").await?.csrf().context("token")?;
    let posted = anonymous
        .post_raw(
            &format!("/admin/accounts/{}/two-step", one.number),
            &[("csrf", &csrf), ("required", "members")],
        )
        .await?;
    ensure!(posted.status == 303, "sent to log in: {}", posted.status);
    ensure!(
        required("alice@example.com", one.number).await?.is_none(),
        "an anonymous post leaves Account One's requirement unchanged"
    );
    Ok(())
}

on_both_databases!(turning_two_step_off_asks_for_the_password, turning_off);
async fn turning_off(app: TestApp) -> anyhow::Result<()> {
    let (_alice, bob) = acme(&app).await?;
    enrol(&app, &bob).await?;
    let wrong = bob
        .submit(
            "/me/security",
            "/me/security/totp/off",
            &[("password", "Not-The-Password-1")],
        )
        .await?;
    ensure!(wrong.status == 401, "{}", wrong.status);
    wrong.assert_shows("The password is not right.");
    let turned_off = || -> anyhow::Result<usize> {
        let mails = app.mails()?.into_iter();
        Ok(mails.filter(|m| m.subject.contains("was turned off")).count())
    };
    app.deliver().await?;
    ensure!(turned_off()? == 0, "no notice for a refused password");
    let bob_id = app.user("bob@example.com").await?.id;
    ensure!(
        app.services
            .two_step_enabled(bob_id)
            .await
            .map_err(|e| anyhow!("{e:?}"))?
    );
    let right = bob
        .submit("/me/security", "/me/security/totp/off", &[("password", PASSWORD)])
        .await?;
    ensure!(right.status == 303, "{}", right.status);
    ensure!(
        !app.services
            .two_step_enabled(bob_id)
            .await
            .map_err(|e| anyhow!("{e:?}"))?
    );
    let (client, answer) = password_step(&app, "bob@example.com").await?;
    ensure!(answer.location.as_deref() == Some("/admin/accounts") || answer.location.as_deref() == Some("/portal"));
    ensure!(signed_in(&client).await?, "the password alone logs in again");
    app.deliver().await?;
    let notice = app.mail_to(
        "bob@example.com",
        "Two-step verification of your Sealpost login was turned off",
    )?;
    ensure!(notice.text.contains("/me/security"), "{}", notice.text);
    ensure!(turned_off()? == 1, "told once");
    Ok(())
}

on_both_databases!(the_security_page_lists_sessions_and_logs_out_everywhere, everywhere);
async fn everywhere(app: TestApp) -> anyhow::Result<()> {
    let (_alice, bob) = acme(&app).await?;
    let other = logged_in(&app, "bob@example.com").await?;
    let page = bob.get("/me/security").await?;
    ensure!(page.status == 200, "{}", page.status);
    ensure!(page.body.matches("<tr").count() >= 3, "two sessions listed");
    ensure!(
        page.body.matches("<tr aria-current=\"true\"").count() == 1,
        "one marked as this one"
    );
    page.assert_shows("This session");
    page.assert_shows("127.0.0.1");
    // The page allows no script.
    let response = reqwest::get(format!("{}/me/security", app.base)).await?;
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    ensure!(!csp.contains("script-src"), "no script source: {csp}");
    ensure!(csp.contains("default-src 'none'"), "{csp}");

    let ended = bob
        .submit("/me/security", "/me/security/logout-everywhere", &[])
        .await?;
    ensure!(ended.status == 303, "{}", ended.status);
    ensure!(signed_in(&bob).await?, "this session stays");
    ensure!(!signed_in(&other).await?, "the other session ended");
    Ok(())
}
