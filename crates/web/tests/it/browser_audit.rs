//! The Audit tab in a real browser: reached as the procedure reaches a tab, filtered
//! with the form (no script: a GET form, the filter in the URL) and paged, in
//! English; the German labels of the same form.

use anyhow::ensure;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::AuditStore as _;
use sealpost_domain::types::Timestamp;

use crate::browser::{ENGLISH, GERMAN};
use crate::browser_tabs::{acme_and_a_browser, in_language, open_tab};
use crate::webdriver::{button, link};

/// The line with the total, once it says `text`.
fn total_is(text: &str) -> String {
    format!("//*[@id='audit-total' and starts-with(normalize-space(), '{text}')]")
}

#[tokio::test]
async fn the_audit_tab_is_filtered_and_paged_in_a_browser() -> anyhow::Result<()> {
    let Some((app, driver, account)) = acme_and_a_browser().await? else {
        return Ok(());
    };
    let alice = app.user("alice@example.com").await?;
    let now = app.clock_now();
    for (i, action) in (0..70).map(|i| (i, if i % 10 == 0 { "message.opened" } else { "group.created" })) {
        app.store
            .record_audit(AuditEvent {
                at: Timestamp(now.0 + i * 1000),
                actor: (action != "message.opened").then_some(alice.id),
                account_id: Some(account.id),
                action: action.to_owned(),
                target: format!("event-{i:02}"),
                ip: None,
                outcome: "ok".to_owned(),
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let number = account.number.to_string();

    let client = driver.session().await?;
    let browser = in_language(&client, &app, &ENGLISH, "audit");
    let outcome = async {
        open_tab(&browser, &number, "Audit").await?;
        browser.fill("Who", "alice").await?;
        browser
            .field("What")
            .await?
            .select_by_label("Groups and members")
            .await?;
        browser.click(&button("Filter")).await?;
        // 63 groups created by Alice: a page of 50 and the 13 older ones (waiting
        // for the filtered page: the unfiltered one says 64).
        browser.find(&total_is("63 events match.")).await?;
        let url = client.current_url().await?;
        ensure!(
            url.query()
                .is_some_and(|q| q.contains("who=alice") && q.contains("kind=group")),
            "the filter is in the URL: {url}"
        );
        ensure!(browser.value("Who").await? == "alice", "the filter stays in the form");
        let cells = browser.texts("//table//tr/td[4]").await?;
        ensure!(cells.len() == 50 && cells[0] == "event-69", "{cells:?}");
        ensure!(
            !cells.iter().any(|c| c == "event-60"),
            "no views among groups: {cells:?}"
        );
        browser.screenshot("filtered").await;
        browser.click(&link("Older")).await?;
        browser.find("//td[normalize-space()='event-01']").await?;
        let older = browser.texts("//table//tr/td[4]").await?;
        ensure!(older.len() == 13, "{older:?}");
        browser.find(&total_is("63 events match.")).await?;
        browser.click(&link("Newer")).await?;
        browser.find("//td[normalize-space()='event-69']").await?;
        browser.screenshot("paged").await;
        anyhow::Ok(())
    }
    .await;
    browser.finish(outcome, "the Audit tab in English").await?;

    let client = driver.session().await?;
    let browser = in_language(&client, &app, &GERMAN, "audit");
    let outcome = async {
        open_tab(&browser, &number, "Protokoll").await?;
        browser.field("Wer").await?;
        browser
            .field("Was")
            .await?
            .select_by_label("Nachrichtenaufrufe")
            .await?;
        browser.click(&button("Filtern")).await?;
        browser.find(&total_is("7 Ereignisse gefunden.")).await?;
        browser.find(&link("Als CSV herunterladen")).await?;
        anyhow::Ok(())
    }
    .await;
    browser.finish(outcome, "the Audit tab in German").await?;
    drop(driver);
    Ok(())
}
