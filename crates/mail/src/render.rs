//! Rendering: every email Sealpost sends, as complete RFC 5322 bytes.
//!
//! [`MailNotifier`] implements the domain's [`Notifier`]. Each email is
//! `multipart/alternative` (plain text first, then HTML with inline styles and no
//! external resources), in the recipient's language (Fluent, `locales/*/mail.ftl`).
//! A secure message's notification is wrapped in `multipart/mixed` with the
//! **Registered Envelope** attached: one self-contained HTML file whose "Open Online"
//! button posts the message id, the recipient and, in the delivery modes that attach
//! it, the sealed payload to the service. The envelope never holds a subject or body;
//! this module never sees them.
//!
//! Layout: the texts are chosen here (each [`Notifier`] method fills one
//! `MailView`); the templates in `templates/` only lay them out (`mail.html`,
//! `mail.txt`, `envelope.html`). `MailNotifier::compose` turns a view into bytes
//! with lettre's builder, which picks safe transfer encodings (7-bit,
//! quoted-printable or base64) and ends every line with CRLF.
//!
//! The `Message-ID` is 128 random bits in hex at the domain of the `From:` address.
//! It is returned in [`RenderedMail::message_id`] and stored with the raw bytes, so
//! every retry of a row sends exactly the same message.

use std::sync::Arc;

use askama::Template;
use base64::Engine as _;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use sealpost_domain::DomainError;
use sealpost_domain::messages::{LinkMail, RenderedMail, SecureMessageNotice, SecurityNotice};
use sealpost_domain::ports::{Clock, Notifier};
use sealpost_domain::types::{EmailAddress, Locale, TimeZoneName, Timestamp};
use sealpost_i18n::{Arg, DateFormatter, Translator};

use crate::error::MailError;
use crate::timefmt;

/// Renders Sealpost's emails; the implementation of the domain's [`Notifier`].
///
/// Holds what every email shares: the service's display name (in texts and the
/// header of each email), the sender address of system emails (activation, password
/// reset, read receipts, bounces), and the clock that dates them.
pub struct MailNotifier {
    /// The name people know the service by, such as "Sealpost".
    service: String,
    /// `From:` of every email except secure-message notifications (whose sender
    /// address comes with the notice).
    from: Mailbox,
    /// Dates the `Date:` header.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MailNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailNotifier")
            .field("service", &self.service)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Why rendering failed; always a bug or a broken environment, so it reaches the
/// caller as [`DomainError::Internal`].
#[derive(Debug, thiserror::Error)]
enum RenderError {
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the system random number generator failed: {0}")]
    Random(String),
    #[error("{0:?} is not an address lettre accepts")]
    Address(String),
    #[error("content type: {0}")]
    ContentType(#[from] lettre::message::header::ContentTypeErr),
}

impl From<RenderError> for DomainError {
    fn from(error: RenderError) -> Self {
        DomainError::internal(error)
    }
}

impl MailNotifier {
    /// A notifier for the service `service_name` whose system emails come from `from`
    /// (`sealpost@example.com` or `Sealpost <sealpost@example.com>`; without a display
    /// name, `service_name` is used). Refuses an address that does not parse.
    pub fn new(service_name: impl Into<String>, from: &str, clock: Arc<dyn Clock>) -> Result<Self, MailError> {
        let service = service_name.into();
        let bad = || MailError::BadAddress {
            setting: "mail_from",
            value: from.to_owned(),
        };
        let mut mailbox: Mailbox = from.trim().parse().map_err(|_| bad())?;
        if mailbox.email.domain().is_empty() || mailbox.email.user().is_empty() {
            return Err(bad());
        }
        if mailbox.name.as_deref().is_none_or(|name| name.trim().is_empty()) {
            mailbox.name = Some(service.clone());
        }
        Ok(Self {
            service,
            from: mailbox,
            clock,
        })
    }

    /// The bare address system emails come from, for example as the SMTP envelope sender.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Turns a view into a complete message: headers, text and HTML alternatives, and
    /// the attachment, if any.
    fn compose(&self, mail: Compose<'_>) -> Result<RenderedMail, RenderError> {
        let message_id = new_message_id(mail.from.email.domain())?;
        let to = Mailbox::new(
            None,
            mail.to
                .as_str()
                .parse()
                .map_err(|_| RenderError::Address(mail.to.to_string()))?,
        );
        let text = mail.view.render_text()?;
        let html = mail.view.render_html()?;
        let quoted_from = quoted_from(&mail.from);
        let mut builder = lettre::Message::builder()
            .message_id(Some(format!("<{message_id}>")))
            .date(timefmt::system_time(self.clock.now()))
            .from(mail.from)
            .to(to)
            .subject(one_line(&mail.view.subject))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                mail.view.lang.to_owned(),
            ))
            // RFC 3834: no vacation replies to notifications.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        if let Some(from) = quoted_from {
            builder = builder.raw_header(from);
        }
        if let Some(reply_to) = mail.reply_to {
            builder = builder.reply_to(reply_to);
        }
        let alternative = match mail.inline_logo {
            None => MultiPart::alternative()
                .singlepart(SinglePart::plain(text))
                .singlepart(SinglePart::html(html)),
            Some(png) => MultiPart::alternative().singlepart(SinglePart::plain(text)).multipart(
                MultiPart::related().singlepart(SinglePart::html(html)).singlepart(
                    Attachment::new_inline(LOGO_CID.to_owned()).body(png.to_vec(), ContentType::parse("image/png")?),
                ),
            ),
        };
        let message = match mail.attachment {
            None => builder.multipart(alternative)?,
            Some((file_name, content)) => builder.multipart(
                MultiPart::mixed()
                    .multipart(alternative)
                    .singlepart(Attachment::new(file_name).body(content, ContentType::TEXT_HTML)),
            )?,
        };
        Ok(RenderedMail {
            message_id,
            raw: message.formatted(),
        })
    }

    /// An email from the service itself (not on a sender's behalf).
    fn system_mail(&self, to: &EmailAddress, view: &MailView<'_>) -> Result<RenderedMail, DomainError> {
        Ok(self.compose(Compose {
            from: self.from.clone(),
            reply_to: None,
            to,
            view,
            attachment: None,
            inline_logo: None,
        })?)
    }

    /// A system mail of one button leading to `link`, its texts the Fluent
    /// messages `{prefix}-subject`, `-heading`, `-intro` (those three given `args`)
    /// and `-button`, then a paragraph for each of `outro` (`{prefix}-{name}`).
    fn one_button_mail(
        &self,
        to: &EmailAddress,
        locale: Locale,
        prefix: &str,
        args: &[(&'static str, Arg<'_>)],
        link: &str,
        outro: &[&str],
    ) -> Result<RenderedMail, DomainError> {
        let t = Translator::new(locale);
        let message = |name: &str| format!("{prefix}-{name}");
        let view = MailView {
            subject: t.get_with(&message("subject"), args),
            heading: t.get_with(&message("heading"), args),
            intro: vec![t.get_with(&message("intro"), args)],
            action: Some(Action {
                label: t.get(&message("button")),
                url: link,
            }),
            outro: outro.iter().map(|name| t.get(&message(name))).collect(),
            fallback: t.get("mail-link-fallback"),
            ..self.system_view(locale, &t)
        };
        self.system_mail(to, &view)
    }

    fn footer(&self, t: &Translator) -> String {
        t.get_with("mail-footer", &[("service", Arg::Text(&self.service))])
    }

    /// What every email from the service itself shares (no organisation's name or
    /// logo, Sealpost's blue, the service's footer), with its texts empty: each
    /// system mail fills in its own.
    fn system_view(&self, locale: Locale, t: &Translator) -> MailView<'_> {
        MailView {
            lang: locale.tag(),
            service: &self.service,
            brand_name: None,
            has_logo: false,
            accent: DEFAULT_ACCENT.to_owned(),
            subject: String::new(),
            heading: String::new(),
            intro: Vec::new(),
            details: Vec::new(),
            action: None,
            outro: Vec::new(),
            fallback: String::new(),
            footer: self.footer(t),
        }
    }
}

/// What [`MailNotifier::compose`] needs besides the notifier's own settings.
struct Compose<'a> {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    to: &'a EmailAddress,
    view: &'a MailView<'a>,
    /// File name and HTML content.
    attachment: Option<(String, String)>,
    /// The account's logo, a PNG the HTML shows as `cid:`[`LOGO_CID`].
    inline_logo: Option<&'a [u8]>,
}

/// The Content-ID of the logo inside a notification (RFC 2392): the HTML part
/// refers to it, so the mail program shows it without fetching anything.
const LOGO_CID: &str = "brand-logo@sealpost";

/// The button of an email and the address it leads to.
struct Action<'a> {
    label: String,
    url: &'a str,
}

/// The texts of one email, already translated; `mail.html` and `mail.txt` lay
/// them out the same way.
struct MailView<'a> {
    lang: &'static str,
    service: &'a str,
    /// The sending organisation's display name, shown above everything, with
    /// the service named in small print (secure-message notifications only).
    brand_name: Option<&'a str>,
    /// Whether the HTML shows the inline logo (`cid:`[`LOGO_CID`]).
    has_logo: bool,
    /// The colour of the heading and button: the account's, or Sealpost's blue.
    accent: String,
    subject: String,
    heading: String,
    /// Paragraphs before the details and the button.
    intro: Vec<String>,
    /// Label and value pairs (who sent what, when).
    details: Vec<(String, String)>,
    action: Option<Action<'a>>,
    /// Paragraphs after the button.
    outro: Vec<String>,
    /// "If the button does not work, copy this address…", shown with the button's URL.
    fallback: String,
    footer: String,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailHtml<'a> {
    view: &'a MailView<'a>,
}

#[derive(Template)]
#[template(path = "mail.txt")]
struct MailText<'a> {
    view: &'a MailView<'a>,
    /// `details` as aligned `label  value` lines.
    detail_lines: Vec<String>,
}

impl MailView<'_> {
    fn render_html(&self) -> Result<String, askama::Error> {
        MailHtml { view: self }.render()
    }

    fn render_text(&self) -> Result<String, askama::Error> {
        let width = self
            .details
            .iter()
            .map(|(label, _)| label.chars().count())
            .max()
            .unwrap_or(0);
        let detail_lines = self
            .details
            .iter()
            .map(|(label, value)| {
                let pad = width - label.chars().count();
                format!("{label}{:pad$}  {value}", "")
            })
            .collect();
        MailText {
            view: self,
            detail_lines,
        }
        .render()
    }
}

/// The Registered Envelope: the attachment of a secure message's notification.
#[derive(Template)]
#[template(path = "envelope.html")]
struct EnvelopeHtml<'a> {
    lang: &'static str,
    service: &'a str,
    /// The sending organisation's display name, above everything.
    brand_name: Option<&'a str>,
    /// The logo as a `data:` URI: the file stays self-contained.
    logo: Option<String>,
    /// The band and button colour.
    accent: String,
    /// "Delivered securely by Sealpost", the service in small print when branded.
    service_line: String,
    title: String,
    heading: String,
    from_label: String,
    sender_name: &'a str,
    sender_email: &'a str,
    to_label: String,
    recipient: &'a str,
    date_label: String,
    date: String,
    explanation: String,
    privacy: String,
    button: String,
    /// Where the form posts (the service's envelope endpoint).
    action: &'a str,
    /// The message's public id, hex.
    id: String,
    /// The sealed payload, when the delivery mode attaches it.
    payload: Option<Base64Text>,
    /// No Password Required: the recipient's secret, posted by "Open Online"
    /// (no registration is offered then).
    secret: Option<&'a str>,
    /// Where first-time recipients register (a GET form beside "Open Online").
    register_action: &'a str,
    /// Where registering returns to: the message's page.
    register_next: &'a str,
    register_hint: String,
    register_button: String,
    /// "Help" and the profile's help page, when it sets one.
    help: Option<(String, &'a str)>,
    /// "Questions? Write to …", when the profile sets a contact address.
    contact: Option<String>,
}

/// Bytes as standard base64, written into the envelope as they are: its
/// alphabet (`A`–`Z`, `a`–`z`, `0`–`9`, `+`, `/`, `=`) holds nothing HTML
/// escapes, so askama is told to skip the scan (`HtmlSafe`) of what is most of
/// the envelope's bytes (a profile showed that scan among the gateway's top
/// entries). Only [`Base64Text::of`] makes one.
struct Base64Text(String);

impl Base64Text {
    fn of(bytes: &[u8]) -> Self {
        Self(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl std::fmt::Display for Base64Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Base64Text {}

impl Notifier for MailNotifier {
    fn secure_message(&self, notice: &SecureMessageNotice<'_>) -> Result<RenderedMail, DomainError> {
        let t = Translator::new(notice.locale);
        let lang = notice.locale.tag();
        let sender_name = notice.sender_name.trim();
        let sender = if sender_name.is_empty() {
            notice.sender_email.as_str()
        } else {
            sender_name
        };
        let sender_email = notice.sender_email.as_str();
        let recipient = notice.recipient.as_str();
        let service = self.service.as_str();
        let file_name = sealpost_domain::profiles::render_file_name(notice.file_name, notice.sent_at);
        let date = DateFormatter::new(notice.locale, notice.time_zone).date_time_with_zone(notice.sent_at);
        let open_online = t.get("mail-open-online");

        let branding = notice.branding;
        let brand_name = branding.display_name.as_ref().map(|n| n.as_str());
        let accent = branding.colour.map_or_else(|| DEFAULT_ACCENT.to_owned(), |c| c.css());
        let envelope = EnvelopeHtml {
            lang,
            service,
            brand_name,
            logo: branding.logo.as_ref().map(|logo| logo.data_uri()),
            accent: accent.clone(),
            service_line: t.get_with("branding-delivered-by", &[("service", Arg::Text(service))]),
            title: t.get("mail-envelope-title"),
            heading: t.get_with("mail-envelope-heading", &[("sender", Arg::Text(sender))]),
            from_label: t.get("mail-label-from"),
            sender_name,
            sender_email,
            to_label: t.get("mail-label-to"),
            recipient,
            date_label: t.get("mail-label-sent"),
            date: date.clone(),
            explanation: t.get_with(
                "mail-envelope-explanation",
                &[("recipient", Arg::Text(recipient)), ("service", Arg::Text(service))],
            ),
            privacy: t.get("mail-envelope-privacy"),
            button: open_online.clone(),
            action: notice.envelope_action,
            id: notice.public_id.to_hex(),
            payload: notice.payload.map(Base64Text::of),
            secret: notice.secret,
            register_action: notice.register_action,
            register_next: notice.register_next,
            register_hint: t.get("mail-envelope-register-hint"),
            register_button: t.get("mail-envelope-register"),
            help: notice.help_url.map(|url| (t.get("mail-envelope-help"), url)),
            contact: notice
                .contact
                .map(|address| t.get_with("mail-envelope-contact", &[("address", Arg::Text(address.as_str()))])),
        }
        .render()
        .map_err(RenderError::from)?;

        let from_display = if sender_name.is_empty() {
            sender_email.to_owned()
        } else {
            format!("{sender_name} <{sender_email}>")
        };
        let view = MailView {
            lang,
            service,
            brand_name,
            has_logo: branding.logo.is_some(),
            accent: accent.clone(),
            subject: match notice.subject {
                Some(subject) => subject.to_owned(),
                None => t.get_with("mail-secure-subject", &[("sender", Arg::Text(sender))]),
            },
            heading: t.get("mail-secure-heading"),
            intro: vec![
                t.get_with(
                    "mail-secure-intro",
                    &[
                        ("sender", Arg::Text(sender)),
                        ("email", Arg::Text(sender_email)),
                        ("service", Arg::Text(service)),
                    ],
                ),
                t.get("mail-secure-how"),
            ],
            details: vec![
                (t.get("mail-label-from"), from_display),
                (t.get("mail-label-to"), recipient.to_owned()),
                (t.get("mail-label-sent"), date),
            ],
            action: Some(Action {
                label: open_online,
                url: notice.open_url,
            }),
            outro: if notice.attach_envelope {
                vec![
                    t.get_with("mail-secure-attachment", &[("file", Arg::Text(&file_name))]),
                    t.get("mail-secure-first-time"),
                ]
            } else {
                vec![t.get("mail-secure-first-time")]
            },
            fallback: t.get("mail-link-fallback"),
            footer: t.get_with(
                "mail-secure-footer",
                &[("service", Arg::Text(service)), ("recipient", Arg::Text(recipient))],
            ),
        };

        let mut from: Mailbox = notice
            .from
            .trim()
            .parse()
            .map_err(|_| DomainError::Internal(Box::new(RenderError::Address(notice.from.to_owned()))))?;
        if from.name.as_deref().is_none_or(|name| name.trim().is_empty()) {
            from.name = Some(one_line(&t.get_with(
                "mail-from-name",
                &[("sender", Arg::Text(sender)), ("service", Arg::Text(service))],
            )));
        }
        let reply_to = sender_email
            .parse()
            .ok()
            .map(|address| Mailbox::new((!sender_name.is_empty()).then(|| one_line(sender_name)), address));
        Ok(self.compose(Compose {
            from,
            reply_to,
            to: notice.recipient,
            view: &view,
            attachment: notice.attach_envelope.then_some((file_name, envelope)),
            inline_logo: branding.logo.as_ref().map(|logo| logo.png()),
        })?)
    }

    fn link_mail(
        &self,
        kind: LinkMail,
        to: &EmailAddress,
        locale: Locale,
        link: &str,
        account: Option<&str>,
    ) -> Result<RenderedMail, DomainError> {
        let service = self.service.as_str();
        let args = [
            ("email", Arg::Text(to.as_str())),
            ("service", Arg::Text(service)),
            ("account", Arg::Text(account.unwrap_or(service))),
        ];
        self.one_button_mail(to, locale, kind.messages(), &args, link, &["expiry", "ignore"])
    }

    fn read_receipt(
        &self,
        to: &EmailAddress,
        locale: Locale,
        time_zone: Option<&TimeZoneName>,
        reader: &EmailAddress,
        sent_at: Timestamp,
        link: &str,
    ) -> Result<RenderedMail, DomainError> {
        let t = Translator::new(locale);
        let date = DateFormatter::new(locale, time_zone).date_time_with_zone(sent_at);
        let view = MailView {
            subject: t.get_with("mail-receipt-subject", &[("reader", Arg::Text(reader.as_str()))]),
            heading: t.get("mail-receipt-heading"),
            intro: vec![t.get_with(
                "mail-receipt-body",
                &[("reader", Arg::Text(reader.as_str())), ("date", Arg::Text(&date))],
            )],
            action: Some(Action {
                label: t.get("mail-receipt-button"),
                url: link,
            }),
            fallback: t.get("mail-link-fallback"),
            ..self.system_view(locale, &t)
        };
        self.system_mail(to, &view)
    }

    fn security_notice(
        &self,
        notice: SecurityNotice<'_>,
        to: &EmailAddress,
        locale: Locale,
        time_zone: Option<&TimeZoneName>,
        at: Timestamp,
        link: &str,
    ) -> Result<RenderedMail, DomainError> {
        let date = DateFormatter::new(locale, time_zone).date_time_with_zone(at);
        let args = [
            ("email", Arg::Text(to.as_str())),
            ("service", Arg::Text(&self.service)),
            ("date", Arg::Text(&date)),
            ("name", Arg::Text(notice.name())),
        ];
        self.one_button_mail(to, locale, notice.messages(), &args, link, &["advice"])
    }

    fn bounce(
        &self,
        to: &EmailAddress,
        locale: Locale,
        failed: &EmailAddress,
        reason: &str,
    ) -> Result<RenderedMail, DomainError> {
        let t = Translator::new(locale);
        let view = MailView {
            subject: t.get_with("mail-bounce-subject", &[("failed", Arg::Text(failed.as_str()))]),
            heading: t.get("mail-bounce-heading"),
            intro: vec![t.get_with("mail-bounce-body", &[("failed", Arg::Text(failed.as_str()))])],
            details: vec![
                (t.get("mail-label-to"), failed.to_string()),
                (t.get("mail-bounce-reason"), one_line(reason)),
            ],
            outro: vec![t.get("mail-bounce-advice")],
            ..self.system_view(locale, &t)
        };
        self.system_mail(to, &view)
    }
}

/// Sealpost's own blue, where an account has set no colour.
const DEFAULT_ACCENT: &str = "#0b5cad";

/// `<32 hex digits>@<domain>`: 128 random bits, unique without coordination.
fn new_message_id(domain: &str) -> Result<String, RenderError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| RenderError::Random(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{hex}@{domain}"))
}

/// The `From` header of `mailbox` when its name is printable ASCII: the name as a
/// quoted string (RFC 5322 3.2.4), where lettre writes a base64 encoded word for
/// any name with a parenthesis, an ampersand or an apostrophe ("Acme Corp
/// (Sealpost)"). Spam filters count an encoded word that was not needed against
/// the mail (SpamAssassin's FROM_EXCESS_BASE64). `None` leaves any other name to
/// lettre's encoding. A line that would pass 78 characters is folded before the
/// address.
fn quoted_from(mailbox: &Mailbox) -> Option<HeaderValue> {
    let name = mailbox.name.as_deref()?;
    let lettre_writes_it_plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b" -_.".contains(&b));
    if lettre_writes_it_plain || !name.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    let quoted = format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
    // A line holds at most 998 characters (RFC 5322 2.1.1); lettre's encoded
    // words fold where a quoted string cannot.
    if quoted.len() > 900 {
        return None;
    }
    let address = mailbox.email.to_string();
    let fold = if "From: ".len() + quoted.len() + address.len() + 3 > 78 {
        "\r\n "
    } else {
        " "
    };
    Some(HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str("From"),
        mailbox.to_string(),
        format!("{quoted}{fold}<{address}>"),
    ))
}

/// Text for a header or a single line: control characters (CR, LF, tabs) become spaces.
fn one_line(text: &str) -> String {
    let spaced: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod branding_tests;
#[cfg(test)]
mod tests;
