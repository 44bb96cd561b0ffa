//! The Messages tab's filters (sender, recipient, dates, state; paging with the
//! total), locking a message through its confirmation step, and the search of
//! Inbox and Sent; with refused input kept and said, hostile query strings
//! answered without an error page, and another account's administrator reading
//! and changing nothing.

use anyhow::ensure;

use crate::helpers::{TestApp, acme, logged_in};

/// The `href` of the link whose text is `text`, unescaped.
fn href_of(body: &str, text: &str) -> Option<String> {
    let anchor = body.find(&format!(">{text}</a>"))?;
    let start = body[..anchor].rfind("href=\"")? + "href=\"".len();
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&").replace("&#x3d;", "="))
}

on_both_databases!(
    the_messages_tab_filters_by_sender_recipient_dates_and_state_and_locks_after_confirming,
    filters_and_locks
);
async fn filters_and_locks(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let number = app.first_account().await?.number.to_string();
    let to_carol = alice.send_to("carol@partner.example", "One", "one", &[]).await?;
    alice.send_to("dave@partner.example", "Two", "two", &[]).await?;
    alice
        .send_to("carol@partner.example, dave@partner.example", "Three", "three", &[])
        .await?;
    let tab = format!("/admin/accounts/{number}/messages");

    let all = alice.get(&tab).await?;
    all.assert_shows("3 messages match.");
    let by_alice = alice.get(&format!("{tab}?sender=ALICE")).await?;
    by_alice.assert_shows("3 messages match.");
    ensure!(by_alice.body.contains("value=\"ALICE\""), "what was typed stays");
    let to_carol_list = alice.get(&format!("{tab}?recipient=carol")).await?;
    to_carol_list.assert_shows("2 messages match.");
    ensure!(!to_carol_list.body.contains(">dave@partner.example</td>"));
    let nobody = alice.get(&format!("{tab}?sender=nobody")).await?;
    nobody.assert_shows("0 messages match.");
    nobody.assert_shows("No message matches this filter.");
    let wildcard = alice.get(&format!("{tab}?recipient=%25")).await?;
    wildcard.assert_shows("0 messages match.");

    // Dates: today holds all three, a day long past none; a date that is not one
    // is said so, kept, and left out.
    let today = sealpost_domain::services::audit::iso_utc(app.clock_now());
    let today = &today[..10];
    alice
        .get(&format!("{tab}?from={today}&to={today}"))
        .await?
        .assert_shows("3 messages match.");
    alice
        .get(&format!("{tab}?to=2000-01-01"))
        .await?
        .assert_shows("0 messages match.");
    let bad = alice.get(&format!("{tab}?from=yesterday")).await?;
    ensure!(bad.status == 200);
    bad.assert_shows("A date was not understood and was left out");
    bad.assert_shows("3 messages match.");
    ensure!(bad.body.contains("value=\"yesterday\""));
    let long = "x".repeat(300);
    let huge = alice.get(&format!("{tab}?sender={long}")).await?;
    ensure!(huge.status == 200);
    huge.assert_shows("longer than an address can be (254 characters) was left out");
    ensure!(huge.body.contains(&format!("value=\"{long}\"")), "kept as typed");

    // Locking goes through a confirmation with a labelled reason and button.
    let message = format!("{tab}/{to_carol}");
    let page = alice.get(&message).await?;
    ensure!(
        page.body
            .contains(&format!("<form method=\"get\" action=\"{message}/lock\"")),
        "{}",
        page.body
    );
    let lock = format!("{message}/lock");
    let confirm = alice.get(&lock).await?;
    ensure!(confirm.status == 200, "{}", confirm.text());
    confirm.assert_shows("Lock this message?");
    confirm.assert_shows("alice@example.com");
    ensure!(
        confirm
            .body
            .contains("<label for=\"reason\">Reason shown to recipients</label>")
    );
    ensure!(
        confirm
            .body
            .contains("<button type=\"submit\" class=\"danger\">Lock message</button>")
    );
    ensure!(!confirm.body.contains("<script"));
    let empty = alice.submit(&lock, &lock, &[("reason", "  ")]).await?;
    ensure!(empty.status == 422, "{}", empty.status);
    confirm.assert_shows("Lock this message?");
    let forged = alice.post_raw(&lock, &[("reason", "forged")]).await?;
    ensure!(forged.status != 303, "no CSRF token, no lock");
    alice
        .get(&format!("{tab}?state=locked"))
        .await?
        .assert_shows("0 messages match.");
    let locked = alice.submit(&lock, &lock, &[("reason", "Sent by mistake")]).await?;
    ensure!(locked.status == 303, "{}", locked.text());
    alice.get(&message).await?.assert_shows("The message is locked.");
    alice
        .get(&format!("{tab}?state=locked"))
        .await?
        .assert_shows("1 message matches.");
    let open = alice.get(&format!("{tab}?state=open")).await?;
    open.assert_shows("2 messages match.");
    ensure!(
        open.body.contains("<option value=\"open\" selected>"),
        "the choice is kept"
    );

    // Hostile query strings: the page, never an error page.
    for query in [
        "?state=<script>alert(1)</script>",
        "?before=abc&before=1",
        "?sender=%00%FF&recipient=%E2%80%AE",
        "?from[]=x&to=9999-99-99",
        "?sender=%27%20OR%201%3D1%20--",
        "?before=-9223372036854775808",
    ] {
        let answer = alice.get(&format!("{tab}{query}")).await?;
        ensure!(answer.status == 200, "{query}: {}", answer.status);
        ensure!(!answer.body.contains("<script>alert"), "{query}");
    }

    // Account Two's administrator: 404 for the list, the confirmation and the
    // lock, and the message stays as it was.
    app.add_user("tom@two.example", false).await?;
    let two = app.add_account("Two Bank", Some("tom@two.example")).await?;
    let tom = logged_in(&app, "tom@two.example").await?;
    for path in [
        format!("{tab}?sender=alice"),
        format!("{tab}/{to_carol}/lock"),
        format!("{tab}/{to_carol}"),
    ] {
        let answer = tom.get(&path).await?;
        ensure!(answer.status == 404, "{path}: {}", answer.status);
        ensure!(!answer.body.contains("alice@example.com") && !answer.body.contains("carol@"));
    }
    let others = alice.get(&format!("{tab}?state=open")).await?;
    let second = others
        .body
        .split(&format!("href=\"{tab}/"))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let tom_page = format!("/admin/accounts/{}", two.number);
    let tried = tom
        .submit(&tom_page, &format!("{tab}/{second}/lock"), &[("reason", "not yours")])
        .await?;
    ensure!(tried.status == 404, "{}", tried.status);
    alice
        .get(&format!("{tab}?state=locked"))
        .await?
        .assert_shows("1 message matches.");
    Ok(())
}

on_both_databases!(
    inbox_and_sent_are_searched_by_subject_sender_and_recipient_and_paged_with_a_total,
    mailbox_search
);
async fn mailbox_search(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    alice
        .send_to("bob@example.com", "Quarterly report", "numbers", &[])
        .await?;
    alice.send_to("bob@example.com", "Lunch", "pizza", &[]).await?;
    for i in 0..50 {
        alice
            .send_to("carol@partner.example", &format!("Batch {i:02}"), "x", &[])
            .await?;
    }

    let inbox = bob.get("/portal/inbox").await?;
    inbox.assert_shows("2 messages match.");
    let found = bob.get("/portal/inbox?q=QUARTERLY").await?;
    found.assert_shows("1 message matches.");
    ensure!(
        found.shows("Quarterly report") && !found.shows("Lunch"),
        "{}",
        found.text()
    );
    ensure!(found.body.contains("value=\"QUARTERLY\""), "kept as typed");
    bob.get("/portal/inbox?q=alice@")
        .await?
        .assert_shows("2 messages match.");
    let none = bob.get("/portal/inbox?q=zzz").await?;
    none.assert_shows("0 messages match.");
    none.assert_shows("No message matches this filter.");

    // Sent: 52 messages, 50 a page.
    let sent = alice.get("/portal/sent").await?;
    sent.assert_shows("52 messages match.");
    let next = href_of(&sent.body, "Next page").ok_or_else(|| anyhow::anyhow!("no next page"))?;
    let second = alice.get(&next).await?;
    second.assert_shows("Quarterly report");
    second.assert_shows("Lunch");
    ensure!(!second.shows("Batch 49"));
    let batch = alice.get("/portal/sent?q=batch").await?;
    batch.assert_shows("50 messages match.");
    ensure!(
        href_of(&batch.body, "Next page").is_none(),
        "one full page, nothing after"
    );
    let to_bob = alice.get("/portal/sent?q=bob%40example").await?;
    to_bob.assert_shows("2 messages match.");

    for query in [
        "?q=%00",
        "?q=%FF%FE",
        "?before=x",
        "?q[]=1",
        &format!("?q={}", "y".repeat(5000)),
    ] {
        let answer = bob.get(&format!("/portal/inbox{query}")).await?;
        ensure!(answer.status == 200, "{query}: {}", answer.status);
    }
    Ok(())
}
