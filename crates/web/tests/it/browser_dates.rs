//! Dates in a real browser: a recipient chooses their language and time zone on
//! `/me`, and the Inbox and the message read like dates of that language in that
//! zone. And the recipient's path on a phone (390 x 844): the header is one row and
//! no page scrolls sideways.

use anyhow::{Context as _, ensure};
use fantoccini::Client;

use crate::browser::{ENGLISH, FRENCH, GERMAN, Language};
use crate::helpers::{Db, PASSWORD, TestApp, logged_in};
use crate::webdriver::{self, ChromeDriver, button, fold, label};

/// 2026-12-03 21:49:30 UTC: 22:49 in Berlin and Paris, 16:49 in New York.
const AT: i64 = 1_796_334_570_000;

/// What one language's reader does on `/me` and then reads.
struct DateCase {
    browser_language: &'static str,
    login: &'static Language,
    language_label: &'static str,
    language: &'static str,
    time_zone_label: &'static str,
    time_zone: &'static str,
    saved: &'static str,
    /// The sending time as this reader should read it (whitespace folded).
    expected: &'static str,
}

const CASES: [DateCase; 3] = [
    DateCase {
        browser_language: "en-US",
        login: &ENGLISH,
        language_label: "Sprache",
        language: "Deutsch",
        time_zone_label: "Zeitzone",
        time_zone: "Europe/Berlin",
        saved: "Ihre Einstellungen wurden gespeichert.",
        expected: "3. Dezember 2026 um 22:49",
    },
    DateCase {
        browser_language: "en-US",
        login: &ENGLISH,
        language_label: "Langue",
        language: "Français",
        time_zone_label: "Fuseau horaire",
        time_zone: "Europe/Paris",
        saved: "Vos paramètres ont été enregistrés.",
        expected: "3 décembre 2026 à 22:49",
    },
    DateCase {
        browser_language: "de-DE",
        login: &GERMAN,
        language_label: "Language",
        language: "English",
        time_zone_label: "Time zone",
        time_zone: "America/New_York",
        saved: "Your settings were saved.",
        expected: "December 3, 2026 at 4:49 PM",
    },
];

/// Alice sends Bob a message at [`AT`]; returns its id.
async fn message_at_fixed_time(app: &TestApp) -> anyhow::Result<String> {
    let now = app.clock_now();
    app.clock
        .advance_seconds(sealpost_domain::types::Timestamp(AT).seconds_since(now));
    app.add_user("alice@example.com", false).await?;
    app.add_user("bob@example.com", false).await?;
    app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let alice = logged_in(app, "alice@example.com").await?;
    alice
        .send_to("bob@example.com", "Quarterly figures", "See you.", &[])
        .await
}

#[tokio::test]
async fn dates_read_like_german_french_and_english_dates_in_the_readers_time_zone() -> anyhow::Result<()> {
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(());
    };
    for case in &CASES {
        let Some(app) = TestApp::spawn(Db::Sqlite).await? else {
            return Ok(());
        };
        let id = message_at_fixed_time(&app).await?;
        let client = driver.session_in(case.browser_language).await?;
        let outcome = reads_dates(&client, &app, case, &id).await;
        if outcome.is_err() {
            webdriver::Browser {
                client: &client,
                base: &app.base,
                shots: format!("dates-{}", case.time_zone.replace('/', "-")),
            }
            .screenshot("failure")
            .await;
        }
        client.close().await.ok();
        outcome.with_context(|| format!("reading dates in {}", case.time_zone))?;
    }
    Ok(())
}

async fn reads_dates(client: &Client, app: &TestApp, case: &DateCase, id: &str) -> anyhow::Result<()> {
    let browser = webdriver::Browser {
        client,
        base: &app.base,
        shots: format!("dates-{}", case.time_zone.replace('/', "-")),
    };
    browser.goto("/portal/login").await?;
    browser.fill(case.login.login_email, "bob@example.com").await?;
    browser.fill(case.login.login_password, PASSWORD).await?;
    browser.click(&button(case.login.log_in)).await?;
    browser.find("//header//a[@class='who']").await?;
    // The header's address leads to the self page.
    browser.click("//header//a[@class='who']").await?;
    ensure!(browser.path().await? == "/me", "{}", browser.describe().await);
    let language = browser.field(&label_of(case.login, "language")).await?;
    language.select_by_label(case.language).await?;
    let zone = browser.field(&label_of(case.login, "zone")).await?;
    zone.select_by_value(case.time_zone).await?;
    browser.click(&button(case.login.save)).await?;
    browser.find(&webdriver::flash(case.saved)).await?;
    // The page now speaks the chosen language.
    browser.find(&label(case.language_label)).await?;
    browser.find(&label(case.time_zone_label)).await?;

    browser.goto("/portal/inbox").await?;
    let inbox = fold(&browser.text("//main").await?);
    ensure!(inbox.contains("Quarterly figures"), "{inbox}");
    ensure!(
        inbox.contains(case.expected),
        "the Inbox should show {:?}: {inbox}",
        case.expected
    );
    ensure!(!inbox.contains("UTC") && !inbox.contains("2026-12-03"), "{inbox}");
    browser.screenshot("inbox").await;

    browser.goto(&format!("/m/{id}")).await?;
    let message = fold(&browser.text("//main").await?);
    ensure!(message.contains("See you."), "{message}");
    ensure!(
        message.contains(case.expected),
        "the message should show {:?}: {message}",
        case.expected
    );
    browser.screenshot("message").await;
    Ok(())
}

/// The label of the language or time zone field on `/me`, in the login language.
fn label_of(login: &Language, field: &str) -> String {
    match (login.tag, field) {
        ("de", "language") => "Sprache",
        ("de", _) => "Zeitzone",
        (_, "language") => "Language",
        _ => "Time zone",
    }
    .to_owned()
}

#[tokio::test]
async fn on_a_phone_the_header_is_one_row_and_the_recipients_pages_do_not_scroll_sideways() -> anyhow::Result<()> {
    let Some(driver) = ChromeDriver::start().await? else {
        return Ok(());
    };
    let Some(app) = TestApp::spawn(Db::Sqlite).await? else {
        return Ok(());
    };
    let id = message_at_fixed_time(&app).await?;
    app.deliver().await?;
    let (file_name, envelope) = app.mail_to("bob@example.com", "")?.envelope()?;
    let envelope_path = app.dir.path().join(file_name);
    std::fs::write(&envelope_path, envelope)?;
    // French: the longest words of the three languages.
    let client = driver.session_sized("fr-FR", Some((390, 844))).await?;
    let outcome = phone_pages(&client, &app, &id, &envelope_path).await;
    client.close().await.ok();
    outcome
}

async fn phone_pages(client: &Client, app: &TestApp, id: &str, envelope: &std::path::Path) -> anyhow::Result<()> {
    let browser = webdriver::Browser {
        client,
        base: &app.base,
        shots: "phone".to_owned(),
    };
    // The envelope, opened from disk: its own page, no sideways scrolling.
    client
        .goto(&format!("file://{}", envelope.canonicalize()?.display()))
        .await?;
    fits(&browser, "envelope", false).await?;
    let register = format!("/register?email=bob%40example.com&next=%2Fm%2F{id}");
    for (step, path) in [("login", "/portal/login"), ("register", register.as_str())] {
        browser.goto(path).await?;
        fits(&browser, step, true).await?;
    }
    browser.goto("/portal/login").await?;
    browser.fill(FRENCH.login_email, "bob@example.com").await?;
    browser.fill(FRENCH.login_password, PASSWORD).await?;
    browser.click(&button(FRENCH.log_in)).await?;
    browser.find("//header//a[@class='who']").await?;
    // Note: in this setup the reply answers "the sender does not allow it" (see the
    // report); the page measured is that refusal, not the reply form.
    let reply = format!("/portal/compose?reply={id}&kind=reply");
    let read = format!("/m/{id}");
    for (step, path) in [
        ("read", read.as_str()),
        ("reply", reply.as_str()),
        ("inbox", "/portal/inbox"),
        ("me", "/me"),
    ] {
        browser.goto(path).await?;
        fits(&browser, step, true).await?;
    }
    Ok(())
}

/// The page fits a phone: no sideways scrolling, and (pages with the header) a
/// header of one row.
async fn fits(browser: &webdriver::Browser<'_>, step: &str, has_header: bool) -> anyhow::Result<()> {
    browser.find("//body").await?;
    browser.screenshot(step).await;
    let measured = browser
        .client
        .execute(
            "const h = document.querySelector('header.top');\
             return [h ? h.getBoundingClientRect().height : 0,\
                     document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await?;
    let numbers: Vec<f64> = measured
        .as_array()
        .context("the script answered no list")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    let [header, scroll_width, width] = numbers[..] else {
        anyhow::bail!("unexpected measurement {measured}");
    };
    ensure!(width <= 400.0, "{step}: the window is {width} px wide, not a phone's");
    ensure!(
        scroll_width <= width,
        "{step}: the page is {scroll_width} px wide on a {width} px screen; {}",
        browser.describe().await
    );
    if has_header {
        ensure!(
            header > 0.0 && header < 64.0,
            "{step}: the header is {header} px high (more than one row)"
        );
    }
    Ok(())
}
