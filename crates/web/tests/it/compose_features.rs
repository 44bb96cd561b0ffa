//! The compose form and the message page obey the Features tab: an option the
//! account has switched off is shown disabled with the reason (not silently
//! unticked), a forged tick is clamped at sending, and an older message no longer
//! offers an answer its account has switched off since.

use anyhow::ensure;

use crate::helpers::{TestApp, acme};

const SWITCHED_OFF: &str = "Your organisation has switched this off for its secure messages.";
const FORWARD_LINK: &str = "kind=forward";

on_both_databases!(
    switched_off_options_are_shown_disabled_with_the_reason_and_old_answers_disappear,
    compose_obeys_features
);
async fn compose_obeys_features(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob) = acme(&app).await?;
    let number = app.first_account().await?.number.to_string();
    let everything = [
        ("to", "bob@example.com"),
        ("subject", "Figures"),
        ("body", "Q3."),
        ("allow_reply", "on"),
        ("allow_forward", "on"),
    ];
    let old = alice.send(&everything, &[]).await?;
    let page = bob.get(&format!("/m/{old}")).await?;
    ensure!(page.body.contains(FORWARD_LINK), "Forward is offered at first");
    let form = alice.get("/portal/compose").await?;
    ensure!(
        !form.shows(SWITCHED_OFF) && !form.body.contains(" disabled"),
        "{}",
        form.text()
    );

    let features = format!("/admin/accounts/{number}/features");
    let on_but_forward = [
        ("secure_compose", "on"),
        ("secure_reply", "on"),
        ("secure_reply_all", "on"),
        ("read_receipts", "on"),
    ];
    assert_eq!(alice.submit(&features, &features, &on_but_forward).await?.status, 303);

    let form = alice.get("/portal/compose").await?;
    assert!(
        form.body.contains(
            r#"<input type="checkbox" name="allow_forward" value="on" disabled aria-describedby="allow_forward-off">"#
        ),
        "{}",
        form.body
    );
    assert!(form.shows(SWITCHED_OFF), "the reason is shown: {}", form.text());
    assert!(
        form.body
            .contains(r#"<input type="checkbox" name="allow_reply" value="on" checked>"#),
        "Reply stays as it was"
    );

    // The older message no longer offers Forward; Reply still is.
    let page = bob.get(&format!("/m/{old}")).await?;
    assert!(!page.body.contains(FORWARD_LINK), "{}", page.body);
    assert!(page.body.contains("kind=reply"), "Reply is still offered");

    // A forged tick is clamped: the message goes out without Forward.
    let forged = alice.send(&everything, &[]).await?;
    let page = bob.get(&format!("/m/{forged}")).await?;
    assert!(
        page.shows("Q3.") && !page.body.contains(FORWARD_LINK),
        "{}",
        page.text()
    );
    Ok(())
}
