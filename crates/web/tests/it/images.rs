//! The Images tab over HTTP: preview, save and reset, every change audited, and
//! the look reaching every place a recipient meets it (the notification with its
//! inline logo, the envelope file with a `data:` logo, the registration, login and
//! message pages). Test images are made here with the `image` crate.

use std::io::Cursor;

use anyhow::{Context as _, anyhow, ensure};
use image::{ImageFormat, Rgba, RgbaImage};

use crate::helpers::{PASSWORD, TestApp, logged_in_with, open_account_tab};

/// A `width`×`height` PNG: a dark blue field with a lighter stripe.
pub fn png(width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    encode(width, height, ImageFormat::Png)
}

/// The same picture as JPEG.
pub fn jpeg(width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    encode(width, height, ImageFormat::Jpeg)
}

/// The same picture as (lossless) WebP.
pub fn webp(width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    encode(width, height, ImageFormat::WebP)
}

fn encode(width: u32, height: u32, format: ImageFormat) -> anyhow::Result<Vec<u8>> {
    let image = RgbaImage::from_fn(width, height, |x, _| {
        if x % 16 < 8 {
            Rgba([20, 50, 120, 255])
        } else {
            Rgba([200, 220, 240, 255])
        }
    });
    let mut out = Vec::new();
    let rgb = image::DynamicImage::ImageRgba8(image);
    let rgb = if format == ImageFormat::Jpeg {
        image::DynamicImage::ImageRgb8(rgb.to_rgb8())
    } else {
        rgb
    };
    rgb.write_to(&mut Cursor::new(&mut out), format)?;
    Ok(out)
}

/// The logo inside the stored branding of `number`'s account, if any.
pub async fn stored_logo(app: &TestApp, number: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let number = sealpost_domain::types::AccountNumber::parse(number).ok_or(anyhow!("number"))?;
    let account = app.account(number).await?;
    app.store_port()
        .account_logo(account.id)
        .await
        .map_err(|e| anyhow!("{e:?}"))
}

on_both_databases!(
    the_images_tab_previews_saves_and_resets_and_recipients_see_the_look_everywhere,
    images_tab
);
async fn images_tab(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    app.add_user("bob@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let number = account.number.to_string();
    let alice = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    let tab = open_account_tab(&alice, &number, "images", "Images").await?;
    let first = alice.get(&tab).await?;
    first.assert_shows("Sealpost's default look");

    // Preview: the look is shown, nothing is stored.
    let fields = [
        ("display_name", "  Acme Private Bank "),
        ("colour", "#1A4D8F"),
        ("action", "preview"),
    ];
    let logo = png(1200, 300)?;
    let preview = alice
        .upload(&tab, &tab, &fields, &[("logo", "acme.png", "image/png", logo)])
        .await?;
    assert_eq!(preview.status, 200, "{}", preview.text());
    preview.assert_shows("Preview: not saved yet");
    preview.assert_shows("Acme Private Bank");
    ensure!(
        preview
            .body
            .contains("class=\"brand-logo\" src=\"data:image/png;base64,"),
        "the preview shows the logo inline"
    );
    let kept = crate::helpers::hidden_field(&preview.body, "kept_logo").context("the preview keeps the logo")?;
    ensure!(stored_logo(&app, &number).await?.is_none(), "a preview stores nothing");
    ensure!(alice.get(&tab).await?.shows("Sealpost's default look"));

    // Save what was previewed (the logo comes back from the hidden field).
    let saved = alice
        .upload(
            &tab,
            &tab,
            &[
                ("display_name", "Acme Private Bank"),
                ("colour", "#1a4d8f"),
                ("kept_logo", kept.as_str()),
                ("action", "save"),
            ],
            &[],
        )
        .await?;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let page = alice.get(&tab).await?;
    page.assert_shows("The branding was saved.");
    page.assert_shows("Acme Private Bank");
    ensure!(page.body.contains("value=\"#1a4d8f\""), "the colour is shown as saved");
    let stored = stored_logo(&app, &number).await?.context("the logo is stored")?;
    let decoded = image::load_from_memory_with_format(&stored, ImageFormat::Png)?;
    assert_eq!((decoded.width(), decoded.height()), (600, 150), "scaled into 600×200");
    let audit = alice.get(&format!("/admin/accounts/{number}/audit")).await?;
    for what in ["Display name changed", "Brand colour changed", "Logo uploaded"] {
        audit.assert_shows(what);
    }

    // A message to Bob (registered) and Carol (new): the notification, the
    // envelope and the pages they reach carry the look.
    let id = alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("cc", "carol@example.org"),
                ("subject", "Statement"),
                ("body", "Your statement."),
            ],
            &[],
        )
        .await?;
    app.deliver().await?;
    let mail = app.mail_to("carol@example.org", "")?;
    ensure!(
        mail.html.contains("Acme Private Bank"),
        "the notification names the bank"
    );
    ensure!(
        mail.html.contains("src=\"cid:brand-logo@sealpost\""),
        "the notification shows the inline logo"
    );
    let raw = String::from_utf8_lossy(&mail.raw);
    ensure!(
        raw.contains("Content-ID: <brand-logo@sealpost>") && raw.contains("multipart/related"),
        "the logo travels as an inline related part"
    );
    ensure!(!mail.html.contains("<img src=\"http"), "no remote image");
    let (_, envelope) = mail
        .attachments
        .iter()
        .find(|(name, _)| name.ends_with(".html"))
        .context("the envelope file")?;
    let envelope = String::from_utf8_lossy(envelope);
    ensure!(
        envelope.contains("src=\"data:image/png;base64,"),
        "the envelope carries the logo"
    );
    ensure!(envelope.contains("Acme Private Bank") && envelope.contains("Delivered securely by Sealpost"));
    ensure!(
        envelope.contains("background:#1a4d8f"),
        "the envelope's band has the colour"
    );

    let carol = app.client();
    let register = carol.get(&format!("/m/{id}?r=carol%40example.org")).await?;
    assert_eq!(register.status, 200, "{}", register.text());
    register.assert_shows("Acme Private Bank");
    register.assert_shows("Secure messages by Sealpost");
    ensure!(
        register
            .body
            .contains("class=\"brand-logo\" src=\"data:image/png;base64,")
    );
    let bob = app.client();
    let login = bob.get(&format!("/portal/login?next=%2Fm%2F{id}")).await?;
    login.assert_shows("Acme Private Bank");
    ensure!(bob.login("bob@example.com", PASSWORD).await?.status == 303);
    let message = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(message.status, 200, "{}", message.text());
    message.assert_shows("Your statement.");
    message.assert_shows("Acme Private Bank");
    // Locked, the message still shows whose it is.
    let messages = format!("/admin/accounts/{number}/messages/{id}");
    let locked = alice
        .submit(&messages, &format!("{messages}/lock"), &[("reason", "Sent in error")])
        .await?;
    assert_eq!(locked.status, 303, "{}", locked.text());
    let gone = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(gone.status, 410, "{}", gone.text());
    gone.assert_shows("Sent in error");
    gone.assert_shows("Acme Private Bank");
    // Other pages and unknown ids keep the default look.
    ensure!(!app.client().get("/portal/login").await?.shows("Acme Private Bank"));
    ensure!(
        !app.client()
            .get("/portal/login?next=%2Fm%2F00000000000000000000000000000000")
            .await?
            .shows("Acme Private Bank")
    );

    // Reset: the default look again, audited, and recipients see Sealpost's.
    let reset = alice.submit(&tab, &format!("{tab}/reset"), &[]).await?;
    assert_eq!(reset.status, 303, "{}", reset.text());
    let page = alice.get(&tab).await?;
    page.assert_shows("The branding was reset to the default.");
    page.assert_shows("Sealpost's default look");
    ensure!(stored_logo(&app, &number).await?.is_none(), "the logo is gone");
    alice
        .get(&format!("/admin/accounts/{number}/audit"))
        .await?
        .assert_shows("Logo removed");
    ensure!(
        !app.client()
            .get(&format!("/portal/login?next=%2Fm%2F{id}"))
            .await?
            .shows("Acme Private Bank")
    );
    Ok(())
}

/// A small valid PNG whose header claims `width`×`height` (a decompression
/// bomb's header: a decoder that believed it would allocate gigabytes).
pub fn png_claiming(width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let mut bytes = png(8, 8)?;
    // Signature (8), IHDR length (4), "IHDR" (4), width, height, … then the CRC.
    let ihdr = 8 + 4;
    bytes
        .get_mut(ihdr + 4..ihdr + 8)
        .context("IHDR width")?
        .copy_from_slice(&width.to_be_bytes());
    bytes
        .get_mut(ihdr + 8..ihdr + 12)
        .context("IHDR height")?
        .copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(bytes.get(ihdr..ihdr + 4 + 13).context("IHDR")?);
    bytes
        .get_mut(ihdr + 17..ihdr + 21)
        .context("IHDR CRC")?
        .copy_from_slice(&crc.to_be_bytes());
    Ok(bytes)
}
