//! The Audit tab at work: filters kept in the URL, pages with the total, the CSV
//! export of the same filter (neutralised against formula injection), and another
//! account's administrator, an anonymous client and a filter naming another
//! account's users reading none of it.

use anyhow::ensure;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::AuditStore as _;
use sealpost_domain::types::{AccountId, Timestamp, UserId};

use crate::helpers::{TestApp, logged_in};

async fn record(
    app: &TestApp,
    account: AccountId,
    actor: Option<UserId>,
    action: &str,
    target: &str,
    at: Timestamp,
) -> anyhow::Result<()> {
    app.store
        .record_audit(AuditEvent {
            at,
            actor,
            account_id: Some(account),
            action: action.to_owned(),
            target: target.to_owned(),
            ip: Some("198.51.100.9".to_owned()),
            outcome: "ok".to_owned(),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// The `href` of the link whose text is `text`, unescaped.
fn href_of(body: &str, text: &str) -> Option<String> {
    let anchor = body.find(&format!(">{text}</a>"))?;
    let start = body[..anchor].rfind("href=\"")? + "href=\"".len();
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&").replace("&#x3d;", "="))
}

// Alice administers Acme (60 changes by her, 30 views, a hostile target); the
// tab filters, pages and exports.
on_both_databases!(the_audit_tab_filters_pages_and_exports_the_same_rows, filters_and_pages);
async fn filters_and_pages(app: TestApp) -> anyhow::Result<()> {
    let alice = app.add_user("alice@example.com", false).await?;
    let acme = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let now = app.clock_now();
    for i in 0..60 {
        record(
            &app,
            acme.id,
            Some(alice.id),
            "group.created",
            &format!("change-{i:02}"),
            Timestamp(now.0 + i * 1000),
        )
        .await?;
    }
    for i in 0..30 {
        record(
            &app,
            acme.id,
            None,
            "message.opened",
            &format!("view-{i:02}"),
            Timestamp(now.0 + i * 1000 + 1),
        )
        .await?;
    }
    record(
        &app,
        acme.id,
        Some(alice.id),
        "group.created",
        "=HYPERLINK(\"http://evil.example\")",
        Timestamp(now.0 + 70_000),
    )
    .await?;
    let client = logged_in(&app, "alice@example.com").await?;
    let tab = format!("/admin/accounts/{}/audit", acme.number);

    // The default hides the views: the 61 changes and whatever the account's
    // creation recorded.
    let changes = app
        .store
        .list_audit(Some(acme.id), 1000)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .len()
        - 30;
    let first = client.get(&tab).await?;
    ensure!(first.status == 200, "{}", first.text());
    first.assert_shows(&format!("{changes} events match."));
    ensure!(first.shows("change-59") && !first.shows("view-"), "{}", first.text());
    ensure!(!first.shows("change-09"), "50 a page: the oldest wait on the next");
    let older = href_of(&first.body, "Older").ok_or_else(|| anyhow::anyhow!("no Older link"))?;
    ensure!(href_of(&first.body, "Newer").is_none());
    let second = client.get(&older).await?;
    second.assert_shows(&format!("{changes} events match."));
    ensure!(
        second.shows("change-09") && second.shows("change-00") && !second.shows("change-59"),
        "{older}: {}",
        second.text()
    );
    let newer = href_of(&second.body, "Newer").ok_or_else(|| anyhow::anyhow!("no Newer link"))?;
    ensure!(client.get(&newer).await?.shows("change-59"));

    // The views alone, by a kind kept in the URL and in the form.
    let views = client.get(&format!("{tab}?kind=views")).await?;
    views.assert_shows("30 events match.");
    ensure!(
        views.body.contains("<option value=\"views\" selected>"),
        "the choice is kept"
    );
    ensure!(views.shows("view-29") && !views.shows("change-"));

    // Who and dates: nobody but Alice acted, and nothing happened before today.
    let by_bob = client.get(&format!("{tab}?kind=all&who=bob")).await?;
    by_bob.assert_shows("0 events match.");
    by_bob.assert_shows("No event matches this filter.");
    ensure!(by_bob.body.contains("value=\"bob\""), "what was typed stays");
    let before = client.get(&format!("{tab}?kind=all&to=2000-01-01")).await?;
    before.assert_shows("0 events match.");
    let bad = client.get(&format!("{tab}?from=yesterday")).await?;
    bad.assert_shows("A date was not understood");

    // The export: the filter's rows, all of them, as a CSV download.
    let export = href_of(&views.body, "Download as CSV").ok_or_else(|| anyhow::anyhow!("no export link"))?;
    ensure!(export.ends_with("/audit/export?kind=views"), "{export}");
    let csv = client
        .csv_download(&export, &format!("audit-{}.csv", acme.number))
        .await?;
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    ensure!(lines.len() == 31, "a header and the 30 views: {csv}");
    ensure!(lines[0] == "\"When\",\"Who\",\"Action\",\"What\",\"Target\",\"From\",\"Outcome\"");
    ensure!(
        lines[1].contains("\"message.opened\",\"Message opened\",\"view-29\",\"198.51.100.9\",\"ok\""),
        "{}",
        lines[1]
    );

    let (_, _, all) = client.get_with_headers(&format!("{tab}/export"), &[]).await?;
    ensure!(
        all.lines().count() == changes + 1,
        "every change, not only a page: {all}"
    );
    ensure!(
        all.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "a formula is neutralised: {all}"
    );
    ensure!(!all.contains(",\"=HYPERLINK"), "no cell starts with =");
    ensure!(all.contains("\"alice@example.com\""));
    Ok(())
}

// Mallory administers Two; One's trail (Alice's changes) stays out of her reach:
// 404 on One's tab and export (filtered or not), nothing of One in her own tab
// whatever she types, and an anonymous client is sent to log in.
on_both_databases!(another_accounts_administrator_reads_none_of_the_audit_trail, isolation);
async fn isolation(app: TestApp) -> anyhow::Result<()> {
    let alice = app.add_user("alice@example.com", false).await?;
    app.add_user("mallory@example.com", false).await?;
    let one = app.add_account("One", Some("alice@example.com")).await?;
    let two = app.add_account("Two", Some("mallory@example.com")).await?;
    let now = app.clock_now();
    record(&app, one.id, Some(alice.id), "group.created", "one-secret-group", now).await?;
    record(&app, one.id, Some(alice.id), "message.opened", "one-secret-view", now).await?;
    let mallory = logged_in(&app, "mallory@example.com").await?;
    let before = app
        .store
        .list_audit(None, 1000)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .len();
    let one_tab = format!("/admin/accounts/{}/audit", one.number);
    for path in [
        one_tab.clone(),
        format!("{one_tab}?kind=all&who=alice"),
        format!("{one_tab}/export"),
        format!("{one_tab}/export?kind=all&who=alice@example.com"),
    ] {
        let (status, _, body) = mallory.get_with_headers(&path, &[]).await?;
        ensure!(status == 404, "{path}: {status}");
        ensure!(
            !body.contains("one-secret") && !body.contains("alice@"),
            "{path} leaked"
        );
    }
    let two_tab = format!("/admin/accounts/{}/audit", two.number);
    for query in ["?kind=all&who=alice", "?kind=views&who=alice@example.com", "?kind=all"] {
        let page = mallory.get(&format!("{two_tab}{query}")).await?;
        ensure!(page.status == 200);
        // (The filter field shows what Mallory typed; nothing else of One.)
        ensure!(!page.body.contains("one-secret"), "{query} leaked");
        let (_, _, csv) = mallory
            .get_with_headers(&format!("{two_tab}/export{query}"), &[])
            .await?;
        ensure!(
            !csv.contains("one-secret") && !csv.contains("alice@"),
            "{query} export leaked"
        );
    }

    let anonymous = app.client();
    for path in [one_tab.clone(), format!("{one_tab}/export")] {
        let (status, _, body) = anonymous.get_with_headers(&path, &[]).await?;
        ensure!(status == 303 || status == 404, "{path}: {status}");
        ensure!(!body.contains("one-secret"), "{path} leaked");
    }
    ensure!(
        app.store
            .list_audit(None, 1000)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .len()
            == before,
        "reading wrote nothing to the trail"
    );
    Ok(())
}

// A busy account: past 1,000 matching events the tab says "more than" instead of
// counting them all, in each language, and an exact count under it.
on_both_databases!(a_busy_audit_trail_says_more_than_1000_events_match, busy_trail);
async fn busy_trail(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    let acme = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    sqlx::query(&format!(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1200) \
         SELECT {} + n, NULL, {}, CASE WHEN n <= 7 THEN 'token.created' ELSE 'session.login' END, \
                'busy-' || n, NULL, 'ok' FROM seq",
        app.clock_now().0,
        acme.id.0
    ))
    .execute(app.store.pool())
    .await?;
    let client = logged_in(&app, "alice@example.com").await?;
    let tab = format!("/admin/accounts/{}/audit", acme.number);
    let busy = client.get(&tab).await?;
    ensure!(busy.status == 200, "{}", busy.text());
    busy.assert_shows("More than 1000 events match.");
    ensure!(busy.shows("busy-1200"), "the newest first: {}", busy.text());
    client
        .get(&format!("{tab}?kind=token"))
        .await?
        .assert_shows("7 events match.");
    for (lang, text) in [
        ("de", "Mehr als 1000 Ereignisse gefunden."),
        ("fr", "Plus de 1000 événements correspondent."),
    ] {
        client.get_in(&tab, lang).await?.assert_shows(text);
    }
    Ok(())
}
