//! Values parsed at the boundary. A function that takes an [`EmailAddress`] never
//! has to ask whether it is well formed: the only way to make one is [`EmailAddress::parse`].

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::ValidationError;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_newtype!(
    /// A user's database id; never shown to people (they see the email address).
    UserId
);
id_newtype!(
    /// An account's database id; people see the [`AccountNumber`] instead.
    AccountId
);
id_newtype!(
    /// A group's database id; appears in admin URLs, always scoped by the account.
    GroupId
);

/// The number that identifies an account to people: the link in the Accounts list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountNumber(pub i64);

impl AccountNumber {
    /// Parses the digits of a URL segment or a form field.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        raw.parse().ok().map(Self)
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An email address, trimmed and lower-cased: the username of every user, unique
/// across the whole service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The longest address SMTP can carry (RFC 5321 path limit less the brackets).
    pub const MAX_LEN: usize = 254;

    /// Accepts `local@domain` where the domain has at least two dot-separated labels
    /// of letters, digits and hyphens. Deliberately stricter than RFC 5322: quoted
    /// local parts and address literals are not addresses people type.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let address = raw.trim().to_lowercase();
        if address.is_empty() {
            return Err(ValidationError::Required);
        }
        if address.len() > Self::MAX_LEN {
            return Err(ValidationError::EmailMalformed);
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(ValidationError::EmailMalformed);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(address))
        } else {
            Err(ValidationError::EmailMalformed)
        }
    }

    /// The address as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, used by the password policy.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }

    /// Rebuilds an address read back from storage, where it was validated on the way in.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn bounded_text(raw: &str, max: usize, too_long: ValidationError) -> Result<String, ValidationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ValidationError::Required);
    }
    if text.chars().count() > max {
        return Err(too_long);
    }
    if text.chars().any(char::is_control) {
        return Err(ValidationError::ControlCharacters);
    }
    Ok(text.to_owned())
}

/// Whether `text` holds a control character other than a line break or a tab:
/// nothing a person types, and a NUL cannot even be stored in PostgreSQL text.
pub fn has_stray_control_characters(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// A first or last name: trimmed, not empty, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name field.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        bounded_text(raw, 100, ValidationError::NameTooLong).map(Self)
    }

    /// The name as typed, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a name read back from storage.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// A group's name, unique within its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    /// The stored name of every account's built-in administrators group. It is
    /// shown translated; this spelling is only its key.
    pub const ACCOUNT_ADMINISTRATORS: &'static str = "Account Administrators";

    /// Parses the Group Name field. Names that read as the built-in group in any
    /// language are reserved, so nobody mistakes a custom group for it.
    pub fn parse(raw: &str, reserved: &[&str]) -> Result<Self, ValidationError> {
        let name = bounded_text(raw, 64, ValidationError::GroupNameTooLong)?;
        let folded = name.to_lowercase();
        if folded == Self::ACCOUNT_ADMINISTRATORS.to_lowercase() || reserved.iter().any(|r| r.to_lowercase() == folded)
        {
            return Err(ValidationError::GroupNameReserved);
        }
        Ok(Self(name))
    }

    /// The name of the built-in group.
    pub fn account_administrators() -> Self {
        Self(Self::ACCOUNT_ADMINISTRATORS.to_owned())
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account's (organisation's) display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountName(String);

impl AccountName {
    /// Parses an account name: not empty, at most 120 characters.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        bounded_text(raw, 120, ValidationError::AccountNameTooLong).map(Self)
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The languages Sealpost speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    De,
    Fr,
}

impl Locale {
    /// Every supported language, in the order the language switch shows them.
    pub const ALL: [Locale; 3] = [Locale::En, Locale::De, Locale::Fr];

    /// The BCP 47 tag stored and sent in `lang=`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
        }
    }

    /// The language's own name, as the switch shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::De => "Deutsch",
            Self::Fr => "Français",
        }
    }

    /// Reads a tag such as `de`, `de-CH` or `FR`; `None` for languages we do not speak.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "de" => Some(Self::De),
            "fr" => Some(Self::Fr),
            _ => None,
        }
    }
}

/// A point in time, UTC, in milliseconds since the Unix epoch: the one time type
/// storage, sessions and views share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// This instant plus `seconds`.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Whole seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0) / 1000
    }

    /// `2026-11-21 18:30 UTC`: unambiguous in every language.
    pub fn display_utc(self) -> String {
        let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_default()
    }
}

/// A time zone of the IANA database (`Europe/Berlin`), as a user chooses it for the
/// dates they read. Only names the bundled database knows are accepted, so every
/// stored name can be turned into rules for its offsets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// The name for "no time zone chosen": dates in UTC.
    pub const UTC: &'static str = "UTC";

    /// `name` if the time zone database knows it (exact spelling, as the select offers it).
    pub fn parse(name: &str) -> Result<Self, ValidationError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 || jiff::tz::db().get(name).is_err() {
            return Err(ValidationError::UnknownTimeZone);
        }
        Ok(Self(name.to_owned()))
    }

    /// A stored name; one the database no longer knows reads as `None` (UTC).
    pub fn from_stored(name: Option<&str>) -> Option<Self> {
        name.and_then(|n| Self::parse(n).ok())
    }

    /// UTC, for readers whose time zone is unknown.
    pub fn utc() -> Self {
        Self(Self::UTC.to_owned())
    }

    /// The IANA name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone's rules (UTC should the database have lost the name).
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::db().get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password someone typed, kept secret in memory and never logged.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// The shortest password accepted (NIST SP 800-63B asks for at least 8; we ask for 10).
    pub const MIN_CHARS: usize = 10;
    /// The longest: argon2 is happy with more, but nobody types more.
    pub const MAX_CHARS: usize = 128;

    /// Wraps what was typed, without judging it (for logging in).
    pub fn new(typed: &str) -> Self {
        Self(SecretString::from(typed.to_owned()))
    }

    /// The password as typed, for hashing and verifying only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Checks a new password and its confirmation against the policy: long enough,
    /// not absurdly long, typed twice the same, not a well-known password and not the
    /// username itself.
    pub fn new_checked(typed: &str, confirmation: &str, username: &EmailAddress) -> Result<Self, ValidationError> {
        if typed.is_empty() {
            return Err(ValidationError::Required);
        }
        let chars = typed.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(ValidationError::PasswordTooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(ValidationError::PasswordTooLong);
        }
        if typed != confirmation {
            return Err(ValidationError::PasswordMismatch);
        }
        let folded = typed.to_lowercase();
        if COMMON_PASSWORDS.contains(&folded.as_str())
            || folded.chars().all(|c| c == folded.chars().next().unwrap_or(' '))
        {
            return Err(ValidationError::PasswordTooCommon);
        }
        let local = username.local_part();
        if local.len() >= 4 && folded.contains(local) || folded.contains(username.as_str()) {
            return Err(ValidationError::PasswordContainsUsername);
        }
        Ok(Self::new(typed))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Passwords of ten characters or more that lead every breach list; refused outright.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "0987654321",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "letmein123",
    "welcome123",
    "admin12345",
    "administrator",
    "changeme123",
    "sealpost123",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "trustno1234",
    "passwort123",
    "motdepasse",
    "motdepasse123",
    "azertyuiop",
    "qwertzuiop",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_named_as_such() {
        assert_eq!(PersonName::parse("Ann\u{0}a"), Err(ValidationError::ControlCharacters));
        assert_eq!(
            PersonName::parse("Ann\u{1b}[31m"),
            Err(ValidationError::ControlCharacters)
        );
        assert!(PersonName::parse("Anna-Lena").is_ok());
        assert!(has_stray_control_characters("a\u{0}b") && has_stray_control_characters("\u{7f}"));
        assert!(!has_stray_control_characters("Two lines\r\nand\ta tab"));
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = EmailAddress::parse("  Alice.Smith@Example.COM ").map(|e| e.to_string());
        assert_eq!(email, Ok("alice.smith@example.com".to_owned()));
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for raw in [
            "alice",
            "alice@",
            "@example.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            "a..b@c.com",
        ] {
            assert_eq!(EmailAddress::parse(raw), Err(ValidationError::EmailMalformed), "{raw}");
        }
        assert_eq!(EmailAddress::parse("   "), Err(ValidationError::Required));
    }

    #[test]
    fn password_policy_names_the_first_problem() {
        let user = EmailAddress::parse("jordan.miller@example.com").ok();
        let Some(user) = user else { return };
        let check = |p: &str, c: &str| Password::new_checked(p, c, &user).map(|_| ());
        assert_eq!(check("short", "short"), Err(ValidationError::PasswordTooShort));
        assert_eq!(
            check("long enough 1", "long enough 2"),
            Err(ValidationError::PasswordMismatch)
        );
        assert_eq!(
            check("Password123", "Password123"),
            Err(ValidationError::PasswordTooCommon)
        );
        assert_eq!(
            check("aaaaaaaaaaaa", "aaaaaaaaaaaa"),
            Err(ValidationError::PasswordTooCommon)
        );
        assert_eq!(
            check("jordan.miller-2026", "jordan.miller-2026"),
            Err(ValidationError::PasswordContainsUsername)
        );
        assert_eq!(check("Tr0ub4dor&3 horse", "Tr0ub4dor&3 horse"), Ok(()));
    }

    #[test]
    fn builtin_group_name_is_reserved_in_every_language() {
        let reserved = ["Kontoadministratoren", "Administrateurs de compte"];
        assert_eq!(
            GroupName::parse("account administrators", &reserved),
            Err(ValidationError::GroupNameReserved)
        );
        assert_eq!(
            GroupName::parse("KONTOADMINISTRATOREN", &reserved),
            Err(ValidationError::GroupNameReserved)
        );
        assert_eq!(
            GroupName::parse("  Finance ", &reserved).map(|g| g.as_str().to_owned()),
            Ok("Finance".to_owned())
        );
    }

    #[test]
    fn locale_tags_are_read_loosely() {
        assert_eq!(Locale::from_tag("de-CH"), Some(Locale::De));
        assert_eq!(Locale::from_tag("FR"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("es"), None);
    }
}
