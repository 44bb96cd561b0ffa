//! The account tabs beyond the seed procedure (Features, Tokens) in a real browser,
//! in English, German and French: reached as the procedure reaches a tab (Accounts,
//! the account number, the tab) and used by the labels a person reads.

use anyhow::{anyhow, ensure};

use crate::browser::{Browser, ENGLISH, FRENCH, GERMAN, Language};
use sealpost_domain::model::Account;

use crate::helpers::{Db, PASSWORD, TestApp};
use crate::webdriver::{self, ChromeDriver, button, flash, label, link, literal, nav_link};

/// The Features tab's words in one language: the tab, the four glossary
/// switches, and the confirmation.
struct FeatureWords {
    tab: &'static str,
    switches: [&'static str; 4],
    saved: &'static str,
}

const FEATURE_WORDS: [(&Language, FeatureWords); 3] = [
    (
        &ENGLISH,
        FeatureWords {
            tab: "Features",
            switches: ["Secure Compose", "Secure Reply", "Secure Reply All", "Secure Forward"],
            saved: "The features have been saved.",
        },
    ),
    (
        &GERMAN,
        FeatureWords {
            tab: "Funktionen",
            switches: [
                "Sicheres Verfassen",
                "Sichere Antwort",
                "Sichere Antwort an alle",
                "Sichere Weiterleitung",
            ],
            saved: "Die Funktionen wurden gespeichert.",
        },
    ),
    (
        &FRENCH,
        FeatureWords {
            tab: "Fonctionnalités",
            switches: [
                "Rédaction sécurisée",
                "Réponse sécurisée",
                "Réponse sécurisée à tous",
                "Transfert sécurisé",
            ],
            saved: "Les fonctionnalités ont été enregistrées.",
        },
    ),
];

#[tokio::test]
async fn the_features_tab_is_reached_and_used_click_by_click_in_each_language() -> anyhow::Result<()> {
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    let number = account.number.to_string();
    for (language, words) in &FEATURE_WORDS {
        let client = driver.session().await?;
        let browser = in_language(&client, &app, language, "features");
        let outcome = features_by_clicks(&browser, &number, words).await;
        browser
            .finish(outcome, format!("the Features tab in {} failed", language.name))
            .await?;
    }
    // The last language switched Secure Forward off; it is stored as such.
    let settings = app
        .store_port()
        .account_settings(app.account(account.number).await?.id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(
        settings == [("secure_forward".to_owned(), "false".to_owned())],
        "{settings:?}"
    );
    drop(driver);
    Ok(())
}

/// Log in, Accounts, the account number, the Features tab; Secure Forward off,
/// Save; the confirmation and the unticked box; then on again for the next language.
async fn features_by_clicks(browser: &Browser<'_>, number: &str, words: &FeatureWords) -> anyhow::Result<()> {
    let l = browser.language;
    open_tab(browser, number, words.tab).await?;
    let boxes = |text: &str| format!("{}//input[@type='checkbox']", label(text));
    for switch in words.switches {
        ensure!(
            browser.find(&boxes(switch)).await?.is_selected().await?,
            "{switch} starts on"
        );
    }
    let forward = words.switches[3];
    browser.click(&boxes(forward)).await?;
    browser.click(&button(l.save)).await?;
    browser.find(&flash(words.saved)).await?;
    ensure!(
        !browser.find(&boxes(forward)).await?.is_selected().await?,
        "{forward} is shown off after saving"
    );
    browser.screenshot("features").await;
    if l.name != "fr" {
        browser.click(&boxes(forward)).await?;
        browser.click(&button(l.save)).await?;
        browser.find(&flash(words.saved)).await?;
    }
    Ok(())
}

/// Log in at /admin (in the page's language), Accounts, the account number, the tab.
pub(crate) async fn open_tab(browser: &Browser<'_>, number: &str, tab: &str) -> anyhow::Result<()> {
    let l = browser.language;
    browser.log_in_at("/admin/login", "alice@example.com", PASSWORD).await?;
    browser.click(&nav_link(l.nav_accounts)).await?;
    browser.click(&link(number)).await?;
    browser
        .click(&format!(
            "//nav[contains(@class,'tabs')]/a[normalize-space()={}]",
            literal(tab)
        ))
        .await
}

/// The Tokens tab's words in one language.
struct TokenWords {
    tab: &'static str,
    name: &'static str,
    scope: &'static str,
    create: &'static str,
    secret: &'static str,
    /// With `{name}`.
    revoke: &'static str,
    revoked: &'static str,
}

const TOKEN_WORDS: [(&Language, TokenWords); 3] = [
    (
        &ENGLISH,
        TokenWords {
            tab: "Tokens",
            name: "Name*",
            scope: "SMTP submission",
            create: "Create token",
            secret: "Token",
            revoke: "Revoke {name}",
            revoked: "The token has been revoked. It no longer works.",
        },
    ),
    (
        &GERMAN,
        TokenWords {
            tab: "Tokens",
            name: "Name*",
            scope: "SMTP-Einlieferung",
            create: "Token erstellen",
            secret: "Token",
            revoke: "{name} widerrufen",
            revoked: "Das Token wurde widerrufen. Es funktioniert nicht mehr.",
        },
    ),
    (
        &FRENCH,
        TokenWords {
            tab: "Jetons",
            name: "Nom*",
            scope: "Soumission SMTP",
            create: "Créer le jeton",
            secret: "Jeton",
            revoke: "Révoquer {name}",
            revoked: "Le jeton a été révoqué. Il ne fonctionne plus.",
        },
    ),
];

#[tokio::test]
async fn a_token_is_created_and_revoked_click_by_click_in_each_language() -> anyhow::Result<()> {
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    let number = account.number.to_string();
    let mut secrets = Vec::new();
    for (language, words) in &TOKEN_WORDS {
        let client = driver.session().await?;
        let browser = in_language(&client, &app, language, "tokens");
        let outcome = token_by_clicks(&browser, &number, words).await;
        secrets.push(
            browser
                .finish(outcome, format!("the Tokens tab in {} failed", language.name))
                .await?,
        );
    }
    // What the clicks did: three tokens, each revoked; no secret stored.
    let tokens = app
        .store_port()
        .account_tokens(account.id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(
        tokens.len() == 3 && tokens.iter().all(|t| t.revoked_at.is_some()),
        "{tokens:?}"
    );
    for secret in &secrets {
        let refused = app
            .services
            .authenticate_account_token(
                secret,
                sealpost_domain::account_tokens::TokenScope::SmtpSubmission,
                "127.0.0.1".parse()?,
            )
            .await;
        ensure!(refused.is_err(), "a revoked token still works");
    }
    drop(driver);
    Ok(())
}

/// Tokens tab; Name, the scope box, Create token; the secret shown once; Revoke.
/// Returns the secret that was shown.
async fn token_by_clicks(browser: &Browser<'_>, number: &str, words: &TokenWords) -> anyhow::Result<String> {
    let name = format!("Mail server {}", browser.language.name);
    open_tab(browser, number, words.tab).await?;
    browser.fill(words.name, &name).await?;
    browser
        .click(&format!("{}//input[@type='checkbox']", label(words.scope)))
        .await?;
    browser.click(&button(words.create)).await?;
    let secret = browser.value(words.secret).await?;
    ensure!(secret.starts_with("sptk_") && secret.len() == 46, "shown: {secret:?}");
    browser.screenshot("created").await;
    browser.click(&button(&words.revoke.replace("{name}", &name))).await?;
    browser.find(&flash(words.revoked)).await?;
    let page = browser.find("//main").await?.text().await?;
    ensure!(!page.contains(&secret), "the secret is shown again");
    Ok(secret)
}

/// Alice administering Acme Corp, and the browser's driver; `None` when the
/// browser or a required backend is missing (said by the helpers that start them).
pub(crate) async fn acme_and_a_browser() -> anyhow::Result<Option<(TestApp, ChromeDriver, Account)>> {
    let Some(app) = TestApp::spawn(Db::Sqlite).await? else {
        return Ok(None);
    };
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(None);
    };
    app.add_user("alice@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    Ok(Some((app, driver, account)))
}

/// A browser on `app` reading `language`, its screenshots named `{what}-{language}`.
pub(crate) fn in_language<'a>(
    client: &'a fantoccini::Client,
    app: &'a TestApp,
    language: &'a Language,
    what: &str,
) -> Browser<'a> {
    Browser {
        web: webdriver::Browser {
            client,
            base: &app.base,
            shots: format!("{what}-{}", language.name),
        },
        language,
    }
}
