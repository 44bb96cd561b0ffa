//! Turning the DATA into what the domain seals: body (HTML or text), every
//! attachment and inline image decoded, `To`/`Cc` for Bcc detection, `From`
//! (it must be the envelope sender), the subject as written (the domain strips
//! the tags when it chooses the profile), and the `X-Sealpost-*` controls.
//! Nothing else of the original headers is kept, so control headers never
//! reach a recipient.

use mail_parser::{Address, MessageParser, MimeHeaders as _, PartType};
use sealpost_domain::services::messages::{GatewayAttachment, GatewayControls, GatewaySubmission};
use sealpost_domain::types::EmailAddress;

use super::GatewayConfig;

/// Why a message cannot be sealed as it is.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseRefusal {
    /// Not a message at all.
    Unparsable,
    /// More MIME parts than configured (a MIME bomb).
    TooManyParts,
}

/// The control headers the sender may set.
const CONTROLS: [&str; 6] = [
    "X-Sealpost-Profile",
    "X-Sealpost-Reply",
    "X-Sealpost-Reply-All",
    "X-Sealpost-Forward",
    "X-Sealpost-Read-Receipt",
    "X-Sealpost-Expires",
];

/// Parses `raw` (the DATA, dot-unstuffed) with its envelope.
pub fn submission(
    raw: &[u8],
    config: &GatewayConfig,
    sender: EmailAddress,
    recipients: Vec<EmailAddress>,
) -> Result<GatewaySubmission, ParseRefusal> {
    let message = MessageParser::default().parse(raw).ok_or(ParseRefusal::Unparsable)?;
    if message.parts.len() > config.max_parts {
        return Err(ParseRefusal::TooManyParts);
    }
    let mut controls = GatewayControls::default();
    for name in CONTROLS {
        if let Some(value) = message.header_raw(name) {
            controls.read_header(name, value);
        }
    }
    let html_parts: Vec<_> = message
        .html_body
        .iter()
        .filter_map(|&i| message.parts.get(i as usize))
        .collect();
    let is_html = html_parts.iter().any(|p| matches!(p.body, PartType::Html(_)));
    let body = if is_html {
        (0..message.html_body.len())
            .filter_map(|i| message.body_html(i))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        (0..message.text_body.len())
            .filter_map(|i| message.body_text(i))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let attachments = message
        .attachments()
        .map(|part| {
            let content_type = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            let (name, content_type) = match (&part.body, part.attachment_name()) {
                (_, Some(name)) => (name.to_owned(), content_type),
                (PartType::Message(_), None) => ("message.eml".to_owned(), "message/rfc822".to_owned()),
                (_, None) => ("attachment".to_owned(), content_type),
            };
            GatewayAttachment {
                name,
                content_type,
                bytes: part.contents().to_vec(),
                content_id: part.content_id().map(str::to_owned),
            }
        })
        .collect();
    Ok(GatewaySubmission {
        sender: Some(sender),
        // The session adds what it found at MAIL FROM.
        sender_found: None,
        recipients,
        header_to: addresses(message.to()),
        header_cc: addresses(message.cc()),
        header_from: message
            .from()
            .into_iter()
            .flat_map(Address::iter)
            .map(|addr| addr.address().unwrap_or_default().to_owned())
            .collect(),
        subject: message.subject().unwrap_or_default().to_owned(),
        service_tag: config.subject_tag.clone(),
        body,
        html: is_html,
        attachments,
        controls,
    })
}

/// The addresses of a `To` or `Cc` header (groups flattened); malformed ones
/// are left out (they are then Bcc, shown to no one).
fn addresses(header: Option<&Address<'_>>) -> Vec<EmailAddress> {
    header
        .into_iter()
        .flat_map(Address::iter)
        .filter_map(|addr| addr.address())
        .filter_map(|raw| EmailAddress::parse(raw).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<GatewaySubmission, ParseRefusal> {
        let sender = EmailAddress::parse("ann@acme.test").map_err(|_| ParseRefusal::Unparsable)?;
        let to = EmailAddress::parse("bob@example.org").map_err(|_| ParseRefusal::Unparsable)?;
        submission(raw.as_bytes(), &GatewayConfig::default(), sender, vec![to])
    }

    #[test]
    fn encoded_words_charsets_controls_and_attachments_come_out_decoded() -> Result<(), ParseRefusal> {
        let raw = "From: Ann <ann@acme.test>\r\nTo: Bob <bob@example.org>\r\n\
            Subject: =?ISO-8859-1?Q?[secure]_R=E9sum=E9?=\r\nX-Sealpost-Forward: yes\r\n\
            X-Sealpost-Expires: +3\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
            --b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
            Gr=FC=DFe\r\n--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n\
            Content-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            JVBERi0xLjQK\r\n--b1--\r\n";
        let parsed = parse(raw)?;
        assert_eq!(parsed.subject, "[secure] Résumé", "the domain strips tags");
        assert_eq!(parsed.header_from.len(), 1);
        assert_eq!(parsed.body.trim_end(), "Grüße");
        assert!(!parsed.html);
        assert_eq!(parsed.controls.forward, Some(true));
        assert_eq!(parsed.controls.expires.as_deref(), Some("+3"));
        assert_eq!(parsed.header_to.len(), 1);
        assert_eq!(parsed.attachments.len(), 1);
        assert_eq!(parsed.attachments[0].name, "a.pdf");
        assert_eq!(parsed.attachments[0].content_type, "application/pdf");
        assert_eq!(parsed.attachments[0].bytes, b"%PDF-1.4\n");
        Ok(())
    }
}
