//! Envelope profiles (the BCE Config tab): how an account's envelopes behave.
//!
//! Every account has one default profile and any number of named ones. A profile
//! sets the security level a recipient meets, the delivery mode, the options a new
//! message starts with, the envelope's file name, the notification's subject line,
//! the help link and contact address shown on the envelope, and the language of
//! recipients who have chosen none yet.
//!
//! An account that never saved a profile has a *built-in* default
//! ([`EnvelopeProfile::built_in`], `id: None`) made of what the account had before
//! profiles existed: its `delivery_mode` setting (or the service's), the options
//! Compose always offered, `securedoc_${date}T${time}.html`, the account's language
//! chosen at creation. Saving it stores it as the account's default row.

use std::fmt;

use crate::error::ValidationError;
use crate::messages::{DeliveryMode, MessageOptions};
use crate::types::{AccountId, EmailAddress, Locale, Timestamp, has_stray_control_characters};

/// A stored profile's database id; appears in admin URLs, always scoped by the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileId(pub i64);

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The file name every envelope had before profiles.
pub const DEFAULT_FILE_NAME: &str = "securedoc_${date}T${time}.html";
/// The longest profile name, in characters.
pub const MAX_PROFILE_NAME_CHARS: usize = 100;
/// The longest file name template, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 100;
/// The longest notification subject line, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The longest help link, in characters.
pub const MAX_HELP_URL_CHARS: usize = 500;
/// The longest subject tag, in characters.
pub const MAX_SUBJECT_TAG_CHARS: usize = 40;
/// The most days a device may be remembered (a year).
pub const MAX_REMEMBER_DAYS: u32 = 365;
/// The most days the default expiry may be (ten years).
pub const MAX_EXPIRY_DAYS: u32 = 3650;
/// Remembered-device days a new profile starts with.
pub const DEFAULT_REMEMBER_DAYS: u32 = 30;

/// What a recipient must show to open a message of the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityLevel {
    /// The recipient's password every time a message is opened; a live session is not enough.
    High,
    /// The password, or a live session, or a device remembered for the profile's days
    /// (what every message had before profiles).
    #[default]
    Medium,
    /// The envelope or link alone opens the message, without registration: it
    /// carries a per-recipient secret to which alone the key is released.
    NoPasswordRequired,
}

impl SecurityLevel {
    /// Every level.
    pub const ALL: [Self; 3] = [Self::High, Self::Medium, Self::NoPasswordRequired];
    /// The levels a profile may be given, in the order the tab offers them.
    pub const OFFERED: [Self; 3] = [Self::High, Self::Medium, Self::NoPasswordRequired];

    /// The stored and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::NoPasswordRequired => "no_password",
        }
    }

    /// Reads a stored or form value.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == raw)
    }

    /// Reads a stored value; unknown or missing means Medium (what messages had
    /// before profiles).
    pub fn from_stored(raw: Option<&str>) -> Self {
        raw.and_then(Self::parse).unwrap_or_default()
    }
}

/// An envelope profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeProfile {
    /// `None` for the built-in default of an account that never saved one.
    pub id: Option<ProfileId>,
    pub account_id: AccountId,
    pub name: String,
    /// The profile messages get when the sender chooses none.
    pub is_default: bool,
    pub security: SecurityLevel,
    /// How long a remembered device opens messages without the password (Medium).
    pub remember_days: u32,
    /// `None`: the service's configured delivery mode.
    pub delivery_mode: Option<DeliveryMode>,
    /// The options a new message starts with (still within the Features tab).
    pub options: MessageOptions,
    /// A new message expires this many days after it is sent; `None`: never.
    pub expiry_days: Option<u32>,
    /// The envelope attachment's file name, with `${date}` and `${time}`.
    pub file_name: String,
    /// The notification's subject line; `None`: the localized default.
    pub subject: Option<String>,
    /// A help page shown on the envelope (https only).
    pub help_url: Option<String>,
    /// An address recipients may write to, shown on the envelope.
    pub contact: Option<EmailAddress>,
    /// The language of recipients who have chosen none yet.
    pub recipient_locale: Locale,
    pub updated_at: Option<Timestamp>,
    /// The SMTP gateway's subject word choosing this profile (`[legal]`), any
    /// case, unique in the account, stripped from the subject; `None`: no tag.
    pub subject_tag: Option<String>,
}

impl EnvelopeProfile {
    /// The default an account that never saved a profile has: exactly what its
    /// messages had before profiles.
    pub fn built_in(account: AccountId, delivery_mode: Option<DeliveryMode>, locale: Locale) -> Self {
        Self {
            id: None,
            account_id: account,
            name: "Default".to_owned(),
            is_default: true,
            security: SecurityLevel::Medium,
            remember_days: DEFAULT_REMEMBER_DAYS,
            delivery_mode,
            // Forward is off unless the sender allows it (as in CRES).
            options: MessageOptions {
                allow_reply: true,
                allow_reply_all: true,
                allow_forward: false,
                read_receipt: false,
            },
            expiry_days: None,
            file_name: DEFAULT_FILE_NAME.to_owned(),
            subject: None,
            help_url: None,
            contact: None,
            recipient_locale: locale,
            updated_at: None,
            subject_tag: None,
        }
    }
}

/// What the profile form submits, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileRequest {
    pub name: String,
    pub security: String,
    pub remember_days: String,
    /// Empty: the service's default.
    pub delivery_mode: String,
    pub allow_reply: bool,
    pub allow_reply_all: bool,
    pub allow_forward: bool,
    pub read_receipt: bool,
    /// Empty: never.
    pub expiry_days: String,
    pub file_name: String,
    pub subject: String,
    pub help_url: String,
    pub contact: String,
    pub recipient_locale: String,
    /// Empty: no tag.
    pub subject_tag: String,
}

impl ProfileRequest {
    /// The form filled with `profile`'s values.
    pub fn from_profile(profile: &EnvelopeProfile) -> Self {
        Self {
            name: profile.name.clone(),
            security: profile.security.as_str().to_owned(),
            remember_days: profile.remember_days.to_string(),
            delivery_mode: profile
                .delivery_mode
                .map(DeliveryMode::as_str)
                .unwrap_or_default()
                .to_owned(),
            allow_reply: profile.options.allow_reply,
            allow_reply_all: profile.options.allow_reply_all,
            allow_forward: profile.options.allow_forward,
            read_receipt: profile.options.read_receipt,
            expiry_days: profile.expiry_days.map(|d| d.to_string()).unwrap_or_default(),
            file_name: profile.file_name.clone(),
            subject: profile.subject.clone().unwrap_or_default(),
            help_url: profile.help_url.clone().unwrap_or_default(),
            contact: profile.contact.as_ref().map(ToString::to_string).unwrap_or_default(),
            recipient_locale: profile.recipient_locale.tag().to_owned(),
            subject_tag: profile.subject_tag.clone().unwrap_or_default(),
        }
    }

    /// Checks every field and writes them into `profile` (its id, account and
    /// default flag untouched). The error names the first field refused.
    pub fn apply_to(&self, profile: &mut EnvelopeProfile) -> Result<(), (&'static str, ValidationError)> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(("name", ValidationError::Required));
        }
        if name.chars().count() > MAX_PROFILE_NAME_CHARS {
            return Err(("name", ValidationError::NameTooLong));
        }
        if has_stray_control_characters(name) || name.contains(['\r', '\n']) {
            return Err(("name", ValidationError::ControlCharacters));
        }
        let security = SecurityLevel::parse(self.security.trim())
            .filter(|level| SecurityLevel::OFFERED.contains(level))
            .ok_or(("security", ValidationError::UnknownSecurityLevel))?;
        let remember_days = parse_days(&self.remember_days, 1, MAX_REMEMBER_DAYS)
            .map_err(|e| ("remember_days", e))?
            .unwrap_or(DEFAULT_REMEMBER_DAYS);
        let delivery_mode = match self.delivery_mode.trim() {
            "" => None,
            typed => Some(DeliveryMode::parse(typed).ok_or(("delivery_mode", ValidationError::UnknownDeliveryMode))?),
        };
        let expiry_days = parse_days(&self.expiry_days, 1, MAX_EXPIRY_DAYS).map_err(|e| ("expiry_days", e))?;
        let file_name = check_file_name(self.file_name.trim()).map_err(|e| ("file_name", e))?;
        let subject = match self.subject.trim() {
            "" => None,
            typed if typed.chars().count() > MAX_SUBJECT_CHARS => {
                return Err(("subject", ValidationError::SubjectTooLong));
            }
            typed if typed.chars().any(char::is_control) => {
                return Err(("subject", ValidationError::ControlCharacters));
            }
            typed => Some(typed.to_owned()),
        };
        let help_url = match self.help_url.trim() {
            "" => None,
            typed => Some(check_help_url(typed).map_err(|e| ("help_url", e))?),
        };
        let contact = match self.contact.trim() {
            "" => None,
            typed => Some(EmailAddress::parse(typed).map_err(|e| ("contact", e))?),
        };
        let recipient_locale = Locale::from_tag(self.recipient_locale.trim())
            .ok_or(("recipient_locale", ValidationError::UnknownLocale))?;
        profile.name = name.to_owned();
        profile.security = security;
        profile.remember_days = remember_days;
        profile.delivery_mode = delivery_mode;
        profile.options = MessageOptions {
            allow_reply: self.allow_reply,
            allow_reply_all: self.allow_reply_all,
            allow_forward: self.allow_forward,
            read_receipt: self.read_receipt,
        };
        profile.expiry_days = expiry_days;
        profile.file_name = file_name;
        profile.subject = subject;
        profile.help_url = help_url;
        profile.contact = contact;
        profile.recipient_locale = recipient_locale;
        profile.subject_tag = check_subject_tag(&self.subject_tag).map_err(|e| ("subject_tag", e))?;
        Ok(())
    }
}

/// A subject tag as typed: trimmed, empty is `None`; 2 to
/// [`MAX_SUBJECT_TAG_CHARS`] characters, no control characters.
pub fn check_subject_tag(raw: &str) -> Result<Option<String>, ValidationError> {
    let tag = raw.trim();
    if tag.is_empty() {
        return Ok(None);
    }
    let chars = tag.chars().count();
    if !(2..=MAX_SUBJECT_TAG_CHARS).contains(&chars) || tag.chars().any(char::is_control) {
        return Err(ValidationError::SubjectTagInvalid);
    }
    Ok(Some(tag.to_owned()))
}

/// Whole days between `min` and `max`; empty is `None`.
fn parse_days(raw: &str, min: u32, max: u32) -> Result<Option<u32>, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(days) if (min..=max).contains(&days) => Ok(Some(days)),
        _ => Err(ValidationError::DaysOutOfRange),
    }
}

/// A file name template: letters, digits, `-`, `_`, `.`, the placeholders
/// `${date}` and `${time}`, ending in `.html`, at most [`MAX_FILE_NAME_CHARS`];
/// nothing a mail client or file system could read as a path or a second extension trick.
pub fn check_file_name(raw: &str) -> Result<String, ValidationError> {
    if raw.is_empty() {
        return Ok(DEFAULT_FILE_NAME.to_owned());
    }
    if raw.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(ValidationError::FileNameInvalid);
    }
    let stripped = raw.replace("${date}", "").replace("${time}", "");
    let safe = stripped
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let stem = raw.strip_suffix(".html").unwrap_or_default();
    if !safe || stem.is_empty() || stem.starts_with('.') || stem.contains("..") {
        return Err(ValidationError::FileNameInvalid);
    }
    Ok(raw.to_owned())
}

/// `template` with `${date}` as `YYYYMMDD` and `${time}` as `HHMMSS` (UTC).
pub fn render_file_name(template: &str, at: Timestamp) -> String {
    let when = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let date = when
        .format(&time::macros::format_description!("[year][month][day]"))
        .unwrap_or_default();
    let clock = when
        .format(&time::macros::format_description!("[hour][minute][second]"))
        .unwrap_or_default();
    template.replace("${date}", &date).replace("${time}", &clock)
}

/// An `https://` URL with a host, no spaces, quotes or angle brackets.
fn check_help_url(raw: &str) -> Result<String, ValidationError> {
    let ok = raw.chars().count() <= MAX_HELP_URL_CHARS
        && raw
            .strip_prefix("https://")
            .is_some_and(|rest| rest.split(['/', '?', '#']).next().is_some_and(|host| !host.is_empty()))
        && !raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ValidationError::HelpUrlInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ProfileRequest {
        let built_in = EnvelopeProfile::built_in(AccountId(1), None, Locale::De);
        ProfileRequest::from_profile(&built_in)
    }

    #[test]
    fn the_built_in_default_reads_back_from_its_own_form() {
        let built_in = EnvelopeProfile::built_in(AccountId(1), Some(DeliveryMode::Link), Locale::Fr);
        let mut copy = built_in.clone();
        assert_eq!(ProfileRequest::from_profile(&built_in).apply_to(&mut copy), Ok(()));
        assert_eq!(copy, built_in);
    }

    #[test]
    fn file_names_keep_to_safe_characters_and_end_in_html() {
        assert_eq!(check_file_name(""), Ok(DEFAULT_FILE_NAME.to_owned()));
        assert!(check_file_name("acme_${date}-${time}.html").is_ok());
        for bad in [
            "../x.html",
            "a/b.html",
            "x.exe",
            "x.html.exe",
            ".html",
            "${now}.html",
            "a b.html",
            "x\u{202e}lmth.exe",
            "..html",
        ] {
            assert_eq!(check_file_name(bad), Err(ValidationError::FileNameInvalid), "{bad}");
        }
        assert_eq!(
            check_file_name(&format!("{}.html", "a".repeat(100))),
            Err(ValidationError::FileNameInvalid)
        );
        // 2026-11-21 18:30:05 UTC
        assert_eq!(
            render_file_name(DEFAULT_FILE_NAME, Timestamp(1_795_285_805_250)),
            "securedoc_20261121T183005.html"
        );
    }

    #[test]
    fn every_field_is_checked_and_named() {
        let mut profile = EnvelopeProfile::built_in(AccountId(1), None, Locale::En);
        type Spoil = fn(&mut ProfileRequest);
        let cases: [(Spoil, &str); 10] = [
            (|r| r.name = " ".into(), "name"),
            (|r| r.security = "paranoid".into(), "security"),
            (|r| r.remember_days = "0".into(), "remember_days"),
            (|r| r.delivery_mode = "pigeon".into(), "delivery_mode"),
            (|r| r.expiry_days = "-3".into(), "expiry_days"),
            (|r| r.help_url = "javascript:alert(1)".into(), "help_url"),
            (|r| r.contact = "not an address".into(), "contact"),
            (|r| r.recipient_locale = "xx".into(), "recipient_locale"),
            (|r| r.subject_tag = "x".into(), "subject_tag"),
            (|r| r.subject_tag = "[a\tb]".into(), "subject_tag"),
        ];
        for (spoil, field) in cases {
            let mut typed = request();
            spoil(&mut typed);
            assert_eq!(typed.apply_to(&mut profile).map_err(|(f, _)| f), Err(field));
        }
        let mut typed = request();
        typed.help_url = "http://example.com/help".into();
        assert!(typed.apply_to(&mut profile).is_err(), "plain http is refused");
        typed.help_url = "https://help.example.com/secure-mail".into();
        typed.security = "high".into();
        assert_eq!(typed.apply_to(&mut profile), Ok(()));
        assert_eq!(profile.security, SecurityLevel::High);
        typed.subject_tag = "  [Legal]  ".into();
        assert_eq!(typed.apply_to(&mut profile), Ok(()));
        assert_eq!(profile.subject_tag.as_deref(), Some("[Legal]"));
    }
}
