//! A branded account's notification: its name and colour in the mail, its logo as
//! an inline related part (`cid:`), and in the envelope file as a `data:` URI the
//! file's own CSP allows, with the service named in small print. Nothing remote.

use std::sync::Arc;

use anyhow::{Context as _, Result, ensure};
use mail_parser::{MessageParser, MimeHeaders as _};
use sealpost_domain::branding::{BrandColour, Branding, DisplayName, Logo};
use sealpost_domain::messages::{PublicId, SecureMessageNotice};
use sealpost_domain::ports::{FakeClock, Notifier as _};
use sealpost_domain::types::{EmailAddress, Locale, Timestamp};

use super::MailNotifier;

fn logo() -> Result<Logo> {
    let image = image::RgbaImage::from_pixel(30, 10, image::Rgba([20, 50, 120, 255]));
    let mut png = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(Logo::from_upload(&png)?)
}

#[test]
fn a_branded_notification_names_the_organisation_and_carries_its_logo_inline() -> Result<()> {
    let branding = Branding {
        display_name: DisplayName::parse("Acme Private Bank")?,
        colour: BrandColour::parse("#1a4d8f")?,
        logo: Some(logo()?),
    };
    let sender = EmailAddress::parse("alice@corp.example")?;
    let recipient = EmailAddress::parse("bob@client.example")?;
    let notifier = MailNotifier::new(
        "Sealpost",
        "sealpost@mail.example.com",
        Arc::new(FakeClock::new(Timestamp(1_795_285_805_250))),
    )?;
    let mail = notifier.secure_message(&SecureMessageNotice {
        locale: Locale::De,
        time_zone: None,
        from: "secure@corp.example",
        sender_name: "Alice Example",
        sender_email: &sender,
        recipient: &recipient,
        sent_at: Timestamp(1_795_165_623_000),
        public_id: PublicId([7; 16]),
        open_url: "https://sealpost.example.com/m/07",
        envelope_action: "https://sealpost.example.com/envelope/open",
        register_action: "https://sealpost.example.com/register",
        register_next: "/m/07",
        payload: None,
        attach_envelope: true,
        branding: &branding,
        file_name: sealpost_domain::profiles::DEFAULT_FILE_NAME,
        subject: None,
        help_url: None,
        contact: None,
        secret: None,
    })?;
    let parsed = MessageParser::default().parse(&mail.raw).context("parsable")?;
    let html = parsed.body_html(0).context("an HTML part")?;
    ensure!(html.contains("Acme Private Bank") && html.contains("#1a4d8f"));
    ensure!(html.contains("src=\"cid:brand-logo@sealpost\""), "{html}");
    ensure!(!html.contains("src=\"http"), "no remote image");
    let inline = parsed
        .parts
        .iter()
        .find(|p| p.content_id() == Some("brand-logo@sealpost"))
        .context("the logo part")?;
    ensure!(
        inline
            .content_type()
            .is_some_and(|c| c.ctype() == "image" && c.subtype() == Some("png"))
    );
    ensure!(inline.contents() == branding.logo.as_ref().map(Logo::png).unwrap_or_default());
    let envelope = parsed
        .attachments()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".html")))
        .context("the envelope")?;
    let envelope = String::from_utf8_lossy(envelope.contents());
    ensure!(
        envelope.contains("img-src data:"),
        "the file's CSP allows the inline logo only"
    );
    ensure!(envelope.contains("src=\"data:image/png;base64,"));
    ensure!(envelope.contains("Acme Private Bank") && envelope.contains("Sicher zugestellt von Sealpost"));
    ensure!(!envelope.contains("src=\"http") && !envelope.contains("url("));
    Ok(())
}
