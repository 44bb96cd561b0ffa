//! One-shot confirmations ("User … added.") carried across a redirect.
//!
//! After a successful form, handlers redirect (so reloading does not repeat the
//! change) and leave a [`Flash`] in a cookie; the next page shows it once. Only
//! message ids from [`ALLOWED`] are honoured, and arguments are escaped like any
//! other text, so a forged cookie can at worst show one of our own sentences.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealpost_i18n::{Arg, Translator};

/// The Fluent ids a flash may name, with the names of their arguments.
const ALLOWED: &[(&str, &[&str])] = &[
    ("flash-user-added", &["email"]),
    ("flash-member-added", &["email", "group"]),
    ("flash-member-removed", &["email", "group"]),
    ("flash-group-added", &["group"]),
    ("flash-group-deleted", &["group"]),
    ("flash-account-created", &["number", "name"]),
    ("flash-account-renamed", &["name"]),
    ("flash-account-suspended", &["number"]),
    ("flash-account-resumed", &["number"]),
    ("flash-account-deleted", &["number"]),
    ("flash-sender-domains-set", &[]),
    ("flash-password-changed", &[]),
    ("flash-logged-out", &[]),
    ("flash-message-sent", &[]),
    ("flash-sending-address-set", &[]),
    ("flash-sending-address-confirm", &["email"]),
    ("flash-delivery-mode-set", &[]),
    ("flash-features-saved", &[]),
    ("flash-branding-saved", &[]),
    ("flash-branding-reset", &[]),
    ("flash-token-revoked", &[]),
    ("flash-profile-created", &["name"]),
    ("flash-profile-saved", &["name"]),
    ("flash-profile-deleted", &["name"]),
    ("flash-profile-default", &["name"]),
    ("flash-message-locked", &[]),
    ("flash-message-unlocked", &[]),
    ("flash-message-expiry", &[]),
    ("flash-user-saved", &["email"]),
    ("flash-user-reset-sent", &["email"]),
    ("flash-user-activation-sent", &["email"]),
    ("flash-user-password-required", &["email"]),
    ("flash-user-two-step-reset", &["email"]),
    ("flash-user-locked", &["email"]),
    ("flash-user-unlocked", &["email"]),
    ("flash-user-account-locked", &["email", "number"]),
    ("flash-user-account-unlocked", &["email", "number"]),
    ("flash-user-removed", &["email", "number"]),
    ("flash-user-deleted", &["email"]),
    ("flash-me-saved", &[]),
    ("flash-me-saved-password", &[]),
    ("two-step-turned-off", &[]),
    ("two-step-requirement-saved", &[]),
    ("two-step-expired", &[]),
    ("security-logged-out-everywhere", &[]),
    ("passkey-added", &["name"]),
    ("passkey-removed", &["name"]),
    ("passkey-renamed", &["name"]),
];

/// A confirmation to show on the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    id: &'static str,
    args: Vec<String>,
}

impl Flash {
    /// A flash for message `id` with positional `args` (in the order of [`ALLOWED`]).
    pub fn new(id: &'static str, args: &[&str]) -> Self {
        Self {
            id,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    /// The `Set-Cookie` value that carries this flash to the next page.
    pub fn cookie(&self, secure: bool) -> String {
        crate::cookies::set(crate::cookies::FLASH, &self.encode(), None, secure)
    }

    /// The cookie value.
    pub fn encode(&self) -> String {
        let mut out = self.id.to_owned();
        for arg in &self.args {
            out.push('.');
            out.push_str(&URL_SAFE_NO_PAD.encode(arg));
        }
        out
    }

    /// Reads a cookie value; anything unexpected is ignored.
    pub fn decode(value: &str) -> Option<Self> {
        let mut parts = value.split('.');
        let id = parts.next()?;
        let (id, names) = ALLOWED.iter().find(|(allowed, _)| *allowed == id)?;
        let args = parts
            .map(|part| {
                URL_SAFE_NO_PAD
                    .decode(part)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
            })
            .collect::<Option<Vec<String>>>()?;
        (args.len() == names.len()).then_some(Self { id, args })
    }

    /// The sentence in the visitor's language. The built-in group's stored name is
    /// shown translated.
    pub fn render(&self, t: &Translator) -> String {
        let names = ALLOWED
            .iter()
            .find(|(id, _)| *id == self.id)
            .map(|(_, n)| *n)
            .unwrap_or_default();
        let shown: Vec<String> = names
            .iter()
            .zip(&self.args)
            .map(|(name, value)| {
                if *name == "group" {
                    crate::views::group_label(t, value)
                } else {
                    value.clone()
                }
            })
            .collect();
        let args: Vec<(&'static str, Arg<'_>)> = names
            .iter()
            .zip(&shown)
            .map(|(name, value)| (*name, Arg::Text(value)))
            .collect();
        t.get_with(self.id, &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flashes_survive_the_cookie_and_forgeries_do_not() {
        let flash = Flash::new("flash-member-added", &["a@example.com", "Sales; Team"]);
        assert_eq!(Flash::decode(&flash.encode()), Some(flash));
        assert_eq!(Flash::decode("flash-evil.aGk"), None);
        assert_eq!(Flash::decode("flash-user-added"), None);
    }

    /// Every flash the web crate's source makes (`Flash::new` with a literal id) is allowed,
    /// else its page would silently show nothing (as "two-step-turned-off" did).
    #[test]
    fn every_flash_the_handlers_leave_is_allowed() {
        fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut seen = 0;
        for file in &files {
            for rest in file.split("Flash::new(\"").skip(1) {
                let id = rest.split('"').next().unwrap_or_default();
                seen += 1;
                assert!(
                    ALLOWED.iter().any(|(allowed, _)| *allowed == id),
                    "the flash {id:?} is not in ALLOWED"
                );
            }
        }
        assert!(seen > 20, "found {seen} flashes");
        let flash = Flash::new("two-step-turned-off", &[]);
        assert_eq!(Flash::decode(&flash.encode()), Some(flash));
    }
}
