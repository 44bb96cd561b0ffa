//! The Reports tab: a month's messages sent, recipients notified, messages opened,
//! registrations and activations, as a table, an SVG chart and CSV; other years by
//! link and by a typed year (a bad one is said so); and another account's
//! administrator, a plain member and an anonymous client reading none of it.

use anyhow::{Context as _, ensure};
use sealpost_domain::ports::YearMonth;
use sealpost_domain::types::Locale;
use sealpost_i18n::DateFormatter;

use crate::helpers::{Client, TestApp, acme, logged_in, open_account_tab};

/// The table row of `month` with its five figures, as the page writes it.
fn row(month: &str, figures: [u64; 5]) -> String {
    let cells: String = figures.iter().map(|n| format!("<td>{n}</td>")).collect();
    format!("<tr><th scope=\"row\">{month}</th>{cells}</tr>")
}

/// Alice (Acme) writes twice to Carol, who has no account yet, and once also to
/// Bob; Bob opens his; Carol registers from her envelope and activates.
async fn a_month_of_acme(app: &TestApp) -> anyhow::Result<(Client, String)> {
    let (alice, bob) = acme(app).await?;
    let first = alice
        .send_to("carol@partner.example, bob@example.com", "Offer", "the offer", &[])
        .await?;
    alice
        .send_to("carol@partner.example", "Terms", "the terms", &[])
        .await?;
    app.deliver().await?;
    let read = bob.get(&format!("/m/{first}")).await?;
    read.assert_shows("the offer");

    let carol = app.client();
    let (_, envelope) = app
        .mail_to("carol@partner.example", "Secure message from")?
        .envelope()?;
    let opened = carol.open_envelope(&envelope).await?;
    let to_message = opened.location.clone().context("the envelope leads on")?;
    let registered = carol
        .register(
            &to_message,
            "carol@partner.example",
            ("Carol", "Partner"),
            ("Green-Harbour-Lights-7", "Green-Harbour-Lights-7"),
            "",
        )
        .await?;
    registered.assert_shows("Check your mailbox");
    app.deliver().await?;
    let activation = app.link_path(
        "carol@partner.example",
        "Confirm your email address",
        "/activate?token=",
    )?;
    let used = carol.use_link(&activation, "/activate").await?;
    ensure!(used.status == 303, "{}", used.text());
    let number = app.first_account().await?.number.to_string();
    Ok((alice, number))
}

on_both_databases!(
    the_reports_tab_counts_the_month_and_offers_a_chart_and_csv,
    counts_the_month
);
async fn counts_the_month(app: TestApp) -> anyhow::Result<()> {
    let (alice, number) = a_month_of_acme(&app).await?;
    let tab = open_account_tab(&alice, &number, "reports", "Reports").await?;
    let page = alice.get(&tab).await?;
    ensure!(page.status == 200, "{}", page.text());
    let now = YearMonth::of(app.clock_now());
    let en = DateFormatter::new(Locale::En, None);
    let month = en.month(now.year, now.month).context("a month name")?;
    // Two messages, three notified recipients, one message opened (Bob's), one
    // registration and one activation (Carol's).
    let figures = [2, 3, 1, 1, 1];
    ensure!(page.body.contains(&row(&month, figures)), "{}", page.body);
    ensure!(
        page.body.contains(&format!(
            "<tr><th scope=\"row\">Total</th>{}</tr>",
            figures.iter().map(|n| format!("<td>{n}</td>")).collect::<String>()
        )),
        "the totals"
    );
    page.assert_shows(&format!("Activity in {}", now.year));
    // The chart: an image with a title and a description, a bar per figure, no script.
    ensure!(
        page.body
            .contains("role=\"img\" aria-labelledby=\"chart-title chart-desc\""),
        "{}",
        page.body
    );
    ensure!(page.body.contains(&format!(
        "<title id=\"chart-title\">Activity per month in {}</title>",
        now.year
    )));
    ensure!(page.body.contains(&format!("<title>{month}: Messages sent 2</title>")));
    ensure!(page.body.contains(&format!("<title>{month}: Activations 1</title>")));
    ensure!(!page.body.contains("<script"), "no script");
    ensure!(page.body.contains("aria-current=\"page\">Reports</a>"));

    // The year before: nothing, said in words, and a link back.
    let previous = alice.get(&format!("{tab}?year={}", now.year - 1)).await?;
    previous.assert_shows(&format!("Nothing was sent and nobody registered in {}.", now.year - 1));
    ensure!(previous.body.contains(&format!("Next year ({})", now.year)));
    ensure!(!previous.body.contains("<rect x="), "no bars for an empty year");

    // The CSV of the same figures.
    let csv = alice
        .csv_download(
            &format!("{tab}/export?year={}", now.year),
            &format!("report-{number}-{}.csv", now.year),
        )
        .await?;
    let mut lines = csv.split("\r\n");
    ensure!(
        lines.next()
            == Some(
                "\"Account\",\"Month (YYYY-MM)\",\"Month\",\"Messages sent\",\"Recipients notified\",\
                 \"Messages opened\",\"Registrations\",\"Activations\""
            ),
        "{csv}"
    );
    ensure!(
        csv.contains(&format!(
            "\"Acme Corp\",\"{}\",\"{month}\",\"2\",\"3\",\"1\",\"1\",\"1\"\r\n",
            now.iso()
        )),
        "{csv}"
    );
    ensure!(
        lines.count() == usize::from(now.month) + 1,
        "a line a month so far: {csv}"
    );
    Ok(())
}

on_both_databases!(
    a_bad_year_is_said_so_with_what_was_typed_and_hostile_queries_get_no_error,
    bad_years
);
async fn bad_years(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let number = app.first_account().await?.number.to_string();
    let tab = format!("/admin/accounts/{number}/reports");
    let year = YearMonth::of(app.clock_now()).year;

    let typo = alice.get(&format!("{tab}?year=20x6")).await?;
    ensure!(typo.status == 200, "{}", typo.text());
    typo.assert_shows(&format!(
        "The year \"20x6\" cannot be shown; enter a year from 2000 to {year}. Showing {year} instead."
    ));
    ensure!(typo.body.contains("value=\"20x6\""), "what was typed stays");
    let future = alice.get(&format!("{tab}?year={}", year + 1)).await?;
    future.assert_shows("cannot be shown");

    let huge = "9".repeat(4_000);
    for query in [
        format!("?year={huge}"),
        "?year=%00%FF".to_owned(),
        "?year[]=1&year=2&year=3".to_owned(),
        "?year=-2026".to_owned(),
        "?year=<script>alert(1)</script>".to_owned(),
    ] {
        let answer = alice.get(&format!("{tab}{query}")).await?;
        ensure!(
            answer.status == 200,
            "{}: {}",
            &query[..query.len().min(40)],
            answer.status
        );
        ensure!(!answer.body.contains("<script>alert"), "{query}: escaped");
        ensure!(
            !answer.body.contains(&format!("value=\"{}", &huge[..17])),
            "a huge year is cut in the field"
        );
        answer.assert_shows(&format!("Activity in {year}"));
        let export = alice.status(&format!("{tab}/export{query}")).await?;
        ensure!(export == 200, "{query}: export {export}");
    }
    // Longer than the server reads: refused before any page, never a server error.
    let refused = alice.status(&format!("{tab}?year={}", "9".repeat(40_000))).await?;
    ensure!(refused < 500, "{refused}");
    Ok(())
}

on_both_databases!(
    another_accounts_administrator_a_member_and_a_stranger_read_no_report_and_operators_read_any,
    isolation
);
async fn isolation(app: TestApp) -> anyhow::Result<()> {
    let (alice, number) = a_month_of_acme(&app).await?;
    app.add_user("tom@two.example", false).await?;
    let two = app
        .add_account("=HYPERLINK(\"http://evil.example\")", Some("tom@two.example"))
        .await?;
    app.add_user("member@example.com", false).await?;
    let tom = logged_in(&app, "tom@two.example").await?;
    let tab = format!("/admin/accounts/{number}/reports");
    let year = YearMonth::of(app.clock_now()).year;
    for path in [
        tab.clone(),
        format!("{tab}?year={year}"),
        format!("{tab}/export"),
        format!("{tab}/export?year={year}"),
    ] {
        let answer = tom.get(&path).await?;
        ensure!(answer.status == 404, "{path}: {}", answer.status);
        for secret in ["Acme", "Messages sent", "\"2\"", "<td>2</td>"] {
            ensure!(
                !answer.body.contains(secret),
                "{path} leaked {secret}: {}",
                answer.text()
            );
        }
        let anonymous = app.client().get(&path).await?;
        ensure!(
            anonymous.status == 303 && !anonymous.body.contains("Acme"),
            "{path}: {}",
            anonymous.status
        );
    }
    let member = app.client();
    let answer = member.login("member@example.com", crate::helpers::PASSWORD).await?;
    ensure!(answer.status == 303);
    ensure!(member.status(&tab).await? != 200, "a user who administers nothing");

    // Tom's own report: his account's name is a formula, and the CSV defuses it.
    let own = tom.get(&format!("/admin/accounts/{}/reports", two.number)).await?;
    ensure!(own.status == 200, "{}", own.text());
    own.assert_shows(&format!("Nothing was sent and nobody registered in {year}."));
    let (_, csv) = tom
        .bytes(&format!("/admin/accounts/{}/reports/export", two.number))
        .await?;
    let csv = String::from_utf8(csv)?;
    ensure!(
        csv.contains("\r\n\"'=HYPERLINK(\"\"http://evil.example\"\")\",\""),
        "quoted and neutralised: {csv}"
    );

    // Alice's figures did not move, and an operator reads them too.
    let still = alice.get(&tab).await?;
    ensure!(
        still
            .body
            .contains("<td>2</td><td>3</td><td>1</td><td>1</td><td>1</td></tr>")
    );
    app.make_operator("tom@two.example").await?;
    let operator = logged_in(&app, "tom@two.example").await?;
    let seen = operator.get(&tab).await?;
    ensure!(seen.status == 200, "{}", seen.text());
    ensure!(
        seen.body
            .contains("<td>2</td><td>3</td><td>1</td><td>1</td><td>1</td></tr>")
    );
    Ok(())
}
