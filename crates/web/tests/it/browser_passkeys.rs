//! Passkeys in a real browser, in English, German and French, with ChromeDriver's
//! virtual authenticator (WebDriver's WebAuthn extension) standing in for the
//! device: a member adds a passkey on the security page (the one page but the
//! login's passkey page that runs a script), renames it, logs out, and logs in
//! with the password and then the passkey; then makes recovery codes and logs in with
//! one instead of the passkey. The service is reached at `localhost` (browsers
//! allow passkeys over plain HTTP there, never for an IP address).

use anyhow::{Context as _, anyhow, ensure};
use fantoccini::Client;

use crate::browser::{Browser, ENGLISH, FRENCH, GERMAN, Language};
use crate::helpers::{Db, PASSWORD};
use crate::passkeys::passkey_app;
use crate::webdriver::{self, ChromeDriver, button, flash, literal};

/// The words on the way, in one language.
struct Words {
    name_field: &'static str,
    add: &'static str,
    create: &'static str,
    added: &'static str,
    use_passkey: &'static str,
    use_mine: &'static str,
    rename_field: &'static str,
    rename: &'static str,
    renamed: &'static str,
    password_again: &'static str,
    new_codes: &'static str,
    recovery_intro: &'static str,
    code: &'static str,
    verify: &'static str,
}

const WORDS: [(&Language, Words); 3] = [
    (
        &ENGLISH,
        Words {
            name_field: "Name of the new passkey",
            add: "Add a passkey",
            create: "Create the passkey",
            added: "The passkey “Laptop” was added.",
            use_passkey: "Use a passkey",
            use_mine: "Use my passkey",
            rename_field: "New name of the passkey Laptop",
            rename: "Rename",
            renamed: "The passkey is now called “Work laptop”.",
            password_again: "Your password",
            new_codes: "Make new recovery codes",
            recovery_intro: "No passkey at hand? Enter one of your recovery codes.",
            code: "Code",
            verify: "Verify",
        },
    ),
    (
        &GERMAN,
        Words {
            name_field: "Name des neuen Passkeys",
            add: "Passkey hinzufügen",
            create: "Passkey erstellen",
            added: "Der Passkey „Laptop“ wurde hinzugefügt.",
            use_passkey: "Passkey verwenden",
            use_mine: "Meinen Passkey verwenden",
            rename_field: "Neuer Name des Passkeys Laptop",
            rename: "Umbenennen",
            renamed: "Der Passkey heißt jetzt „Work laptop“.",
            password_again: "Ihr Kennwort",
            new_codes: "Neue Wiederherstellungscodes erstellen",
            recovery_intro: "Kein Passkey zur Hand? Geben Sie einen Ihrer Wiederherstellungscodes ein.",
            code: "Code",
            verify: "Bestätigen",
        },
    ),
    (
        &FRENCH,
        Words {
            name_field: "Nom de la nouvelle clé d'accès",
            add: "Ajouter une clé d'accès",
            create: "Créer la clé d'accès",
            added: "La clé d'accès « Laptop » a été ajoutée.",
            use_passkey: "Utiliser une clé d'accès",
            use_mine: "Utiliser ma clé d'accès",
            rename_field: "Nouveau nom de la clé d'accès Laptop",
            rename: "Renommer",
            renamed: "La clé d'accès s'appelle désormais « Work laptop ».",
            password_again: "Votre mot de passe",
            new_codes: "Créer de nouveaux codes de récupération",
            recovery_intro: "Pas de clé d'accès sous la main ? Saisissez l'un de vos codes de récupération.",
            code: "Code",
            verify: "Vérifier",
        },
    ),
];

/// Gives the WebDriver session `client` a platform authenticator that holds
/// passkeys and verifies its user without asking (WebDriver's WebAuthn extension).
async fn add_virtual_authenticator(driver: &ChromeDriver, client: &Client) -> anyhow::Result<()> {
    let session = client.session_id().await?.context("a WebDriver session id")?;
    let body = serde_json::json!({
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": true,
        "hasUserVerification": true,
        "isUserVerified": true,
    });
    let answer = reqwest::Client::new()
        .post(format!("{}/session/{session}/webauthn/authenticator", driver.url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = answer.status();
    let text = answer.text().await?;
    ensure!(status.is_success(), "adding a virtual authenticator: {status} {text}");
    Ok(())
}

#[tokio::test]
async fn a_passkey_registers_and_logs_in_in_each_language() -> anyhow::Result<()> {
    let Some(app) = passkey_app(Db::Sqlite).await? else {
        return Ok(());
    };
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(());
    };
    // The browser goes where the public URL says: localhost, not 127.0.0.1.
    let base = app.base.replace("127.0.0.1", "localhost");
    for (language, words) in &WORDS {
        let email = format!("pia-{}@example.com", language.name);
        app.add_user(&email, false).await?;
        let client = driver.session().await?;
        add_virtual_authenticator(&driver, &client).await?;
        let browser = Browser {
            web: webdriver::Browser {
                client: &client,
                base: &base,
                shots: format!("passkeys-{}", language.name),
            },
            language,
        };
        let outcome = register_and_log_in(&browser, &email, words).await;
        browser
            .finish(outcome, format!("passkeys in {} failed", language.name))
            .await?;
        let actor = app.actor(&email).await?;
        let keys = app.services.passkeys_of(&actor).await.map_err(|e| anyhow!("{e:?}"))?;
        ensure!(keys.len() == 1, "one passkey stored: {keys:?}");
        ensure!(keys[0].last_used_at.is_some(), "the login used it");
    }
    drop(driver);
    Ok(())
}

/// The cell of the security page's passkeys table that names `name`.
fn passkey_cell(name: &str) -> String {
    format!("//table[@id='passkeys']//td[normalize-space()={}]", literal(name))
}

async fn register_and_log_in(browser: &Browser<'_>, email: &str, words: &Words) -> anyhow::Result<()> {
    let l = browser.language;
    browser.log_in_at("/portal/login", email, PASSWORD).await?;
    browser.find(&button(l.log_out)).await?;
    browser.goto("/me/security").await?;
    browser.fill(words.name_field, "Laptop").await?;
    browser.click(&button(words.add)).await?;
    browser.find(&button(words.create)).await?;
    browser.screenshot("register").await;
    browser.click(&button(words.create)).await?;
    browser.find(&flash(words.added)).await?;
    let path = browser.path().await?;
    ensure!(path == "/me/security", "back on the security page, at {path}");
    browser.find(&passkey_cell("Laptop")).await?;
    browser.screenshot("listed").await;
    browser.fill(words.rename_field, "Work laptop").await?;
    browser.click(&button(words.rename)).await?;
    browser.find(&flash(words.renamed)).await?;
    browser.find(&passkey_cell("Work laptop")).await?;
    browser.click(&button(l.log_out)).await?;
    browser.find(&button(l.log_in)).await?;

    // The password, then the passkey.
    browser.goto("/portal/login").await?;
    browser.log_in(email, PASSWORD).await?;
    browser.find(&button(words.use_passkey)).await?;
    let path = browser.path().await?;
    ensure!(path == "/login/two-step", "the second step is asked for, at {path}");
    browser.click(&button(words.use_passkey)).await?;
    browser.find(&button(words.use_mine)).await?;
    browser.screenshot("login").await;
    browser.click(&button(words.use_mine)).await?;
    browser.find(&button(l.log_out)).await?;
    let path = browser.path().await?;
    ensure!(path == "/portal", "logged in with the passkey, at {path}");

    // Recovery codes for the day the device is lost; one logs in instead.
    browser.goto("/me/security").await?;
    browser.fill(words.password_again, PASSWORD).await?;
    browser.click(&button(words.new_codes)).await?;
    let codes = browser.texts("//ul[@id='recovery-codes']/li").await?;
    ensure!(codes.len() == 10, "ten recovery codes: {codes:?}");
    browser.screenshot("codes").await;
    browser.goto("/portal").await?;
    browser.click(&button(l.log_out)).await?;
    browser.find(&button(l.log_in)).await?;
    browser.goto("/portal/login").await?;
    browser.log_in(email, PASSWORD).await?;
    browser
        .find(&format!("//p[normalize-space()={}]", literal(words.recovery_intro)))
        .await?;
    browser.fill(words.code, &codes[0]).await?;
    browser.click(&button(words.verify)).await?;
    browser.find(&button(l.log_out)).await?;
    let path = browser.path().await?;
    ensure!(path == "/portal", "logged in with a recovery code, at {path}");
    Ok(())
}
