//! Two-step verification in a real browser, in English, German and French: a
//! member sets it up on the security page (the secret read from the page's text
//! alternative of the QR code, the code computed here with the same crate the
//! service uses), logs out, logs in with a code, then with a recovery code once
//! (the same recovery code refused the second time). Then, in English, an
//! account requiring it sends a member without it to enrolment first.

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::two_step::TwoStepRequirement;

use crate::browser::{Browser, ENGLISH, FRENCH, GERMAN, Language};
use crate::browser_tabs::{acme_and_a_browser, in_language};
use crate::helpers::{PASSWORD, TestApp};
use crate::two_step::code;
use crate::webdriver::{self, alert, button, label, link};

/// The words on the way, in one language.
struct Words {
    set_up: &'static str,
    code: &'static str,
    turn_on: &'static str,
    next: &'static str,
    verify: &'static str,
    wrong_code: &'static str,
    is_on: &'static str,
}

const WORDS: [(&Language, Words); 3] = [
    (
        &ENGLISH,
        Words {
            set_up: "Set up two-step verification",
            code: "Code",
            turn_on: "Turn on",
            next: "Continue",
            verify: "Verify",
            wrong_code: "That code is not right. Check your app and try again.",
            is_on: "Two-step verification is on.",
        },
    ),
    (
        &GERMAN,
        Words {
            set_up: "Zwei-Schritt-Verifizierung einrichten",
            code: "Code",
            turn_on: "Einschalten",
            next: "Weiter",
            verify: "Bestätigen",
            wrong_code: "Dieser Code ist nicht richtig. Prüfen Sie Ihre App und versuchen Sie es erneut.",
            is_on: "Die Zwei-Schritt-Verifizierung ist eingeschaltet.",
        },
    ),
    (
        &FRENCH,
        Words {
            set_up: "Configurer la vérification en deux étapes",
            code: "Code",
            turn_on: "Activer",
            next: "Continuer",
            verify: "Vérifier",
            wrong_code: "Ce code n'est pas correct. Vérifiez votre application et réessayez.",
            is_on: "La vérification en deux étapes est activée.",
        },
    ),
];

#[tokio::test]
async fn a_member_turns_on_two_step_and_logs_in_with_a_code_and_a_recovery_code_in_each_language() -> anyhow::Result<()>
{
    let Some((app, driver, _)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    for (language, words) in &WORDS {
        let email = format!("dana-{}@example.com", language.name);
        app.add_user(&email, false).await?;
        let client = driver.session().await?;
        let browser = in_language(&client, &app, language, "two-step");
        let outcome = enrol_and_log_in(&app, &browser, &email, words).await;
        browser
            .finish(outcome, format!("two-step verification in {} failed", language.name))
            .await?;
        let user = app.user(&email).await?;
        ensure!(
            app.services
                .two_step_enabled(user.id)
                .await
                .map_err(|e| anyhow!("{e:?}"))?
        );
    }

    // An account that requires it: Erin, a member without it, sets it up first.
    let account = app.first_account().await?;
    let scope = app.scope("alice@example.com", account.number).await?;
    app.services
        .change_account_settings(&scope, |s| s.two_step_required = Some(TwoStepRequirement::Members))
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    app.add_user("erin@example.com", false).await?;
    let group = app.services.groups(&scope).await.map_err(|e| anyhow!("{e:?}"))?;
    app.services
        .add_member(&scope, group.first().context("a group")?.id, "erin@example.com")
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let client = driver.session().await?;
    let browser = Browser {
        web: webdriver::Browser {
            client: &client,
            base: &app.base,
            shots: "two-step-required".to_owned(),
        },
        language: &ENGLISH,
    };
    let outcome = required_enrolment(&app, &browser, &WORDS[0].1).await;
    browser.finish(outcome, "the required enrolment failed").await?;
    drop(driver);
    Ok(())
}

/// The secret as the page's text alternative of the QR code gives it.
async fn secret_from_page(browser: &Browser<'_>) -> anyhow::Result<String> {
    let alt = browser
        .find("//img[@id='totp-qr']")
        .await?
        .attr("alt")
        .await?
        .context("the QR code has a text alternative")?;
    let secret = alt
        .rsplit(' ')
        .next()
        .context("the alternative ends with the secret")?
        .trim()
        .to_owned();
    let written = browser.text("//code[@id='totp-secret']").await?;
    ensure!(
        written == secret,
        "the secret is written out too: {written:?} vs {secret:?}"
    );
    Ok(secret)
}

async fn log_in_with(browser: &Browser<'_>, email: &str, words: &Words, code: &str) -> anyhow::Result<()> {
    browser.goto("/portal/login").await?;
    browser.log_in(email, PASSWORD).await?;
    browser.find(&label(words.code)).await?;
    let path = browser.path().await?;
    ensure!(path == "/login/two-step", "the code is asked for, at {path}");
    browser.fill(words.code, code).await?;
    browser.click(&button(words.verify)).await
}

async fn log_out(browser: &Browser<'_>) -> anyhow::Result<()> {
    browser.click(&button(browser.language.log_out)).await?;
    browser.find(&button(browser.language.log_in)).await?;
    Ok(())
}

async fn enrol_and_log_in(app: &TestApp, browser: &Browser<'_>, email: &str, words: &Words) -> anyhow::Result<()> {
    let l = browser.language;
    browser.log_in_at("/portal/login", email, PASSWORD).await?;
    browser.find(&button(l.log_out)).await?;
    browser.goto("/me/security").await?;
    browser.click(&button(words.set_up)).await?;
    let secret = secret_from_page(browser).await?;
    browser.screenshot("enrol").await;
    browser.fill(words.code, &code(app, &secret)?).await?;
    browser.click(&button(words.turn_on)).await?;
    let codes = browser.texts("//ul[@id='recovery-codes']/li").await?;
    ensure!(codes.len() == 10, "ten recovery codes: {codes:?}");
    browser.screenshot("codes").await;
    browser.click(&link(words.next)).await?;
    browser
        .find(&format!(
            "//*[@id='two-step-state' and normalize-space()=\"{}\"]",
            words.is_on
        ))
        .await?;
    log_out(browser).await?;

    // A code, one step later (the enrolment's code works once).
    app.clock.advance_seconds(30);
    log_in_with(browser, email, words, &code(app, &secret)?).await?;
    browser.find(&button(l.log_out)).await?;
    let path = browser.path().await?;
    ensure!(path == "/portal", "logged in with a code, at {path}");
    log_out(browser).await?;

    // A recovery code, once.
    log_in_with(browser, email, words, &codes[0]).await?;
    browser.find(&button(l.log_out)).await?;
    ensure!(browser.path().await? == "/portal", "logged in with a recovery code");
    log_out(browser).await?;
    log_in_with(browser, email, words, &codes[0]).await?;
    browser.find(&alert(words.wrong_code)).await?;
    ensure!(
        browser.path().await? == "/login/two-step",
        "the used recovery code is refused"
    );
    browser.screenshot("recovery-refused").await;
    Ok(())
}

async fn required_enrolment(app: &TestApp, browser: &Browser<'_>, words: &Words) -> anyhow::Result<()> {
    browser.goto("/portal/login").await?;
    browser.log_in("erin@example.com", PASSWORD).await?;
    let secret = secret_from_page(browser).await?;
    let path = browser.path().await?;
    ensure!(
        path == "/login/two-step/enrol",
        "Erin is sent to enrolment first, at {path}"
    );
    browser.goto("/portal/inbox").await?;
    browser.find(&button(ENGLISH.log_in)).await?;
    browser.goto("/login/two-step/enrol").await?;
    ensure!(secret_from_page(browser).await? == secret, "the same secret waits");
    browser.fill(words.code, &code(app, &secret)?).await?;
    browser.click(&button(words.turn_on)).await?;
    let codes = browser.texts("//ul[@id='recovery-codes']/li").await?;
    ensure!(codes.len() == 10, "ten recovery codes: {codes:?}");
    browser.click(&link(words.next)).await?;
    browser.find(&button(ENGLISH.log_out)).await?;
    let path = browser.path().await?;
    ensure!(path == "/admin/accounts", "Erin (an administrator) is in, at {path}");
    Ok(())
}
