//! The Reports tab in a real browser, in English, German and French: reached as
//! the procedure reaches a tab; the month written by ICU in the reader's language
//! ("Dezember 2026"), the chart an image with its title, and the previous year
//! one link away.

use anyhow::{Context as _, ensure};
use sealpost_domain::ports::YearMonth;
use sealpost_i18n::DateFormatter;

use crate::browser::{ENGLISH, FRENCH, GERMAN, Language};
use crate::browser_tabs::{acme_and_a_browser, in_language, open_tab};
use crate::helpers::logged_in;
use crate::webdriver::{link, literal};

/// A language's words for the tab.
struct Words {
    language: &'static Language,
    locale: sealpost_domain::types::Locale,
    tab: &'static str,
    chart_title: &'static str,
    previous: &'static str,
    nothing: &'static str,
}

#[tokio::test]
async fn the_reports_tab_names_the_months_in_the_readers_language() -> anyhow::Result<()> {
    use sealpost_domain::types::Locale;
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    let alice = logged_in(&app, "alice@example.com").await?;
    alice
        .send_to("carol@partner.example", "Offer", "the offer", &[])
        .await?;
    alice.send_to("dave@partner.example", "Terms", "the terms", &[]).await?;
    app.deliver().await?;
    let number = account.number.to_string();
    let now = YearMonth::of(app.clock_now());
    let year = now.year.to_string();
    let last = (now.year - 1).to_string();

    for words in [
        Words {
            language: &ENGLISH,
            locale: Locale::En,
            tab: "Reports",
            chart_title: "Activity per month in {year}",
            previous: "Previous year ({last})",
            nothing: "Nothing was sent and nobody registered in {last}.",
        },
        Words {
            language: &GERMAN,
            locale: Locale::De,
            tab: "Berichte",
            chart_title: "Aktivität pro Monat {year}",
            previous: "Voriges Jahr ({last})",
            nothing: "{last} wurde nichts gesendet und niemand hat sich registriert.",
        },
        Words {
            language: &FRENCH,
            locale: Locale::Fr,
            tab: "Rapports",
            chart_title: "Activité par mois en {year}",
            previous: "Année précédente ({last})",
            nothing: "Rien n'a été envoyé et personne ne s'est inscrit en {last}.",
        },
    ] {
        let fill = |text: &str| text.replace("{year}", &year).replace("{last}", &last);
        let month = DateFormatter::new(words.locale, None)
            .month(now.year, now.month)
            .context("a month name")?;
        let client = driver.session().await?;
        let browser = in_language(&client, &app, words.language, "reports");
        let outcome = async {
            open_tab(&browser, &number, words.tab).await?;
            // This month's row: its name as the reader writes it, two messages sent.
            let row = format!(
                "//table[@id='report-table']//tr[th[normalize-space()={}]]/td",
                literal(&month)
            );
            let cells = browser.texts(&row).await?;
            ensure!(
                cells.len() == 5 && cells[0] == "2" && cells[1] == "2",
                "{month}: {cells:?}"
            );
            // The chart's title is not drawn: read what assistive technology reads.
            let title = browser
                .find("//*[local-name()='svg' and @role='img']/*[local-name()='title']")
                .await?
                .prop("textContent")
                .await?
                .unwrap_or_default();
            ensure!(title == fill(words.chart_title), "the chart's title: {title:?}");
            browser.screenshot("year").await;
            browser.click(&link(&fill(words.previous))).await?;
            browser
                .find(&format!("//p[normalize-space()={}]", literal(&fill(words.nothing))))
                .await?;
            // Last year's page has three pager links (both years and the CSV): each
            // a target of at least 24 by 24 pixels (WCAG 2.5.8).
            let script = "return [...document.querySelectorAll('nav.pager a')]\
                          .map(a => { const r = a.getBoundingClientRect(); return [r.width, r.height]; });";
            let sizes: Vec<(f64, f64)> = serde_json::from_value(browser.client.execute(script, vec![]).await?)?;
            ensure!(
                sizes.len() == 3 && sizes.iter().all(|&(w, h)| w >= 24.0 && h >= 24.0),
                "pager link sizes: {sizes:?}"
            );
            anyhow::Ok(())
        }
        .await;
        browser
            .finish(outcome, format!("the Reports tab in {}", words.language.name))
            .await?;
    }
    drop(driver);
    Ok(())
}
