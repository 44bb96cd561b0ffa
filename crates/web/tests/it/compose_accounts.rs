//! A sender who belongs to several accounts chooses the account first; Compose
//! then offers that account's envelope profiles (not the first account's), and
//! the message leaves with the profile chosen.

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::messages::PublicId;

use crate::helpers::{TestApp, acme};

on_both_databases!(
    compose_offers_the_profiles_of_the_account_the_sender_chose,
    chosen_account
);
async fn chosen_account(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    let acme_corp = app.first_account().await?;
    let globex = app.add_account("Globex", Some("alice@example.com")).await?;
    for (account, name) in [(&acme_corp, "Acme partners"), (&globex, "Globex board")] {
        let tab = format!("/admin/accounts/{}/profiles", account.number);
        let fields = [
            ("name", name),
            ("security", "high"),
            ("allow_reply", "on"),
            ("recipient_locale", "en"),
        ];
        let created = alice.submit(&tab, &tab, &fields).await?;
        ensure!(created.status == 303, "{}", created.text());
    }
    let first = alice.get("/portal/compose").await?;
    first.assert_shows("Use this account");
    let globex_page = alice.get(&format!("/portal/compose?account={}", globex.number)).await?;
    ensure!(
        globex_page.shows("Globex board") && !globex_page.shows("Acme partners"),
        "{}",
        globex_page.text()
    );
    ensure!(
        globex_page
            .body
            .contains(&format!(r#"name="account" value="{}""#, globex.number)),
        "the form sends from Globex"
    );
    let board = app
        .account_profile_id("alice@example.com", globex.number, "Globex board")
        .await?;
    let number = globex.number.to_string();
    let id = alice
        .send_to(
            "bob@example.com",
            "From Globex",
            "Board matters",
            &[("account", number.as_str()), ("profile", board.as_str())],
        )
        .await?;
    let stored = app
        .store_port()
        .message(&PublicId::parse(&id).context("id")?)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(stored.account_id == globex.id && stored.profile_id.map(|p| p.to_string()) == Some(board));
    // An unknown number falls back to the first account, offering its profiles.
    let unknown = alice.get("/portal/compose?account=1").await?;
    ensure!(
        unknown.status == 200 && unknown.shows("Globex board") != unknown.shows("Acme partners"),
        "{}",
        unknown.text()
    );
    // Another organisation's number, typed by hand, shows nothing of it: its
    // profiles are not offered and a message cannot leave from it.
    let ivan = app.add_user("ivan@initech.example", false).await?;
    let initech = app.add_account("Initech", Some(ivan.email.as_str())).await?;
    let ivan_client = crate::helpers::logged_in(&app, "ivan@initech.example").await?;
    let tab = format!("/admin/accounts/{}/profiles", initech.number);
    let fields = [
        ("name", "Initech merger"),
        ("security", "high"),
        ("recipient_locale", "en"),
    ];
    ensure!(ivan_client.submit(&tab, &tab, &fields).await?.status == 303);
    let foreign = alice
        .get(&format!("/portal/compose?account={}", initech.number))
        .await?;
    ensure!(
        foreign.status == 200 && !foreign.shows("Initech merger") && !foreign.shows("Initech"),
        "{}",
        foreign.text()
    );
    let forged = alice
        .compose(
            &[
                ("account", &initech.number.to_string()),
                ("to", "bob@example.com"),
                ("subject", "From Initech?"),
                ("body", "Forged"),
            ],
            &[],
        )
        .await?;
    if let Some(id) = forged.sent_id() {
        let stored = app
            .store_port()
            .message(&PublicId::parse(id).context("id")?)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
        ensure!(
            stored.account_id != initech.id,
            "a message left from an account its sender is not in"
        );
    }
    Ok(())
}
