//! The BCE Config tab and the security levels in a real browser, in English,
//! German and French: the administrator reaches the tab as the seed procedure
//! does (Accounts, the account number, the tab) and creates a High profile by its
//! labels; the recipient then finds that a remembered device ("Remember me on this
//! device") opens a second Medium message without the password, and that the High
//! one asks for the password at every opening; logging out forgets the device.

use anyhow::ensure;

use crate::browser::{Browser, ENGLISH, FRENCH, GERMAN, Language};
use crate::browser_tabs::{acme_and_a_browser, in_language, open_tab};
use crate::helpers::{PASSWORD, TestApp, logged_in};
use crate::webdriver::{button, flash, heading, label, literal};

/// The tab's and the recipient's words in one language (GLOSSARY rows where it has them).
pub(crate) struct ProfileWords {
    pub(crate) tab: &'static str,
    pub(crate) profile_name: &'static str,
    high: &'static str,
    pub(crate) create: &'static str,
    /// With `{name}`.
    pub(crate) created: &'static str,
    remember: &'static str,
    unlock_title: &'static str,
    open: &'static str,
}

pub(crate) const PROFILE_WORDS: [(&Language, ProfileWords); 3] = [
    (
        &ENGLISH,
        ProfileWords {
            tab: "BCE Config",
            profile_name: "Profile name*",
            high: "High",
            create: "Create profile",
            created: "The profile {name} has been created.",
            remember: "Remember me on this device",
            unlock_title: "Enter your password to open this message",
            open: "Open",
        },
    ),
    (
        &GERMAN,
        ProfileWords {
            tab: "BCE-Konfiguration",
            profile_name: "Profilname*",
            high: "Hoch",
            create: "Profil erstellen",
            created: "Das Profil {name} wurde erstellt.",
            remember: "Auf diesem Gerät merken",
            unlock_title: "Geben Sie Ihr Kennwort ein, um diese Nachricht zu öffnen",
            open: "Öffnen",
        },
    ),
    (
        &FRENCH,
        ProfileWords {
            tab: "Configuration BCE",
            profile_name: "Nom du profil*",
            high: "Élevé",
            create: "Créer le profil",
            created: "Le profil {name} a été créé.",
            remember: "Se souvenir de moi sur cet appareil",
            unlock_title: "Saisissez votre mot de passe pour ouvrir ce message",
            open: "Ouvrir",
        },
    ),
];

#[tokio::test]
async fn security_levels_are_configured_and_met_click_by_click_in_each_language() -> anyhow::Result<()> {
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    app.add_user("bob@example.com", false).await?;
    let number = account.number.to_string();
    for (language, words) in &PROFILE_WORDS {
        let admin = driver.session().await?;
        let browser = in_language(&admin, &app, language, "profiles");
        let outcome = high_profile_by_clicks(&browser, &number, words).await;
        browser
            .finish(outcome, format!("the BCE Config tab in {} failed", language.name))
            .await?;

        let (first, second, high) = send_three(&app, language.name).await?;
        let recipient = driver.session().await?;
        let browser = in_language(&recipient, &app, language, "levels");
        let outcome = recipient_meets_the_levels(&app, &browser, words, &first, &second, &high).await;
        browser
            .finish(outcome, format!("the security levels in {} failed", language.name))
            .await?;
    }
    drop(driver);
    Ok(())
}

/// Accounts, the number, BCE Config; a profile named for the language, High,
/// Create profile; the confirmation.
async fn high_profile_by_clicks(browser: &Browser<'_>, number: &str, words: &ProfileWords) -> anyhow::Result<()> {
    open_tab(browser, number, words.tab).await?;
    let name = format!("Board {}", browser.language.name);
    browser.fill(words.profile_name, &name).await?;
    browser
        .click(&format!("{}//input[@type='radio']", label(words.high)))
        .await?;
    browser.click(&button(words.create)).await?;
    browser.find(&flash(&words.created.replace("{name}", &name))).await?;
    browser.screenshot("created").await;
    Ok(())
}

/// Two Medium messages (the default profile) and one of the language's High
/// profile, from Alice to Bob: their ids.
async fn send_three(app: &TestApp, language: &str) -> anyhow::Result<(String, String, String)> {
    let alice = logged_in(app, "alice@example.com").await?;
    let first = alice
        .send_to("bob@example.com", "First", &format!("First medium {language}"), &[])
        .await?;
    let second = alice
        .send_to("bob@example.com", "Second", &format!("Second medium {language}"), &[])
        .await?;
    let account = app.first_account().await?;
    let board = app
        .account_profile_id("alice@example.com", account.number, &format!("Board {language}"))
        .await?;
    let fields = [
        ("to", "bob@example.com"),
        ("subject", "Board"),
        ("body", "Board only"),
        ("profile", board.as_str()),
    ];
    let high = alice.send(&fields, &[]).await?;
    Ok((first, second, high))
}

/// The main part of a page once it shows `text`.
fn shows(text: &str) -> String {
    format!("//main[contains(normalize-space(), {})]", literal(text))
}

/// Bob, on his own device: logs in on the way to the first message with
/// "Remember me on this device"; once his session has run out, the second opens
/// without the password; the High one asks for it, and asks again; logging out
/// forgets the device.
async fn recipient_meets_the_levels(
    app: &TestApp,
    browser: &Browser<'_>,
    words: &ProfileWords,
    first: &str,
    second: &str,
    high: &str,
) -> anyhow::Result<()> {
    let l = browser.language;
    browser.goto("/portal/login").await?;
    if let Some(switch) = l.switch {
        browser.click(&button(switch)).await?;
        // The switched page, before going on (else the switch's answer may land last).
        browser.find(&button(l.log_in)).await?;
    }
    browser.goto(&format!("/m/{first}")).await?;
    browser.fill(l.login_email, "bob@example.com").await?;
    browser.fill(l.login_password, PASSWORD).await?;
    browser
        .click(&format!("{}//input[@type='checkbox']", label(words.remember)))
        .await?;
    browser.click(&button(l.log_in)).await?;
    browser.find(&shows(&format!("First medium {}", l.name))).await?;
    // His session runs out (idle); the device stays remembered.
    app.clock
        .advance_seconds(sealpost_domain::services::SESSION_IDLE_SECONDS + 60);

    // The remembered device opens the second message: no login form, no password.
    browser.goto(&format!("/m/{second}")).await?;
    browser.find(&shows(&format!("Second medium {}", l.name))).await?;
    let main = browser.text("//main").await?;
    ensure!(!main.contains(l.login_password), "no password asked: {main}");
    browser.screenshot("remembered").await;

    browser.goto(&format!("/m/{high}")).await?;
    browser.fill(l.login_email, "bob@example.com").await?;
    browser.fill(l.login_password, PASSWORD).await?;
    browser.click(&button(l.log_in)).await?;
    // A live session is not enough: the page asks for the password.
    let prompt = heading(words.unlock_title);
    browser.find(&prompt).await?;
    let main = browser.text("//main").await?;
    ensure!(!main.contains("Board only"), "nothing before the password: {main}");
    browser.fill(l.password, PASSWORD).await?;
    browser.click(&button(words.open)).await?;
    browser.find(&shows("Board only")).await?;
    // And asks again at the next opening.
    browser.goto(&format!("/m/{high}")).await?;
    browser.find(&prompt).await?;
    browser.screenshot("high").await;

    // Logging out on the device forgets it: the next Medium message asks to log in.
    browser.click(&button(l.log_out)).await?;
    browser.find(&button(l.log_in)).await?;
    browser.goto(&format!("/m/{second}")).await?;
    browser.find(&button(l.log_in)).await?;
    let main = browser.text("//main").await?;
    ensure!(
        !main.contains(&format!("Second medium {}", l.name)),
        "a logged-out device opens nothing: {main}"
    );
    Ok(())
}
