//! The Features tab: reached as the seed procedure reaches a tab (Accounts → the
//! account number → the tab) in each language, and obeyed on every path: a
//! switched-off answer or compose is refused even when the form is forged, and
//! nothing is sent.

use anyhow::{Context as _, ensure};

use crate::helpers::{TestApp, acme, logged_in, open_account_tab, remember_on_the_way_to, send_each_to_bob, sent_id};

/// The tab's name and its four glossary switches, in one language.
const LABELS: [(&str, [&str; 5]); 3] = [
    (
        "en",
        [
            "Features",
            "Secure Compose",
            "Secure Reply",
            "Secure Reply All",
            "Secure Forward",
        ],
    ),
    (
        "de",
        [
            "Funktionen",
            "Sicheres Verfassen",
            "Sichere Antwort",
            "Sichere Antwort an alle",
            "Sichere Weiterleitung",
        ],
    ),
    (
        "fr",
        [
            "Fonctionnalités",
            "Rédaction sécurisée",
            "Réponse sécurisée",
            "Réponse sécurisée à tous",
            "Transfert sécurisé",
        ],
    ),
];

const SWITCHED_OFF: &str = "Your organisation has switched this off for its secure messages.";

/// The switches as the Features form would send them, all ticked but `off`.
fn ticked_but(off: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    [
        "secure_compose",
        "secure_reply",
        "secure_reply_all",
        "secure_forward",
        "read_receipts",
        "remember_devices",
    ]
    .into_iter()
    .filter(|name| !off.contains(name))
    .map(|name| (name, "on"))
    .collect()
}

on_both_databases!(
    the_features_tab_speaks_each_language_and_is_obeyed_on_every_path,
    features
);
async fn features(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let account = app.first_account().await?;
    let number = account.number.to_string();

    for (lang, [tab, compose, reply, reply_all, forward]) in LABELS {
        let switched = alice.submit("/portal", "/language", &[("lang", lang)]).await?;
        ensure!(switched.status == 303, "{lang}: {}", switched.text());
        let path = open_account_tab(&alice, &number, "features", tab).await?;
        let page = alice.get(&path).await?;
        for label in [compose, reply, reply_all, forward] {
            assert!(page.shows(label), "{lang}: {label} missing: {}", page.text());
        }
        assert_eq!(
            page.body.matches(" checked>").count(),
            sealpost_domain::settings::Feature::ALL.len(),
            "{lang}: every switch starts on"
        );
    }
    alice.submit("/portal", "/language", &[("lang", "en")]).await?;
    let features = format!("/admin/accounts/{number}/features");

    // A message that allows every answer, sent before Forward is switched off.
    let sent = alice
        .compose(
            &[
                ("to", "bob@example.com"),
                ("subject", "Quarterly figures"),
                ("body", "Please do not share."),
                ("allow_reply", "on"),
                ("allow_reply_all", "on"),
                ("allow_forward", "on"),
            ],
            &[],
        )
        .await?;
    let id = sent_id(&sent)?;
    app.deliver().await?;

    let saved = alice
        .submit(&features, &features, &ticked_but(&["secure_forward"]))
        .await?;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let page = alice.get(&features).await?;
    page.assert_shows("The features have been saved.");
    assert!(
        page.body
            .contains(r#"name="secure_forward" value="on" aria-describedby="secure_forward-hint">"#),
        "Forward is shown switched off: {}",
        page.text()
    );

    // The forward form is refused, and so is a forged post of it.
    let form = bob.get(&format!("/portal/compose?reply={id}&kind=forward")).await?;
    assert!(form.shows(SWITCHED_OFF), "{} {}", form.status, form.text());
    let forged = bob
        .answer_message(
            id.as_str(),
            "forward",
            "eve@example.net",
            "Fwd: Quarterly figures",
            "Have a look.",
        )
        .await?;
    assert_eq!(forged.status, 422, "{}", forged.text());
    forged.assert_shows(SWITCHED_OFF);
    app.deliver().await?;
    assert!(
        app.mails()?.iter().all(|m| !m.to.contains("eve@example.net")),
        "nothing reached Eve"
    );

    // Reply is still on.
    let replied = bob
        .answer_message(
            id.as_str(),
            "reply",
            "alice@example.com",
            "Re: Quarterly figures",
            "Thanks.",
        )
        .await?;
    assert_eq!(replied.status, 303, "{}", replied.text());

    // Secure Compose off: the member's new message is refused and nothing is sent.
    let before = app.mails()?.len();
    alice
        .submit(&features, &features, &ticked_but(&["secure_compose", "secure_forward"]))
        .await?;
    let refused = alice
        .compose(
            &[
                ("to", "bob@example.com"),
                ("subject", "Another"),
                ("body", "Not allowed."),
            ],
            &[],
        )
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.text());
    refused.assert_shows(SWITCHED_OFF);
    assert!(
        refused.shows("Not allowed."),
        "what was typed is kept: {}",
        refused.text()
    );
    app.deliver().await?;
    assert_eq!(app.mails()?.len(), before + 1, "only the reply's notification went out");

    // Switched on again, both work, and the stored settings are back to defaults.
    alice.submit(&features, &features, &ticked_but(&[])).await?;
    let again = alice
        .compose(
            &[("to", "bob@example.com"), ("subject", "Again"), ("body", "Allowed.")],
            &[],
        )
        .await?;
    ensure!(again.status == 303, "{}", again.text());
    let account = app.account(account.number).await?;
    let stored = app
        .store_port()
        .account_settings(account.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .context("settings")?;
    assert!(stored.is_empty(), "on is the default, stored as nothing: {stored:?}");
    Ok(())
}

on_both_databases!(
    switched_off_remembering_offers_no_checkbox_remembers_no_forged_device_and_suspends_old_ones,
    devices
);
async fn devices(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    // The built-in default profile is Medium.
    let [first, second, third] = send_each_to_bob(
        &alice,
        [
            ("First", "The first message"),
            ("Second", "The second message"),
            ("Third", "The third message"),
        ],
    )
    .await?;
    // While the switch is on, Bob's device is remembered.
    let device = app.client();
    let form = remember_on_the_way_to(&device, &first).await?;
    form.assert_shows("Remember me on this device");

    let number = app.first_account().await?.number.to_string();
    let features = open_account_tab(&alice, &number, "features", "Features").await?;
    let tab = alice.get(&features).await?;
    tab.assert_shows("Remember devices");
    let saved = alice
        .submit(&features, &features, &ticked_but(&["remember_devices"]))
        .await?;
    ensure!(saved.status == 303, "{}", saved.text());

    // Off: the login offers no checkbox, and a forged `remember` remembers nothing.
    let forger = app.client();
    let form = remember_on_the_way_to(&forger, &second).await?;
    ensure!(!form.shows("Remember me on this device"), "{}", form.text());
    app.clock
        .advance_seconds(sealpost_domain::services::SESSION_IDLE_SECONDS + 60);
    // Every session ran out; the device remembered before opens nothing now.
    let asked = device.get(&format!("/m/{third}")).await?;
    ensure!(
        asked.status == 303 && !asked.body.contains("The third message"),
        "{}",
        asked.text()
    );
    ensure!(forger.get(&format!("/m/{third}")).await?.status == 303);

    // Switched on again: the old device opens again; the forged login left none.
    let alice = logged_in(&app, "alice@example.com").await?;
    ensure!(alice.submit(&features, &features, &ticked_but(&[])).await?.status == 303);
    let opened = device.get(&format!("/m/{third}")).await?;
    ensure!(
        opened.status == 200 && opened.shows("The third message"),
        "{}",
        opened.text()
    );
    let nothing = forger.get(&format!("/m/{third}")).await?;
    ensure!(nothing.status == 303, "the forged remember field remembered a device");
    let remembered = app
        .first_account_audit()
        .await?
        .into_iter()
        .filter(|e| e.action == "device.remembered")
        .count();
    ensure!(remembered == 1, "{remembered} devices remembered");
    Ok(())
}
