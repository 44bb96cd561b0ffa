//! Every email is parsed back with an independent parser (mail-parser) and checked
//! the way a recipient's mail program and browser would see it.

use std::sync::Arc;

use anyhow::{Context as _, Result, ensure};
use base64::Engine as _;
use mail_parser::{MessageParser, MimeHeaders as _};
use sealpost_domain::branding::Branding;
use sealpost_domain::messages::{PublicId, RenderedMail, SecureMessageNotice};
use sealpost_domain::ports::{FakeClock, Notifier as _};
use sealpost_domain::types::{EmailAddress, Locale, Timestamp};

static NO_BRANDING: Branding = Branding {
    display_name: None,
    colour: None,
    logo: None,
};

use super::MailNotifier;

mod system_mail;

/// 2026-11-21 18:30:05.250 UTC.
const NOW: Timestamp = Timestamp(1_795_285_805_250);
/// 2026-11-20 09:07:03 UTC.
const SENT_AT: Timestamp = Timestamp(1_795_165_623_000);
const OPEN_URL: &str = "https://sealpost.example.com/envelope/00112233445566778899aabbccddeeff";
const ACTION: &str = "https://sealpost.example.com/envelope/open";
const REGISTER: &str = "https://sealpost.example.com/register";
const PAYLOAD: &[u8] = &[0xfb, 0xff, 0xfe, 0x00, 0x01, 0x02, b'<', b'"', b'&', 0x80, 0x7f, 0x3e];

fn notifier() -> Result<MailNotifier> {
    Ok(MailNotifier::new(
        "Sealpost",
        "sealpost@mail.example.com",
        Arc::new(FakeClock::new(NOW)),
    )?)
}

fn address(raw: &str) -> Result<EmailAddress> {
    Ok(EmailAddress::parse(raw)?)
}

struct People {
    sender: EmailAddress,
    recipient: EmailAddress,
}

fn people() -> Result<People> {
    Ok(People {
        sender: address("alice@corp.example")?,
        recipient: address("bob@client.example")?,
    })
}

fn notice<'a>(people: &'a People, locale: Locale, payload: Option<&'a [u8]>) -> SecureMessageNotice<'a> {
    SecureMessageNotice {
        attach_envelope: true,
        branding: &NO_BRANDING,
        file_name: sealpost_domain::profiles::DEFAULT_FILE_NAME,
        subject: None,
        help_url: None,
        contact: None,
        secret: None,
        locale,
        time_zone: None,
        from: "secure@corp.example",
        sender_name: "Alice Example",
        sender_email: &people.sender,
        recipient: &people.recipient,
        sent_at: SENT_AT,
        public_id: PublicId([
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ]),
        open_url: OPEN_URL,
        envelope_action: ACTION,
        register_action: REGISTER,
        register_next: "/m/00112233445566778899aabbccddeeff",
        payload,
    }
}

fn parse(mail: &RenderedMail) -> Result<mail_parser::Message<'_>> {
    MessageParser::default()
        .parse(&mail.raw)
        .context("mail-parser could not read the message")
}

/// Every line ends with CRLF: no bare LF, no bare CR.
fn assert_crlf(raw: &[u8]) -> Result<()> {
    for (i, byte) in raw.iter().enumerate() {
        match byte {
            b'\n' => ensure!(i > 0 && raw[i - 1] == b'\r', "bare LF at byte {i}"),
            b'\r' => ensure!(raw.get(i + 1) == Some(&b'\n'), "bare CR at byte {i}"),
            _ => {}
        }
    }
    ensure!(raw.ends_with(b"\r\n"), "the message does not end with CRLF");
    Ok(())
}

/// `<32 lower-case hex digits>@<domain>`.
fn assert_message_id(mail: &RenderedMail, domain: &str) -> Result<()> {
    let (random, at) = mail.message_id.split_once('@').context("no @ in the Message-ID")?;
    ensure!(at == domain, "Message-ID domain {at}, expected {domain}");
    ensure!(
        random.len() == 32 && random.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "Message-ID {} is not 128 bits of hex",
        mail.message_id
    );
    let header = format!("Message-ID: <{}>\r\n", mail.message_id);
    ensure!(
        String::from_utf8_lossy(&mail.raw).contains(&header),
        "the raw message lacks {header:?}"
    );
    Ok(())
}

/// The values of every `name="…"` attribute, in order.
fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = html.get(at + needle.len()..)?;
            rest.split_once('"').map(|(value, _)| value)
        })
        .collect()
}

/// The document is self-contained: no scripts, no loaded resources, and the only
/// `http` anywhere is inside the form action or a link's `href`, pointing where
/// expected.
fn assert_self_contained(html: &str, allowed: &[&str]) -> Result<()> {
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "<script",
        "javascript:",
        " src=",
        "<link",
        "<img",
        "<iframe",
        "<object",
        "url(",
        "@import",
    ] {
        ensure!(!lower.contains(forbidden), "the HTML contains {forbidden:?}");
    }
    let mut rest = html.to_owned();
    for value in attribute_values(html, "href")
        .into_iter()
        .chain(attribute_values(html, "action"))
    {
        ensure!(allowed.contains(&value), "unexpected link target {value:?}");
        rest = rest.replace(&format!("=\"{value}\""), "=\"\"");
    }
    // Link texts may show the address too (the "copy this address" fallback).
    for value in allowed {
        rest = rest.replace(&format!(">{value}<"), "><");
    }
    ensure!(
        !rest.to_ascii_lowercase().replace("http-equiv=", "").contains("http"),
        "an http reference outside the allowed links remains"
    );
    Ok(())
}

/// Tags open and close in order (void elements aside): the document is well formed
/// enough for every browser to read it the same way.
fn assert_balanced(html: &str) -> Result<()> {
    const VOID: [&str; 6] = ["meta", "input", "br", "hr", "img", "link"];
    ensure!(html.starts_with("<!doctype html>"), "no doctype");
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = rest.get(start + 1..).context("cut tag")?;
        let end = after.find('>').context("unclosed tag")?;
        let tag = after.get(..end).context("cut tag")?;
        rest = after.get(end + 1..).context("cut tag")?;
        if tag.starts_with('!') {
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if VOID.contains(&name.as_str()) {
            continue;
        }
        if closing {
            let last = open.pop();
            ensure!(last.as_deref() == Some(name.as_str()), "</{name}> closes {last:?}");
        } else {
            open.push(name);
        }
    }
    ensure!(open.is_empty(), "left open: {open:?}");
    Ok(())
}

struct Envelope {
    file_name: String,
    html: String,
}

fn the_envelope(message: &mail_parser::Message<'_>) -> Result<Envelope> {
    ensure!(message.attachment_count() == 1, "expected exactly one attachment");
    let part = message.attachment(0).context("no attachment")?;
    let content_type = part.content_type().context("attachment without content type")?;
    ensure!(
        content_type.ctype() == "text" && content_type.subtype() == Some("html"),
        "attachment is {content_type:?}"
    );
    Ok(Envelope {
        file_name: part.attachment_name().context("attachment without a name")?.to_owned(),
        html: String::from_utf8(part.contents().to_vec())?,
    })
}

#[test]
fn notification_has_the_headers_a_mail_program_needs() -> Result<()> {
    let people = people()?;
    let mail = notifier()?.secure_message(&notice(&people, Locale::En, Some(PAYLOAD)))?;
    assert_crlf(&mail.raw)?;
    assert_message_id(&mail, "corp.example")?;
    let message = parse(&mail)?;
    assert_eq!(message.message_id(), Some(mail.message_id.as_str()));
    assert_eq!(message.subject(), Some("Secure message from Alice Example"));
    let from = message.from().and_then(|f| f.first()).context("no From")?;
    assert_eq!(from.address(), Some("secure@corp.example"));
    assert_eq!(from.name(), Some("Alice Example via Sealpost"));
    let reply_to = message.reply_to().and_then(|r| r.first()).context("no Reply-To")?;
    assert_eq!(reply_to.address(), Some("alice@corp.example"));
    let to = message.to().and_then(|t| t.first()).context("no To")?;
    assert_eq!(to.address(), Some("bob@client.example"));
    let date = message.date().context("no Date")?;
    assert_eq!(date.to_timestamp(), NOW.0 / 1000);
    assert_eq!(message.header_raw("Content-Language").map(str::trim), Some("en"));
    assert_eq!(
        message.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    assert_eq!(message.header_raw("MIME-Version").map(str::trim), Some("1.0"));
    Ok(())
}

#[test]
fn notification_says_who_sent_what_and_how_to_open_it() -> Result<()> {
    let people = people()?;
    let mail = notifier()?.secure_message(&notice(&people, Locale::En, Some(PAYLOAD)))?;
    let message = parse(&mail)?;
    let text = message.body_text(0).context("no text part")?;
    let html = message.body_html(0).context("no HTML part")?;
    for body in [&text, &html] {
        assert!(body.contains("Alice Example"), "{body}");
        assert!(body.contains("alice@corp.example"));
        assert!(body.contains("bob@client.example"));
        assert!(body.contains("secure message"));
        assert!(body.contains("Open Online"));
        assert!(body.contains(OPEN_URL));
        assert!(body.contains("securedoc_20261120T090703.html"));
        assert!(body.contains("November 20, 2026 at 9:07\u{202f}AM UTC"), "{body}");
    }
    assert!(html.contains(&format!("href=\"{OPEN_URL}\"")));
    for markup in ["<p", "<a ", "<br", "</", "&#"] {
        assert!(!text.contains(markup), "the text part holds markup: {text}");
    }
    assert_self_contained(&html, &[OPEN_URL])?;
    assert_balanced(&html)?;
    Ok(())
}

#[test]
fn envelope_is_one_self_contained_page_whose_button_posts_the_sealed_payload() -> Result<()> {
    let people = people()?;
    let mail = notifier()?.secure_message(&notice(&people, Locale::En, Some(PAYLOAD)))?;
    let message = parse(&mail)?;
    let envelope = the_envelope(&message)?;
    assert_eq!(envelope.file_name, "securedoc_20261120T090703.html");
    let html = &envelope.html;
    assert_balanced(html)?;
    assert_self_contained(html, &[ACTION, REGISTER])?;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains(&format!(
        "<form method=\"post\" action=\"{ACTION}\" enctype=\"application/x-www-form-urlencoded\">"
    )));
    assert!(html.contains("<input type=\"hidden\" name=\"id\" value=\"00112233445566778899aabbccddeeff\">"));
    assert!(html.contains("<input type=\"hidden\" name=\"recipient\" value=\"bob@client.example\">"));
    // Standard base64 with padding: "+/" appear in this payload's encoding.
    let encoded = "+//+AAECPCImgH8+";
    assert!(html.contains(&format!("<input type=\"hidden\" name=\"payload\" value=\"{encoded}\">")));
    assert!(html.contains("<button type=\"submit\">Open Online</button>"));
    assert!(html.contains("Alice Example"));
    assert!(html.contains("alice@corp.example"));
    assert!(html.contains("November 20, 2026 at 9:07\u{202f}AM UTC"));
    assert!(html.contains("Registered Envelope"));
    assert_eq!(
        attribute_values(html, "name"),
        [
            "viewport",
            "referrer",
            "id",
            "recipient",
            "lang",
            "payload",
            "email",
            "lang",
            "next"
        ]
    );
    // First-time recipients can go straight to registration, by a plain link-like form.
    assert!(html.contains(&format!(
        "<form method=\"get\" action=\"{REGISTER}\" class=\"register\">"
    )));
    assert!(html.contains("<input type=\"hidden\" name=\"next\" value=\"/m/00112233445566778899aabbccddeeff\">"));
    assert!(html.contains(">Register</button>"));
    Ok(())
}

#[test]
fn envelope_without_payload_has_no_payload_field() -> Result<()> {
    let people = people()?;
    let mail = notifier()?.secure_message(&notice(&people, Locale::En, None))?;
    let envelope = the_envelope(&parse(&mail)?)?;
    assert!(!envelope.html.contains("payload"));
    assert!(envelope.html.contains("name=\"id\""));
    assert!(envelope.html.contains("name=\"recipient\""));
    assert_balanced(&envelope.html)?;
    Ok(())
}

#[test]
fn notification_and_envelope_speak_german_and_french() -> Result<()> {
    let people = people()?;
    let cases = [
        (
            Locale::De,
            "Sichere Nachricht von Alice Example",
            "Online öffnen",
            "Registrierter Umschlag",
            "Alice Example über Sealpost",
        ),
        (
            Locale::Fr,
            "Message sécurisé envoyé par Alice Example",
            "Ouvrir en ligne",
            "Enveloppe recommandée",
            "Alice Example via Sealpost",
        ),
    ];
    for (locale, subject, button, title, from_name) in cases {
        let mail = notifier()?.secure_message(&notice(&people, locale, Some(PAYLOAD)))?;
        assert_crlf(&mail.raw)?;
        let message = parse(&mail)?;
        assert_eq!(message.subject(), Some(subject));
        assert_eq!(
            message.from().and_then(|f| f.first()).and_then(|a| a.name()),
            Some(from_name)
        );
        assert_eq!(
            message.header_raw("Content-Language").map(str::trim),
            Some(locale.tag())
        );
        let text = message.body_text(0).context("no text part")?;
        assert!(text.contains(button), "{locale:?}: {text}");
        assert!(!text.contains("Open Online"), "{locale:?} text speaks English");
        // A mail program drops <html lang>; the wrapper keeps the language.
        let html = message.body_html(0).context("no HTML part")?;
        let wrapper = format!(
            "<div role=\"article\" aria-roledescription=\"email\" aria-label=\"{subject}\" lang=\"{}\" dir=\"ltr\">",
            locale.tag()
        );
        assert!(html.contains(&wrapper), "{locale:?}: {html}");
        let envelope = the_envelope(&message)?;
        assert!(
            envelope
                .html
                .contains(&format!("<button type=\"submit\">{button}</button>"))
        );
        assert!(envelope.html.contains(&format!("<html lang=\"{}\">", locale.tag())));
        assert!(envelope.html.contains(title));
        assert!(!envelope.html.contains("Open Online"));
    }
    Ok(())
}

#[test]
fn everything_the_sender_controls_is_escaped() -> Result<()> {
    let people = people()?;
    let mut hostile = notice(&people, Locale::En, None);
    hostile.sender_name = "<script>alert(1)</script> \"Eve\" & co";
    let mail = notifier()?.secure_message(&hostile)?;
    let message = parse(&mail)?;
    let envelope = the_envelope(&message)?;
    let html = message.body_html(0).context("no HTML part")?;
    for document in [envelope.html.as_str(), &html] {
        assert!(!document.contains("<script"));
        assert!(document.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#34;Eve&#34; &#38; co"));
        assert_balanced(document)?;
    }
    Ok(())
}

#[test]
fn a_header_cannot_be_injected_through_the_sender_name() -> Result<()> {
    let people = people()?;
    let mut hostile = notice(&people, Locale::En, None);
    hostile.sender_name = "Alice\r\nBcc: victim@example.com";
    let mail = notifier()?.secure_message(&hostile)?;
    assert_crlf(&mail.raw)?;
    let message = parse(&mail)?;
    assert!(message.bcc().is_none());
    assert_eq!(
        message.subject(),
        Some("Secure message from Alice Bcc: victim@example.com")
    );
    Ok(())
}

#[test]
fn every_message_gets_its_own_message_id() -> Result<()> {
    let people = people()?;
    let notifier = notifier()?;
    let first = notifier.secure_message(&notice(&people, Locale::En, None))?;
    let second = notifier.secure_message(&notice(&people, Locale::En, None))?;
    assert_ne!(first.message_id, second.message_id);
    Ok(())
}

#[test]
fn text_part_reads_well_as_plain_text() -> Result<()> {
    let people = people()?;
    let mail = notifier()?.secure_message(&notice(&people, Locale::En, None))?;
    let message = parse(&mail)?;
    let text = message.body_text(0).context("no text part")?;
    let expected_start = "You have received a secure message\n\nAlice Example (alice@corp.example) has sent you a secure message through Sealpost.";
    assert!(text.replace("\r\n", "\n").starts_with(expected_start), "{text}");
    assert!(text.contains("From  Alice Example <alice@corp.example>"), "{text}");
    assert!(text.contains("To    bob@client.example"), "{text}");
    assert!(
        text.contains(&format!("\r\n\r\nOpen Online\r\n{OPEN_URL}\r\n\r\n")),
        "{text}"
    );
    assert!(!text.contains("\r\n\r\n\r\n"), "double blank lines: {text:?}");
    Ok(())
}

#[test]
fn the_account_sending_address_with_a_quoted_name_is_kept() -> Result<()> {
    let people = people()?;
    let mut notice = notice(&people, Locale::De, None);
    notice.from = "\"Müller & Söhne GmbH (Sealpost)\" <secure@corp.example>";
    let mail = notifier()?.secure_message(&notice)?;
    let message = parse(&mail)?;
    let from = message.from().and_then(|f| f.first()).context("no From")?;
    assert_eq!(from.name(), Some("Müller & Söhne GmbH (Sealpost)"));
    assert_eq!(from.address(), Some("secure@corp.example"));
    assert_message_id(&mail, "corp.example")?;
    Ok(())
}

/// A name of plain ASCII is written as a quoted string, not as the base64 encoded
/// word spam filters count against a mail; it reads back the same.
#[test]
fn an_ascii_sender_name_is_quoted_not_encoded() -> Result<()> {
    let people = people()?;
    let long_name = format!("{} (Sealpost)", "Acme Corp ".repeat(6).trim_end());
    let long = format!("\"{long_name}\" <secure@corp.example>");
    for (from, name) in [
        ("\"Acme Corp (Sealpost)\" <secure@corp.example>", "Acme Corp (Sealpost)"),
        ("\"O'Brien & Sons, Ltd.\" <secure@corp.example>", "O'Brien & Sons, Ltd."),
        (
            r#""Tom \"TJ\" Jones \\ Co" <secure@corp.example>"#,
            r#"Tom "TJ" Jones \ Co"#,
        ),
        (long.as_str(), long_name.as_str()),
    ] {
        let mut notice = notice(&people, Locale::En, None);
        notice.from = from;
        let mail = notifier()?.secure_message(&notice)?;
        assert_crlf(&mail.raw)?;
        let raw = String::from_utf8_lossy(&mail.raw);
        let header = raw
            .split("\r\n")
            .skip_while(|line| !line.starts_with("From: "))
            .take_while(|line| line.starts_with("From: ") || line.starts_with(' '))
            .collect::<Vec<_>>();
        ensure!(
            header.iter().all(|line| !line.contains("=?") && line.len() <= 78),
            "{header:?}"
        );
        let message = parse(&mail)?;
        let parsed = message.from().and_then(|f| f.first()).context("no From")?;
        assert_eq!(parsed.name(), Some(name));
        assert_eq!(parsed.address(), Some("secure@corp.example"));
    }
    // A name too long for one line is left to lettre's encoded words, which fold.
    let huge = "(Acme) ".repeat(150);
    let from = format!("\"{}\" <secure@corp.example>", huge.trim_end());
    let mut notice = notice(&people, Locale::En, None);
    notice.from = &from;
    let mail = notifier()?.secure_message(&notice)?;
    let raw = String::from_utf8_lossy(&mail.raw);
    ensure!(raw.split("\r\n").all(|line| line.len() <= 998), "a line past 998");
    let message = parse(&mail)?;
    let parsed = message.from().and_then(|f| f.first()).context("no From")?;
    assert_eq!(parsed.name(), Some(huge.trim_end()));
    Ok(())
}

/// The payload goes into the envelope unescaped (`Base64Text` is `HtmlSafe`):
/// whatever the bytes, its text holds nothing HTML would escape.
#[test]
fn the_payload_written_unescaped_holds_only_characters_html_leaves_alone() {
    let every_byte: Vec<u8> = (0..=255).chain((0..=255).rev()).collect();
    for len in [0, 1, 2, 3, every_byte.len()] {
        let text = super::Base64Text::of(&every_byte[..len]).to_string();
        assert!(
            text.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
            "{text}"
        );
    }
}

#[test]
fn a_large_sealed_payload_travels_intact_in_the_envelope() -> Result<()> {
    let people = people()?;
    let payload: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mail = notifier()?.secure_message(&notice(&people, Locale::En, Some(&payload)))?;
    assert_crlf(&mail.raw)?;
    for line in mail.raw.split(|b| *b == b'\n') {
        ensure!(line.len() <= 998, "a line longer than SMTP allows");
    }
    let envelope = the_envelope(&parse(&mail)?)?;
    let values = attribute_values(&envelope.html, "value");
    let encoded = values.iter().max_by_key(|v| v.len()).context("no payload value")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded)?;
    assert!(decoded == payload, "the payload changed on the way");
    Ok(())
}

#[test]
fn notification_and_receipt_dates_read_in_the_recipients_language_and_time_zone() -> Result<()> {
    let people = people()?;
    let berlin = sealpost_domain::types::TimeZoneName::parse("Europe/Berlin")?;
    let paris = sealpost_domain::types::TimeZoneName::parse("Europe/Paris")?;
    let mut german = notice(&people, Locale::De, Some(PAYLOAD));
    german.time_zone = Some(&berlin);
    let mail = notifier()?.secure_message(&german)?;
    let message = parse(&mail)?;
    let text = message.body_text(0).context("no text part")?;
    // 09:07 UTC is 10:07 in Berlin in November.
    assert!(text.contains("20. November 2026 um 10:07 CET"), "{text}");
    assert!(!text.contains("2026-11-20"), "{text}");
    let to = address("alice@corp.example")?;
    let reader = address("bob@client.example")?;
    let receipt = notifier()?.read_receipt(&to, Locale::Fr, Some(&paris), &reader, SENT_AT, "https://x.example/")?;
    let parsed = parse(&receipt)?;
    let text = parsed.body_text(0).context("no text part")?;
    assert!(text.contains("le 20 novembre 2026 à 10:07 CET"), "{text}");
    Ok(())
}
