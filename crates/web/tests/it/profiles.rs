//! The BCE Config tab (envelope profiles) over HTTP: creating, editing, deleting
//! and choosing the default, refusals that keep what was typed, and senders whose
//! messages obey the profile they choose (options, file name, subject, help link,
//! contact, recipients' language, security level recorded).

use anyhow::{anyhow, ensure};
use sealpost_domain::messages::PublicId;
use sealpost_domain::profiles::SecurityLevel;

use crate::helpers::{Answer, Client, TestApp, acme, hidden_field, remember_on_the_way_to, send_each_to_bob};

/// Alice and Bob of [`acme`], logged in, and the path of Acme Corp's BCE Config
/// tab.
async fn acme_profiles(app: &TestApp) -> anyhow::Result<(Client, Client, String)> {
    let (alice, bob) = acme(app).await?;
    let tab = format!("/admin/accounts/{}/profiles", app.first_account().await?.number);
    Ok((alice, bob, tab))
}

/// A complete profile form: `name` with a High level, German recipients, a
/// custom file name, subject, help link and contact; `more` replaces fields.
pub fn partner_form<'a>(name: &'a str, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", name),
        ("security", "high"),
        ("remember_days", "7"),
        ("delivery_mode", ""),
        ("allow_reply", "on"),
        ("allow_forward", "on"),
        ("expiry_days", "10"),
        ("file_name", "acme_${date}.html"),
        ("subject", "Vertrauliche Post von Acme"),
        ("help_url", "https://help.acme.example/secure"),
        ("contact", "security@acme.example"),
        ("recipient_locale", "de"),
    ];
    for (key, value) in more {
        fields.retain(|(k, _)| k != key);
        fields.push((key, value));
    }
    fields
}

on_both_databases!(bce_config_creates_edits_deletes_and_chooses_the_default_profile, tab);
async fn tab(app: TestApp) -> anyhow::Result<()> {
    let (alice, _, tab) = acme_profiles(&app).await?;
    let page = alice.get(&tab).await?;
    ensure!(page.status == 200, "{}", page.text());
    page.assert_shows("BCE Config");
    page.assert_shows("Default (default)");
    ensure!(page.shows("Medium"), "the built-in default is Medium: {}", page.text());

    // A refusal names the problem and keeps everything typed.
    let bad = partner_form("Partners", &[("file_name", "../evil.exe")]);
    let refused = alice.submit(&tab, &tab, &bad).await?;
    ensure!(refused.status == 422, "{}", refused.text());
    refused.assert_shows("must end in .html");
    for kept in [
        r#"value="Partners""#,
        r#"value="../evil.exe""#,
        r#"value="Vertrauliche Post von Acme""#,
        r#"value="security@acme.example""#,
        r#"value="high" checked"#,
        r#"<option value="de" lang="de" selected>"#,
    ] {
        ensure!(refused.body.contains(kept), "{kept} not kept: {}", refused.body);
    }
    for (field, value, says) in [
        ("help_url", "http://help.acme.example", "must be an https:// address"),
        ("remember_days", "400", "within the range shown"),
        ("security", "paranoid", "Choose one of the security levels."),
        ("contact", "not-an-address", "email address"),
    ] {
        let answer = alice
            .submit(&tab, &tab, &partner_form("Partners", &[(field, value)]))
            .await?;
        ensure!(
            answer.status == 422 && answer.text().contains(says),
            "{field}: {}",
            answer.text()
        );
    }
    ensure!(!alice.get(&tab).await?.shows("Partners"), "nothing refused was stored");

    let created = alice.submit(&tab, &tab, &partner_form("Partners", &[])).await?;
    ensure!(created.status == 303, "{}", created.text());
    let page = alice.get(&tab).await?;
    page.assert_shows("The profile Partners has been created.");
    page.assert_shows("High");
    page.assert_shows("Deutsch");
    let taken = alice
        .submit(&tab, &tab, &partner_form("partners ", &[("name", "Partners")]))
        .await?;
    ensure!(
        taken.status == 422 && taken.shows("already has a profile with this name"),
        "{}",
        taken.text()
    );

    // The default cannot be deleted; a named one can become the default.
    let acme = app.first_account().await?;
    let partners = app.profile_id("Partners").await?;
    let forged = alice.submit(&tab, &format!("{tab}/default/delete"), &[]).await?;
    ensure!(
        forged.status == 422 && forged.shows("The default profile cannot be deleted."),
        "{}",
        forged.text()
    );
    let made = alice.submit(&tab, &format!("{tab}/{partners}/default"), &[]).await?;
    ensure!(made.status == 303, "{}", made.text());
    let page = alice.get(&tab).await?;
    page.assert_shows("Partners is now the default profile.");
    page.assert_shows("Partners (default)");
    ensure!(!page.shows("Default (default)"), "one default: {}", page.text());

    // Editing keeps the values typed on refusal, then saves.
    let edit = format!("{tab}/{partners}");
    let refused = alice
        .submit(&edit, &edit, &partner_form("Partners", &[("expiry_days", "0")]))
        .await?;
    ensure!(
        refused.status == 422 && refused.body.contains(r#"value="0""#),
        "{}",
        refused.text()
    );
    let saved = alice
        .submit(&edit, &edit, &partner_form("Partners", &[("security", "medium")]))
        .await?;
    ensure!(saved.status == 303, "{}", saved.text());
    ensure!(alice.get(&tab).await?.shows("The profile Partners has been saved."));

    // A second named profile is deleted.
    let second = alice.submit(&tab, &tab, &partner_form("Old", &[])).await?;
    ensure!(second.status == 303, "{}", second.text());
    let old = app.profile_id("Old").await?;
    let deleted = alice.submit(&tab, &format!("{tab}/{old}/delete"), &[]).await?;
    ensure!(deleted.status == 303, "{}", deleted.text());
    let page = alice.get(&tab).await?;
    ensure!(page.shows("The profile Old has been deleted.") && !page.shows("Edit Old"));
    ensure!(alice.status(&format!("{tab}/{old}")).await? == 404);

    let audit = alice.get(&format!("/admin/accounts/{}/audit", acme.number)).await?;
    for action in [
        "Envelope profile created",
        "Envelope profile changed",
        "Envelope profile deleted",
        "Default envelope profile chosen",
    ] {
        ensure!(audit.shows(action), "{action}: {}", audit.text());
    }
    Ok(())
}

on_both_databases!(senders_messages_obey_the_profile_they_choose, senders);
async fn senders(app: TestApp) -> anyhow::Result<()> {
    let (alice, _, tab) = acme_profiles(&app).await?;

    // One profile: Compose offers no choice, and the options are as always.
    let compose = alice.get("/portal/compose").await?;
    ensure!(!compose.shows("Envelope profile"), "{}", compose.text());
    ensure!(
        compose.body.contains(r#"name="allow_reply" value="on" checked"#)
            && !compose.body.contains(r#"name="allow_forward" value="on" checked"#)
    );

    ensure!(alice.submit(&tab, &tab, &partner_form("Partners", &[])).await?.status == 303);
    let partners = app.profile_id("Partners").await?;

    // Two profiles: Compose offers them; a chosen profile's defaults prefill the options.
    let compose = alice.get("/portal/compose").await?;
    compose.assert_shows("Envelope profile");
    compose.assert_shows("Partners");
    let prefilled = alice.get(&format!("/portal/compose?profile={partners}")).await?;
    ensure!(
        prefilled.body.contains(r#"name="allow_forward" value="on" checked"#)
            && !prefilled.body.contains(r#"name="allow_reply_all" value="on" checked"#),
        "{}",
        prefilled.body
    );
    let expires =
        sealpost_domain::services::messages::expiry_field(Some(app.clock_now().plus_seconds(10 * 24 * 60 * 60)));
    ensure!(
        prefilled.body.contains(&format!(r#"value="{expires}""#)),
        "expiry prefilled"
    );

    let id = alice
        .send_to(
            "newcomer@partner.example",
            "Contract",
            "Signed copy",
            &[("profile", &partners), ("allow_reply", "on")],
        )
        .await?;
    app.deliver().await?;
    let mail = app.mail_to("newcomer@partner.example", "Vertrauliche Post von Acme")?;
    let (name, envelope) = mail
        .attachments
        .iter()
        .find(|(name, _)| name.starts_with("acme_"))
        .map(|(name, bytes)| (name.clone(), String::from_utf8_lossy(bytes).into_owned()))
        .ok_or(anyhow!(
            "no acme_ envelope: {:?}",
            mail.attachments.iter().map(|a| &a.0).collect::<Vec<_>>()
        ))?;
    ensure!(
        name.len() == "acme_20261121.html".len() && name.ends_with(".html"),
        "{name}"
    );
    ensure!(
        envelope.contains(r#"href="https://help.acme.example/secure""#) && envelope.contains("security@acme.example"),
        "help link and contact on the envelope"
    );
    ensure!(
        hidden_field(&envelope, "lang").as_deref() == Some("de") && envelope.contains("Online öffnen"),
        "a new recipient gets the profile's language"
    );
    let public_id = PublicId::parse(&id).ok_or(anyhow!("id"))?;
    let stored = app
        .store_port()
        .message(&public_id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(stored.security == SecurityLevel::High && stored.profile_id.is_some());
    ensure!(stored.expires_at.is_none(), "the sender left the date empty");

    // The default profile (still the built-in) sends as before.
    let plain = alice
        .send_to("other@partner.example", "Plain", "As always", &[])
        .await?;
    app.deliver().await?;
    let mail = app.mail_to("other@partner.example", "Secure message from")?;
    ensure!(mail.envelope().is_ok(), "securedoc_ envelope as before");
    let stored = app
        .store_port()
        .message(&PublicId::parse(&plain).ok_or(anyhow!("id"))?)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    ensure!(stored.security == SecurityLevel::Medium && stored.profile_id.is_none());

    // Another account's profile id is refused at sending, with the form kept.
    let refused = alice
        .compose(
            &[
                ("to", "x@partner.example"),
                ("subject", "Forged"),
                ("profile", "999999"),
            ],
            &[],
        )
        .await?;
    ensure!(
        refused.status == 422 && refused.shows("Choose one of the profiles"),
        "{}",
        refused.text()
    );
    Ok(())
}

on_both_databases!(a_high_profiles_message_asks_for_the_password_at_every_opening, high);
async fn high(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob, tab) = acme_profiles(&app).await?;
    let id = board_minutes(&app, &alice, &tab).await?;
    let page = format!("/m/{id}");

    // Bob's live session is not enough: the page asks for his password.
    let asked = bob.get(&page).await?;
    ensure!(
        asked.status == 200 && asked.shows("Enter your password to open this message"),
        "{}",
        asked.text()
    );
    ensure!(
        !asked.shows("Strictly confidential"),
        "nothing shown before the password"
    );
    let (status, bytes) = bob.bytes(&format!("{page}/attachments/1")).await?;
    ensure!(status == 200 && !String::from_utf8_lossy(&bytes).contains("the minutes, attached"));

    let unlock = format!("{page}/unlock");
    let wrong = bob.submit(&page, &unlock, &[("password", "not his password")]).await?;
    ensure!(
        wrong.status == 422 && !wrong.shows("Strictly confidential"),
        "{}",
        wrong.text()
    );
    let right = bob
        .submit(&page, &unlock, &[("password", crate::helpers::PASSWORD)])
        .await?;
    ensure!(
        right.status == 200 && right.shows("Strictly confidential minutes"),
        "{}",
        right.text()
    );
    // The attachment behind the same prompt.
    let file = bob
        .submit(&page, &unlock, &[("password", crate::helpers::PASSWORD), ("part", "1")])
        .await?;
    ensure!(file.body.contains("the minutes, attached"), "{}", file.text());

    // Someone who is not a recipient gets nothing, even with their own right password.
    app.add_user("eve@example.com", false).await?;
    let eve = crate::helpers::logged_in(&app, "eve@example.com").await?;
    let forged = eve
        .submit(
            "/portal",
            &unlock,
            &[("password", crate::helpers::PASSWORD), ("part", "1")],
        )
        .await?;
    ensure!(
        forged.status == 404 && !forged.body.contains("the minutes, attached"),
        "{}: {}",
        forged.status,
        forged.text()
    );
    // Nor may they guess the recipient's password there: a wrong one is a 404 too,
    // not "wrong password" (nothing is checked, throttled or audited for them).
    let guessed = eve
        .submit("/portal", &unlock, &[("password", "Wrong-Guess-12345")])
        .await?;
    ensure!(guessed.status == 404, "{}: {}", guessed.status, guessed.text());

    // Opened once, asked again: nothing of the password is kept.
    let again = bob.get(&page).await?;
    ensure!(again.shows("Enter your password") && !again.shows("Strictly confidential"));
    // The sender reads her own message without a prompt.
    ensure!(alice.get(&page).await?.shows("Strictly confidential minutes"));
    // A Medium (default) message opens with the live session, as before.
    let medium = alice
        .send_to("bob@example.com", "Lunch", "Medium is enough", &[])
        .await?;
    ensure!(bob.get(&format!("/m/{medium}")).await?.shows("Medium is enough"));

    let audit = alice.get(&tab.replace("/profiles", "/audit")).await?;
    audit.assert_shows("Wrong password when opening a message");
    Ok(())
}

/// Alice makes the Default profile (tab `tab`) Medium, remembering devices for a
/// week.
async fn remember_devices_for_a_week(alice: &Client, tab: &str) -> anyhow::Result<()> {
    let week = partner_form("Default", &[("security", "medium"), ("remember_days", "7")]);
    let saved = alice
        .submit(&format!("{tab}/default"), &format!("{tab}/default"), &week)
        .await?;
    ensure!(saved.status == 303, "{}", saved.text());
    Ok(())
}

/// Bob's device after [`bob_remembers_a_device`].
struct RememberedDevice {
    /// Alice's client, and the BCE Config tab she administers.
    alice: Client,
    tab: String,
    /// Bob's own client that keeps cookies, logged in and remembered.
    device: Client,
    /// The ids of the messages "First" (read on the device) and "Second".
    first: String,
    second: String,
    /// The login form Bob was shown on the way to the first message.
    login_form: Answer,
}

/// Alice makes the Default profile Medium for a week and sends Bob "First" and
/// "Second"; Bob opens the first on a device of his own that keeps cookies, is
/// asked to log in, logs in ticking "Remember me on this device" and reads it.
async fn bob_remembers_a_device(app: &TestApp) -> anyhow::Result<RememberedDevice> {
    let (alice, _, tab) = acme_profiles(app).await?;
    remember_devices_for_a_week(&alice, &tab).await?;
    let [first, second] = send_each_to_bob(
        &alice,
        [("First", "The first message"), ("Second", "The second message")],
    )
    .await?;
    let device = app.client();
    let first_page = format!("/m/{first}");
    let asked = device.get(&first_page).await?;
    ensure!(asked.status == 303, "not logged in: {}", asked.status);
    let login_form = remember_on_the_way_to(&device, &first).await?;
    ensure!(device.get(&first_page).await?.shows("The first message"));
    Ok(RememberedDevice {
        alice,
        tab,
        device,
        first,
        second,
        login_form,
    })
}

on_both_databases!(
    a_remembered_device_opens_a_medium_profiles_next_message_without_the_password,
    medium
);
async fn medium(app: TestApp) -> anyhow::Result<()> {
    // Medium for a week (the default profile), Bob's device remembered.
    let RememberedDevice {
        alice,
        tab,
        device,
        second,
        login_form,
        ..
    } = bob_remembers_a_device(&app).await?;
    login_form.assert_shows("Remember me on this device");
    // A High profile beside the default.
    ensure!(alice.submit(&tab, &tab, &partner_form("Board", &[])).await?.status == 303);
    // The session ran out (idle), the device is still remembered. (Logging out
    // forgets it: `logging_out_on_a_remembered_device_forgets_it`.)
    app.clock
        .advance_seconds(sealpost_domain::services::SESSION_IDLE_SECONDS + 60);
    ensure!(device.get("/portal").await?.status == 303, "session over");
    let opened = device.get(&format!("/m/{second}")).await?;
    ensure!(
        opened.status == 200 && opened.shows("The second message"),
        "{}: {}",
        opened.status,
        opened.text()
    );
    // Another browser without the cookie is asked to log in.
    ensure!(app.client().get(&format!("/m/{second}")).await?.status == 303);

    // A High profile's message is not opened by the device (Alice's session
    // ran out too: she logs in again).
    let alice = crate::helpers::logged_in(&app, "alice@example.com").await?;
    let board = alice
        .send_to(
            "bob@example.com",
            "Board",
            "Board only",
            &[("profile", &board_id(&app).await?)],
        )
        .await?;
    let high = device.get(&format!("/m/{board}")).await?;
    ensure!(high.status == 303 && !high.shows("Board only"), "{}", high.text());

    // After the profile's days, the device opens nothing more.
    app.clock.advance_seconds(8 * 24 * 60 * 60);
    ensure!(
        device.get(&format!("/m/{second}")).await?.status == 303,
        "expired device"
    );
    Ok(())
}

/// Alice makes a High profile "Board" and sends Bob its minutes with an
/// attachment; the message's id.
async fn board_minutes(app: &TestApp, alice: &Client, tab: &str) -> anyhow::Result<String> {
    ensure!(alice.submit(tab, tab, &partner_form("Board", &[])).await?.status == 303);
    let board = board_id(app).await?;
    alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("subject", "Minutes"),
                ("body", "Strictly confidential minutes"),
                ("profile", &board),
            ],
            &[("minutes.txt", "text/plain", b"the minutes, attached".to_vec())],
        )
        .await
}

/// The id of Acme's "Board" profile.
async fn board_id(app: &TestApp) -> anyhow::Result<String> {
    app.profile_id("Board").await
}

on_both_databases!(
    wrong_passwords_at_a_high_profiles_message_are_throttled_like_logins,
    unlock_throttled
);
async fn unlock_throttled(app: TestApp) -> anyhow::Result<()> {
    let (alice, bob, tab) = acme_profiles(&app).await?;
    let id = board_minutes(&app, &alice, &tab).await?;
    let page = format!("/m/{id}");
    let unlock = format!("{page}/unlock");
    for _ in 0..5 {
        let wrong = bob.submit(&page, &unlock, &[("password", "a guess")]).await?;
        ensure!(wrong.status == 422, "{}", wrong.text());
    }
    // Now even the right password is refused, as the login form refuses, for the
    // message and for its attachment.
    let refused = bob
        .submit(&page, &unlock, &[("password", crate::helpers::PASSWORD)])
        .await?;
    ensure!(
        refused.status == 429 && refused.shows("Too many failed attempts") && !refused.shows("Strictly confidential"),
        "{}: {}",
        refused.status,
        refused.text()
    );
    let file = bob
        .submit(&page, &unlock, &[("password", crate::helpers::PASSWORD), ("part", "1")])
        .await?;
    ensure!(
        file.status == 429 && !file.body.contains("the minutes, attached"),
        "{}",
        file.text()
    );
    // Once the wait has passed, the right password opens it.
    app.clock.advance_seconds(2);
    let right = bob
        .submit(&page, &unlock, &[("password", crate::helpers::PASSWORD)])
        .await?;
    ensure!(
        right.status == 200 && right.shows("Strictly confidential minutes"),
        "{}: {}",
        right.status,
        right.text()
    );
    Ok(())
}

on_both_databases!(logging_out_on_a_remembered_device_forgets_it, logout_forgets);
async fn logout_forgets(app: TestApp) -> anyhow::Result<()> {
    let RememberedDevice {
        device, first, second, ..
    } = bob_remembers_a_device(&app).await?;
    let first_page = format!("/m/{first}");
    ensure!(device.submit(&first_page, "/logout", &[]).await?.status == 303);
    // Logged out, the device opens nothing more: Bob is asked to log in.
    let asked = device.get(&format!("/m/{second}")).await?;
    ensure!(
        asked.status == 303 && !asked.shows("The second message"),
        "{}: {}",
        asked.status,
        asked.text()
    );
    Ok(())
}
