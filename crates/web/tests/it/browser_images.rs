//! The Images tab in a real browser, in English, German and French: reached as the
//! seed procedure reaches a tab (Accounts, the account number, the tab), a logo
//! chosen from disk, previewed and saved by the labels a person reads; then the
//! Registered Envelope of the account's next message, opened from disk, shows the
//! logo (decoded by the browser: a non-zero natural width) and fetches nothing.

use anyhow::{Context as _, anyhow, ensure};

use crate::browser::{ENGLISH, FRENCH, GERMAN, Language};
use crate::browser_tabs::{acme_and_a_browser, in_language, open_tab};
use crate::helpers::{PASSWORD, logged_in_with};
use crate::webdriver::{button, flash};

/// The Images tab's words in one language.
struct ImageWords {
    tab: &'static str,
    name: &'static str,
    colour: &'static str,
    logo: &'static str,
    preview: &'static str,
    preview_heading: &'static str,
    save: &'static str,
    saved: &'static str,
}

const IMAGE_WORDS: [(&Language, ImageWords); 3] = [
    (
        &ENGLISH,
        ImageWords {
            tab: "Images",
            name: "Display name",
            colour: "Brand colour",
            logo: "Logo",
            preview: "Preview",
            preview_heading: "Preview: not saved yet",
            save: "Save",
            saved: "The branding was saved.",
        },
    ),
    (
        &GERMAN,
        ImageWords {
            tab: "Bilder",
            name: "Anzeigename",
            colour: "Markenfarbe",
            logo: "Logo",
            preview: "Vorschau",
            preview_heading: "Vorschau: noch nicht gespeichert",
            save: "Speichern",
            saved: "Das Erscheinungsbild wurde gespeichert.",
        },
    ),
    (
        &FRENCH,
        ImageWords {
            tab: "Images",
            name: "Nom affiché",
            colour: "Couleur de la marque",
            logo: "Logo",
            preview: "Aperçu",
            preview_heading: "Aperçu : pas encore enregistré",
            save: "Enregistrer",
            saved: "L'apparence a été enregistrée.",
        },
    ),
];

/// The natural width of the first image matching `selector` once loaded (0 when
/// it did not decode).
async fn natural_width(client: &fantoccini::Client, selector: &str) -> anyhow::Result<u64> {
    let script = "const i = document.querySelector(arguments[0]); \
                  return i && i.complete ? i.naturalWidth : -1;";
    for _ in 0..100 {
        let value = client.execute(script, vec![serde_json::json!(selector)]).await?;
        match value.as_i64() {
            Some(-1) | None => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            Some(width) => return Ok(u64::try_from(width).unwrap_or(0)),
        }
    }
    Err(anyhow!("no loaded image {selector}"))
}

#[tokio::test]
async fn the_images_tab_is_used_click_by_click_in_each_language_and_the_envelope_shows_the_logo_from_disk()
-> anyhow::Result<()> {
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    let number = account.number.to_string();
    let files = tempfile::tempdir()?;
    let logo_path = files.path().join("acme-logo.png");
    std::fs::write(&logo_path, crate::images::png(900, 300)?)?;
    let logo_path = logo_path.to_str().context("a UTF-8 path")?.to_owned();

    for (language, words) in &IMAGE_WORDS {
        let client = driver.session().await?;
        let browser = in_language(&client, &app, language, "images");
        let name = format!("Acme Bank {}", language.name);
        let outcome = async {
            open_tab(&browser, &number, words.tab).await?;
            browser.fill(words.name, &name).await?;
            browser.fill(words.colour, "#1a4d8f").await?;
            browser.field(words.logo).await?.send_keys(&logo_path).await?;
            browser.click(&button(words.preview)).await?;
            browser
                .find(&format!(
                    "//h2[normalize-space()={}]",
                    crate::webdriver::literal(words.preview_heading)
                ))
                .await?;
            ensure!(
                natural_width(&client, ".preview img.brand-logo").await? == 600,
                "the preview shows the logo scaled to 600 pixels"
            );
            browser.screenshot("preview").await;
            browser.click(&button(words.save)).await?;
            browser.find(&flash(words.saved)).await?;
            let shown = browser.text("//main").await?;
            ensure!(shown.contains(&name), "the saved look names {name}: {shown}");
            ensure!(natural_width(&client, "img.brand-logo").await? == 600);
            browser.screenshot("saved").await;
            Ok(())
        }
        .await;
        browser
            .finish(outcome, format!("the Images tab in {} failed", language.name))
            .await?;
    }

    // The next message's Registered Envelope, opened from disk.
    app.add_user("bob@example.com", false).await?;
    let alice = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    alice.send_to("bob@example.com", "Statement", "Hello.", &[]).await?;
    app.deliver().await?;
    let mail = app.mail_to("bob@example.com", "")?;
    let (file_name, bytes) = mail
        .attachments
        .iter()
        .find(|(name, _)| name.ends_with(".html"))
        .context("the Registered Envelope")?;
    let saved = files.path().join(file_name);
    std::fs::write(&saved, bytes)?;
    let client = driver.session().await?;
    let outcome = async {
        client
            .goto(&format!("file://{}", saved.canonicalize()?.display()))
            .await?;
        ensure!(
            natural_width(&client, "img.logo").await? == 600,
            "the envelope's logo is decoded by the browser"
        );
        let text = client.find(fantoccini::Locator::Css("main")).await?.text().await?;
        ensure!(text.contains("Acme Bank fr"), "the envelope names the bank: {text}");
        let requests = client
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name);",
                vec![],
            )
            .await?;
        ensure!(
            requests.as_array().is_some_and(Vec::is_empty),
            "the envelope fetched {requests}"
        );
        Ok(())
    }
    .await;
    let closed = client.close().await;
    outcome?;
    closed.context("closing the WebDriver session")?;
    drop(driver);
    Ok(())
}
