//! No Password Required in a real browser, in English, German and French: the
//! administrator reaches BCE Config as the seed procedure does (Accounts, the
//! account number, the tab) and creates a No Password Required profile by its
//! labels; a message sent with it reaches an outside recipient, whose Registered
//! Envelope, opened from disk in Chromium, opens the message at "Open Online"
//! without registration, while the same envelope with a tampered secret shows
//! the refusal and nothing of the message.

use anyhow::{Context as _, ensure};

use crate::browser::{Browser, ENGLISH, FRENCH, GERMAN, Language};
use crate::browser_profiles::{PROFILE_WORDS, ProfileWords};
use crate::browser_tabs::{acme_and_a_browser, in_language, open_tab};
use crate::helpers::{TestApp, hidden_field, logged_in};
use crate::webdriver::{button, flash, heading, label, literal};

/// What this test reads in one language.
struct SecretWords {
    no_password: &'static str,
    open_online: &'static str,
    refused_title: &'static str,
    /// A part of the note that answers need a login.
    login_note: &'static str,
}

const SECRET_WORDS: [(&Language, SecretWords); 3] = [
    (
        &ENGLISH,
        SecretWords {
            no_password: "No Password Required",
            open_online: "Open Online",
            refused_title: "This envelope does not open this message",
            login_note: "To reply or forward it securely, log in",
        },
    ),
    (
        &GERMAN,
        SecretWords {
            no_password: "Kein Kennwort erforderlich",
            open_online: "Online öffnen",
            refused_title: "Dieser Umschlag öffnet diese Nachricht nicht",
            login_note: "Um sicher zu antworten oder sie weiterzuleiten, melden Sie sich",
        },
    ),
    (
        &FRENCH,
        SecretWords {
            no_password: "Aucun mot de passe requis",
            open_online: "Ouvrir en ligne",
            refused_title: "Cette enveloppe n'ouvre pas ce message",
            login_note: "Pour y répondre ou le transférer de façon sécurisée, connectez-vous",
        },
    ),
];

#[tokio::test]
async fn a_no_password_profile_opens_its_envelope_from_disk_without_registration_in_each_language() -> anyhow::Result<()>
{
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    let number = account.number.to_string();
    let files = tempfile::tempdir()?;
    for ((language, words), (_, profile)) in SECRET_WORDS.iter().zip(&PROFILE_WORDS) {
        let admin = driver.session().await?;
        let browser = in_language(&admin, &app, language, "no-password");
        let outcome = no_password_profile_by_clicks(&browser, &number, profile, words).await;
        browser
            .finish(
                outcome,
                format!("the No Password Required profile in {} failed", language.name),
            )
            .await?;

        let (good, bad) = envelopes(&app, language, files.path()).await?;
        let recipient = driver.session().await?;
        let browser = in_language(&recipient, &app, language, "no-password-envelope");
        let outcome = envelope_opens_from_disk(&browser, language, words, &good, &bad).await;
        browser
            .finish(outcome, format!("the envelope from disk in {} failed", language.name))
            .await?;
    }
    drop(driver);
    Ok(())
}

/// Accounts, the number, BCE Config; a profile named for the language, No
/// Password Required, its recipients speaking the language; Create profile.
async fn no_password_profile_by_clicks(
    browser: &Browser<'_>,
    number: &str,
    profile: &ProfileWords,
    words: &SecretWords,
) -> anyhow::Result<()> {
    open_tab(browser, number, profile.tab).await?;
    let name = format!("Open {}", browser.language.name);
    browser.fill(profile.profile_name, &name).await?;
    browser
        .click(&format!("{}//input[@type='radio']", label(words.no_password)))
        .await?;
    browser
        .click(&format!(
            "//select[@name='recipient_locale']/option[@value={}]",
            literal(browser.language.tag)
        ))
        .await?;
    browser.click(&button(profile.create)).await?;
    browser.find(&flash(&profile.created.replace("{name}", &name))).await?;
    browser.screenshot("created").await;
    Ok(())
}

/// A message of the language's profile to an outside recipient; its envelope
/// saved to disk as received, and a copy whose secret is tampered with.
async fn envelopes(
    app: &TestApp,
    language: &Language,
    dir: &std::path::Path,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let alice = logged_in(app, "alice@example.com").await?;
    let profile = app.profile_id(&format!("Open {}", language.name)).await?;
    let to = format!("nora-{}@outside.example", language.tag);
    let body = format!("Open without a password {}", language.name);
    let fields = [
        ("to", to.as_str()),
        ("subject", "Figures"),
        ("body", body.as_str()),
        ("profile", profile.as_str()),
    ];
    alice.send(&fields, &[]).await?;
    app.deliver().await?;
    let (name, html) = app.mail_to(&to, "")?.envelope()?;
    let secret = hidden_field(&html, "secret").context("the envelope carries a secret")?;
    let good = dir.join(format!("{}-{name}", language.tag));
    std::fs::write(&good, &html)?;
    let flipped = if secret.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{flipped}", &secret[..secret.len() - 1]);
    let bad = dir.join(format!("{}-tampered-{name}", language.tag));
    std::fs::write(&bad, html.replace(&secret, &forged))?;
    Ok((good, bad))
}

/// The tampered envelope from disk: the refusal, nothing of the message. The
/// envelope as received: the message, in the envelope's language, without
/// registration or login.
async fn envelope_opens_from_disk(
    browser: &Browser<'_>,
    language: &Language,
    words: &SecretWords,
    good: &std::path::Path,
    bad: &std::path::Path,
) -> anyhow::Result<()> {
    let body = format!("Open without a password {}", language.name);
    let client = browser.web.client;
    client
        .goto(&format!("file://{}", bad.canonicalize()?.display()))
        .await?;
    browser.click(&button(words.open_online)).await?;
    browser.find(&heading(words.refused_title)).await?;
    let main = browser.text("//main").await?;
    ensure!(!main.contains(&body), "a tampered secret shows nothing: {main}");
    browser.screenshot("refused").await;

    client
        .goto(&format!("file://{}", good.canonicalize()?.display()))
        .await?;
    browser.click(&button(words.open_online)).await?;
    browser
        .find(&format!("//main[contains(normalize-space(), {})]", literal(&body)))
        .await?;
    browser
        .find(&format!("//html[@lang={}]", literal(language.tag)))
        .await?;
    let main = browser.text("//main").await?;
    ensure!(main.contains(words.login_note), "answers need a login: {main}");
    ensure!(
        !main.contains(language.login_password),
        "no login or registration form: {main}"
    );
    browser.screenshot("opened").await;
    Ok(())
}
