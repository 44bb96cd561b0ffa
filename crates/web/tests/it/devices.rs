//! Remembered devices met through the Registered Envelope: a Medium message's
//! "Open Online", posted from the envelope file on a device remembered for an
//! earlier message, opens the message without the password or a session.

use anyhow::{Context as _, ensure};

use crate::helpers::{TestApp, acme, hidden_field, remember_on_the_way_to};

on_both_databases!(
    a_medium_envelope_opens_online_on_a_remembered_device_without_the_password,
    envelope_on_device
);
async fn envelope_on_device(app: TestApp) -> anyhow::Result<()> {
    let (alice, _) = acme(&app).await?;
    // The built-in default profile is Medium, with stored copies.
    let first = alice
        .send_to("bob@example.com", "First", "The first message", &[])
        .await?;
    let device = app.client();
    remember_on_the_way_to(&device, &first).await?;
    app.clock
        .advance_seconds(sealpost_domain::services::SESSION_IDLE_SECONDS + 60);

    // Alice's session ran out too: she logs in again to send.
    let alice = crate::helpers::logged_in(&app, "alice@example.com").await?;
    let second = alice
        .send_to("bob@example.com", "Second", "The second message", &[])
        .await?;
    app.deliver().await?;
    let envelope = app
        .mails()?
        .iter()
        .filter_map(|m| m.envelope().ok())
        .map(|(_, html)| html)
        .find(|html| hidden_field(html, "id").as_deref() == Some(second.as_str()))
        .context("the second message's envelope")?;
    let posted = device.open_envelope(&envelope).await?;
    ensure!(posted.status == 303, "{}: {}", posted.status, posted.text());
    let to = posted.location.context("a redirect")?;
    let page = device.get(&to).await?;
    ensure!(
        page.status == 200 && page.shows("The second message"),
        "{}: {}",
        page.status,
        page.text()
    );
    // The same envelope on another device asks to log in.
    let elsewhere = app.client();
    let posted = elsewhere.open_envelope(&envelope).await?;
    let to = posted.location.context("a redirect")?;
    let asked = elsewhere.get(&to).await?;
    ensure!(
        asked.status != 200 || !asked.shows("The second message"),
        "{}",
        asked.text()
    );
    Ok(())
}
