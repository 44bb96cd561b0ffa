//! Typed views: one struct per page, rendered by askama from `templates/`.
//!
//! Every page embeds a [`Page`] (language, CSRF token, navigation, flash) and reads
//! its text through `page.t(..)`. Templates auto-escape; no HTML is built in Rust
//! (a message body is escaped ahead by [`crate::escape`], with the same output).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use sealpost_domain::model::{Account, Group, Member, User, UserStatus};
use sealpost_domain::services::content::AttachmentMeta;
use sealpost_domain::services::messages::InlineImage;
use sealpost_domain::types::{GroupName, Locale, Timestamp};
use sealpost_i18n::{Arg, DateFormatter, Translator};

use crate::error::Refuses as _;

/// Which part of the site a page belongs to (decides the navigation shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Public,
    Admin,
    Portal,
}

/// The frame every page shares.
#[derive(Debug, Clone)]
pub struct Page {
    pub t: Translator,
    /// The reader's language and time zone for dates ([`Page::when`]).
    pub dates: DateFormatter,
    pub lang: &'static str,
    pub title: String,
    pub csrf: String,
    /// Shown in the header with "Log Out" (full sessions only).
    pub user_email: Option<String>,
    /// Any session, even a password-change-only one (offers "Log Out").
    pub signed_in: bool,
    pub area: Area,
    pub flash: Option<String>,
    /// Where the language switch returns to.
    pub back: String,
    /// Whether to show Accounts and Users (administrators only).
    pub is_admin_nav: bool,
    /// Whether to offer "Compose Message" (members of an account only).
    pub can_compose: bool,
    /// The sending organisation's look, on the pages a recipient reaches from its
    /// mail (see [`crate::brand`]).
    pub brand: Option<crate::brand::BrandView>,
}

impl Page {
    /// A message.
    pub fn t(&self, id: &str) -> String {
        self.t.get(id)
    }

    /// An instant as the reader reads it: "3. Dezember 2026 um 22:49".
    pub fn when(&self, at: &Timestamp) -> String {
        self.dates.date_time(*at)
    }

    /// The day of an instant as the reader reads it: "3. Dezember 2026".
    pub fn day(&self, at: &Timestamp) -> String {
        self.dates.date(*at)
    }

    /// A message with one text argument.
    pub fn t1(&self, id: &str, name: &'static str, value: &str) -> String {
        self.t.get_with(id, &[(name, Arg::Text(value))])
    }

    /// A message with one number argument.
    pub fn tn(&self, id: &str, name: &'static str, value: &i64) -> String {
        self.t.get_with(id, &[(name, Arg::Number(*value))])
    }

    /// The languages the switch offers: (tag, native name, current?).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        Locale::ALL
            .iter()
            .map(|l| (l.tag(), l.native_name(), l.tag() == self.lang))
            .collect()
    }

    /// The label of a group: the built-in group is shown in the page's language.
    pub fn group_label(&self, group: &Group) -> String {
        group_shown(&self.t, group)
    }

    /// A user's status in words.
    pub fn status(&self, user: &User) -> String {
        self.t(match user.status {
            UserStatus::Active => "status-active",
            UserStatus::Pending => "status-pending",
            UserStatus::Locked => "status-locked",
        })
    }

    /// The localized name of a language tag, for settings.
    pub fn language_name(&self, locale: &Option<Locale>) -> String {
        match locale {
            Some(l) => l.native_name().to_owned(),
            None => self.t("portal-language-browser"),
        }
    }
}

/// The built-in group's stored name shown in `t`'s language; other names unchanged.
pub fn group_label(t: &Translator, stored: &str) -> String {
    if stored == GroupName::ACCOUNT_ADMINISTRATORS {
        t.get("group-account-administrators")
    } else {
        stored.to_owned()
    }
}

/// A group's name as shown: the built-in group's in the reader's language.
pub fn group_shown(t: &Translator, group: &Group) -> String {
    if group.builtin {
        group_label(t, &group.name)
    } else {
        group.name.clone()
    }
}

/// Renders a template, or a bare 500 if the template itself fails.
pub fn render<T: Template>(template: &T) -> Response {
    render_with_room(template, 0)
}

/// [`render`] into a buffer with room for `room` bytes more than the template's
/// own estimate from the start: for a page showing a large text (an opened
/// message), which would otherwise be copied each time the page outgrew it.
pub fn render_with_room<T: Template>(template: &T, room: usize) -> Response {
    let mut html = String::with_capacity(T::SIZE_HINT.saturating_add(room));
    match template.render_into(&mut html) {
        Ok(()) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Renders a template with a status other than 200 (forms refused with 422).
pub fn render_status<T: Template>(status: StatusCode, template: &T) -> Response {
    let mut response = render(template);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

/// A message shown on a form, next to `field` (or at the top when `None`).
#[derive(Debug, Clone, Default)]
pub struct FormError {
    pub field: Option<&'static str>,
    pub message: String,
}

impl FormError {
    /// Whether the error belongs to `field`.
    pub fn is(&self, field: &str) -> bool {
        self.field == Some(field)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: Translator,
    pub lang: &'static str,
    pub title: String,
    pub body: String,
    pub request_id: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub page: Page,
    pub action: &'static str,
    pub email: String,
    /// Where to continue after logging in.
    pub next: String,
    pub error: Option<String>,
    /// The account of the message `next` names has switched remembered devices off.
    pub remembering_off: bool,
}

impl LoginPage {
    /// Whether to offer "Remember me on this device": on the way to a message
    /// whose account allows it.
    pub fn offers_remembering(&self) -> bool {
        self.next.starts_with("/m/") && !self.remembering_off
    }
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub page: Page,
    /// Set when the password was chosen by someone else and must be replaced.
    pub forced: bool,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
pub struct AccountsPage {
    pub page: Page,
    pub accounts: Vec<Account>,
    pub may_create: bool,
    pub name: String,
    pub admin: String,
    pub error: Option<FormError>,
    /// The search as typed (name or number).
    pub search: String,
    /// The order shown: `name` or `number`.
    pub sort: &'static str,
    /// "Showing 1–50 of 1,234 accounts."
    pub showing: String,
    /// Links that sort by name and by number (from the first page, search kept).
    pub by_name: String,
    pub by_number: String,
    /// The neighbouring pages, when there are any.
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The tab bar of an account page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountTab {
    Details,
    Groups,
    Tokens,
    Profiles,
    Images,
    Features,
    Messages,
    Reports,
    Audit,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
pub struct AccountDetailsPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    /// The name field as shown (what was typed, after a refusal).
    pub name: String,
    /// The allowed sender domains as shown, one a line (or as typed).
    pub sender_domains: String,
    /// Whether the visitor may suspend, resume and delete it (operators).
    pub may_manage: bool,
    pub administrators: Vec<Member>,
    /// The sending address field as shown (what was typed, after a refusal).
    pub sending_address: String,
    /// The service's sender, used when the account sets none.
    pub default_sender: String,
    /// The delivery mode the account's messages get, in words (set in BCE Config).
    pub mode_in_effect: String,
    /// A refusal of the sending-address form.
    pub error: Option<FormError>,
}

/// One option of a list's filter (a `<select>`: the audit's "what", the
/// messages' state).
pub struct FilterOption {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// A filter's options, from `(value, selected)` pairs, each labelled by the
/// message `{prefix}-{value}`.
pub fn filter_options(
    t: &Translator,
    prefix: &str,
    values: impl IntoIterator<Item = (&'static str, bool)>,
) -> Vec<FilterOption> {
    values
        .into_iter()
        .map(|(value, selected)| FilterOption {
            value,
            label: t.get(&format!("{prefix}-{value}")),
            selected,
        })
        .collect()
}

/// One option of a radio choice (a profile's delivery mode, security level, language).
pub struct ModeChoice {
    /// The submitted value; empty for the service's default.
    pub value: &'static str,
    pub label: String,
    pub hint: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
pub struct GroupsPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub groups: Vec<Group>,
    pub count: i64,
    pub group_name: String,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "admin/members.html")]
pub struct MembersPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub group: Group,
    pub group_label: String,
    pub members: Vec<Member>,
    pub next_after: Option<String>,
    pub user_id: String,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub page: Page,
    pub users: Vec<User>,
    pub query: String,
    /// The status filter as its stored value; empty: any.
    pub status: String,
    /// How many users match ("1 user found.", "More than 1000 users found."), on every page.
    pub total: String,
    pub next_after: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/new_user.html")]
pub struct NewUserPage {
    pub page: Page,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub force_password_change: bool,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "portal/home.html")]
pub struct PortalHomePage {
    pub page: Page,
    pub user: User,
    pub accounts: Vec<Account>,
    pub administrator: bool,
}

/// One row of a mailbox or tracking list.
pub struct MessageRow {
    pub id: String,
    pub subject: Option<String>,
    pub sender: String,
    pub sent: String,
    pub recipients: Vec<RecipientRow>,
    pub expires: Option<String>,
    pub locked: bool,
    pub destroyed: bool,
}

/// One recipient and whether (and when) they opened the message.
pub struct RecipientRow {
    pub email: String,
    pub cc: bool,
    /// Given only to the sender: the gateway's envelope-only recipients.
    pub bcc: bool,
    pub opened: Option<String>,
    /// The mail server's reply when their notification could not be delivered.
    pub failed: Option<String>,
}

impl MessageRow {
    /// A list row from a summary, its dates as `dates` writes them.
    pub fn from_summary(summary: &sealpost_domain::services::messages::MessageSummary, dates: &DateFormatter) -> Self {
        let m = &summary.message;
        Self {
            id: m.public_id.to_hex(),
            subject: summary.subject.clone(),
            sender: m.sender_email.to_string(),
            sent: dates.date_time(m.created_at),
            recipients: summary
                .recipients
                .iter()
                .map(|r| RecipientRow {
                    email: r.email.to_string(),
                    cc: r.kind == sealpost_domain::messages::RecipientKind::Cc,
                    bcc: r.kind == sealpost_domain::messages::RecipientKind::Bcc,
                    opened: r.opened_at.map(|t| dates.date_time(t)),
                    failed: r.delivery_error.clone(),
                })
                .collect(),
            expires: m.expires_at.map(|t| dates.date_time(t)),
            locked: m.locked_at.is_some(),
            destroyed: m.wrapped_dek.is_none(),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/compose.html")]
pub struct ComposePage {
    pub page: Page,
    pub accounts: Vec<Account>,
    pub account: String,
    /// The envelope profiles to choose from: (id or `default`, name, chosen);
    /// offered only when the account has more than one.
    pub profiles: Vec<(String, String, bool)>,
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub body: String,
    pub allow_reply: bool,
    pub allow_reply_all: bool,
    pub allow_forward: bool,
    pub read_receipt: bool,
    pub expires_on: String,
    /// Whether the body is written in HTML.
    pub html: bool,
    /// `reply`, `reply_all` or `forward` with the original's id, for replies.
    pub reply: Option<(String, String)>,
    pub max_attachment_mib: u64,
    /// Attachments of a refused submission, kept for the corrected one.
    pub kept: Vec<AttachmentRow>,
    /// The token that brings them back (empty when nothing is kept).
    pub draft_token: String,
    pub error: Option<FormError>,
    /// The options the sending account has switched off (Features tab), by field
    /// name: shown disabled with [`ComposePage::switched_off_reason`].
    pub switched_off: Vec<&'static str>,
    /// Why an option is disabled, in the visitor's language.
    pub switched_off_reason: String,
}

/// One per-message option of the compose form.
pub struct ComposeOption {
    pub field: &'static str,
    /// Its label's message id.
    pub label: &'static str,
    pub ticked: bool,
    /// Switched off by the account: shown disabled, with the reason.
    pub off: bool,
}

impl ComposePage {
    /// The per-message options in the order the form shows them.
    pub fn options(&self) -> Vec<ComposeOption> {
        [
            ("allow_reply", "compose-allow-reply", self.allow_reply),
            ("allow_reply_all", "compose-allow-reply-all", self.allow_reply_all),
            ("allow_forward", "compose-allow-forward", self.allow_forward),
            ("read_receipt", "compose-read-receipt", self.read_receipt),
        ]
        .into_iter()
        .map(|(field, label, ticked)| ComposeOption {
            field,
            label,
            ticked,
            off: self.switched_off.contains(&field),
        })
        .collect()
    }
    /// Whether this form forwards a message (a note only: the original and its
    /// attachments travel by themselves).
    pub fn forwarding(&self) -> bool {
        self.reply.as_ref().is_some_and(|(_, kind)| kind == "forward")
    }
}

#[derive(Template)]
#[template(path = "portal/mailbox.html")]
pub struct MailboxPage {
    pub page: Page,
    /// `inbox` or `sent`.
    pub which: &'static str,
    /// The inbox of a user who has not proven their mailbox lists nothing until
    /// they do: it offers the proof link instead.
    pub proof_needed: bool,
    pub rows: Vec<MessageRow>,
    /// The search as typed.
    pub q: String,
    /// "N messages match." (searching) or how many there are.
    pub total: String,
    /// Said when the search read only the newest messages.
    pub cut: Option<String>,
    /// The next (older) page, with the search.
    pub older: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/tracking.html")]
pub struct TrackingPage {
    pub page: Page,
    pub row: MessageRow,
    /// Where the unlock and expiry forms post; locking first shows its
    /// confirmation step, `GET {base}/lock`, which asks for the reason.
    pub base: String,
    /// The reason a locked message shows its recipients.
    pub lock_reason: String,
    pub expires_on: String,
    pub back: (String, String),
    pub error: Option<FormError>,
}

/// An attachment as the message page (or a refused compose form) lists it.
pub struct AttachmentRow {
    pub part: u32,
    pub name: String,
    pub size: String,
}

impl From<&AttachmentMeta> for AttachmentRow {
    fn from(meta: &AttachmentMeta) -> Self {
        Self {
            part: meta.part,
            name: meta.name.clone(),
            size: human_size(meta.size),
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub page: Page,
    pub id: String,
    pub subject: String,
    pub sender_name: String,
    pub sender_email: String,
    pub to: String,
    pub cc: String,
    pub sent: String,
    /// The plain-text body, escaped as it is written ([`crate::escape`]: the
    /// page's largest text).
    pub body: crate::escape::EscapedText<'a>,
    /// The sanitized HTML body, shown in a sandboxed frame; `None` for plain text.
    pub html_body: Option<String>,
    pub attachments: Vec<AttachmentRow>,
    /// The envelope's payload (base64) when the service keeps no copy, so
    /// attachment downloads can post it again.
    pub payload: Option<String>,
    pub can_reply: bool,
    pub can_reply_all: bool,
    pub can_forward: bool,
    pub viewer_is_sender: bool,
}

#[derive(Template)]
#[template(path = "unavailable.html")]
pub struct UnavailablePage {
    pub page: Page,
    pub explanation: String,
    pub reason: Option<String>,
    pub sender: String,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub page: Page,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub locale: &'static str,
    pub next: String,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub page: Page,
    pub paragraphs: Vec<String>,
    /// A button posting `fields` to `action`, e.g. "Activate".
    pub form: Option<NoticeForm>,
    pub link: Option<(String, String)>,
}

/// A one-button form on a notice page.
pub struct NoticeForm {
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub button: String,
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub struct ForgotPage {
    pub page: Page,
    pub email: String,
}

#[derive(Template)]
#[template(path = "reset.html")]
pub struct ResetPage {
    pub page: Page,
    pub token: String,
    pub error: Option<FormError>,
}

/// Bytes as people read them: "12 KB", "3.4 MB".
pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// An HTML body made safe to show: ammonia keeps a conservative set of tags and
/// attributes (no scripts, event handlers, styles, forms or frames); links open in
/// a new tab without a referrer. It is then shown in a sandboxed frame under the
/// page's Content-Security-Policy, so remote images (tracking pixels) stay blocked.
///
/// `cid:` URLs are kept (they fetch nothing); where the body points at one of
/// `images` (`cid:sealpost-part-N`, see `sealpost_domain::inline_images`), the
/// image is written in as a `data:` URL, which the policy's `img-src` allows and
/// which needs no request from the sandboxed frame.
pub fn sanitize_html(html: &str, images: &[InlineImage]) -> String {
    let mut clean = ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .add_url_schemes(&["cid"])
        .clean(html)
        .to_string();
    for image in images {
        let reference = format!("src=\"{}\"", sealpost_domain::inline_images::part_url(image.part));
        if clean.contains(&reference) {
            let data = format!(
                "src=\"data:{};base64,{}\"",
                image.content_type,
                base64::engine::general_purpose::STANDARD.encode(&image.bytes)
            );
            clean = clean.replace(&reference, &data);
        }
    }
    clean
}

/// `/me`: the signed-in user's own settings, as stored or as just typed.
#[derive(Template)]
#[template(path = "me.html")]
pub struct MePage {
    pub page: Page,
    /// The address: shown, never edited here.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// (tag, native name, chosen).
    pub languages: Vec<(&'static str, &'static str, bool)>,
    /// "Follow the browser" is chosen.
    pub browser_language: bool,
    /// UTC is chosen (or nothing).
    pub utc: bool,
    /// The short list offered first: (IANA name, chosen).
    pub common_zones: Vec<(String, bool)>,
    /// Every zone by region: (region, [(IANA name, chosen)]).
    pub zone_groups: Vec<(String, Vec<(String, bool)>)>,
    /// The present moment, shown as an example of how dates will read.
    pub now: Timestamp,
    pub error: Option<FormError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_images_are_written_into_the_sanitized_body_where_it_points_at_them() {
        let png = InlineImage {
            part: 2,
            content_type: "image/png".to_owned(),
            bytes: vec![0x89, b'P', b'N', b'G', 0xff, 0xfe],
        };
        let html = r#"<p>Hi</p><img src="cid:sealpost-part-2" alt="logo"><img src="cid:sealpost-part-3">
<img src="cid:sealpost-part-2" onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">x</a>"#;
        let shown = sanitize_html(html, &[png]);
        assert_eq!(
            shown.matches(r#"src="data:image/png;base64,iVBOR//+""#).count(),
            2,
            "{shown}"
        );
        assert!(
            shown.contains(r#"src="cid:sealpost-part-3""#),
            "an image not read stays a reference: {shown}"
        );
        for gone in ["onerror", "<script", "javascript:"] {
            assert!(!shown.contains(gone), "{gone} survived: {shown}");
        }
    }
}
