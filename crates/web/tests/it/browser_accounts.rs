//! Managing an account in a real browser, in English, German and French: reached
//! as the seed procedure starts (Accounts), found by the list's search, opened by
//! its number and renamed on the Details tab; then the compose form showing a
//! switched-off Secure Forward disabled, with the reason.

use anyhow::{Context as _, ensure};

use crate::browser::{Browser, ENGLISH, FRENCH, GERMAN, Language};
use crate::browser_tabs::{acme_and_a_browser, in_language};
use crate::helpers::PASSWORD;
use crate::webdriver::{button, flash, label, link, nav_link};

/// The words a person reads on the way, in one language.
struct Words {
    search: &'static str,
    search_button: &'static str,
    name: &'static str,
    rename: &'static str,
    /// With `{name}`.
    renamed: &'static str,
    allow_forward: &'static str,
    switched_off: &'static str,
}

const WORDS: [(&Language, Words); 3] = [
    (
        &ENGLISH,
        Words {
            search: "Name or account number",
            search_button: "Search",
            name: "Name",
            rename: "Rename",
            renamed: "The account is now called {name}.",
            allow_forward: "Allow Forward",
            switched_off: "Your organisation has switched this off for its secure messages.",
        },
    ),
    (
        &GERMAN,
        Words {
            search: "Name oder Kontonummer",
            search_button: "Suchen",
            name: "Name",
            rename: "Umbenennen",
            renamed: "Das Konto heißt jetzt {name}.",
            allow_forward: "Weiterleiten erlauben",
            switched_off: "Ihre Organisation hat diese Funktion für ihre sicheren Nachrichten ausgeschaltet.",
        },
    ),
    (
        &FRENCH,
        Words {
            search: "Nom ou numéro de compte",
            search_button: "Rechercher",
            name: "Nom",
            rename: "Renommer",
            renamed: "Le compte s'appelle désormais {name}.",
            allow_forward: "Autoriser le transfert",
            switched_off: "Votre organisation a désactivé cette fonction pour ses messages sécurisés.",
        },
    ),
];

#[tokio::test]
async fn an_account_is_found_renamed_and_its_compose_form_obeys_features_in_each_language() -> anyhow::Result<()> {
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    // Alice is an operator (the seed's customer support) and Acme's administrator.
    app.make_operator("alice@example.com").await?;
    // Other accounts, so the search has something to pass over.
    for name in ["Globex", "Initech"] {
        app.add_account(name, None).await?;
    }
    let scope = app.scope("alice@example.com", account.number).await?;
    app.services
        .change_account_settings(&scope, |s| s.secure_forward = Some(false))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let number = account.number.to_string();
    let mut last = String::new();
    for (language, words) in &WORDS {
        let client = driver.session().await?;
        let browser = in_language(&client, &app, language, "accounts");
        let new_name = format!("Acme {}", language.name.to_uppercase());
        let outcome = rename_and_compose(&browser, &number, &new_name, words).await;
        browser
            .finish(outcome, format!("managing the account in {} failed", language.name))
            .await?;
        last = new_name;
    }
    ensure!(
        app.account(account.number).await?.name == last,
        "the last name is stored"
    );
    drop(driver);
    Ok(())
}

/// Log in; Accounts; search the number; the number's link; Name, Rename; the
/// confirmation and the new heading; then Compose with Forward disabled.
async fn rename_and_compose(browser: &Browser<'_>, number: &str, new_name: &str, words: &Words) -> anyhow::Result<()> {
    let l = browser.language;
    browser.log_in_at("/admin/login", "alice@example.com", PASSWORD).await?;
    browser.click(&nav_link(l.nav_accounts)).await?;
    browser.fill(words.search, number).await?;
    browser.click(&button(words.search_button)).await?;
    let rows = browser.texts("//table/tbody/tr").await?;
    ensure!(
        rows.len() == 1 && rows[0].contains(number),
        "the search found one row: {rows:?}"
    );
    browser.click(&link(number)).await?;
    browser.fill(words.name, new_name).await?;
    browser.click(&button(words.rename)).await?;
    browser.find(&flash(&words.renamed.replace("{name}", new_name))).await?;
    let heading = browser.text("//h1").await?;
    ensure!(
        heading.ends_with(new_name),
        "the heading shows the new name: {heading:?}"
    );
    browser.screenshot("renamed").await;

    browser.goto("/portal/compose").await?;
    let forward = browser
        .find(&format!("{}//input[@type='checkbox']", label(words.allow_forward)))
        .await?;
    ensure!(!forward.is_enabled().await?, "Forward is disabled");
    ensure!(!forward.is_selected().await?, "Forward is not ticked");
    let reason_id = forward
        .attr("aria-describedby")
        .await?
        .context("the reason is linked")?;
    let reason = browser.text(&format!("//*[@id='{reason_id}']")).await?;
    ensure!(reason == words.switched_off, "the reason reads {reason:?}");
    browser.screenshot("compose").await;
    Ok(())
}
