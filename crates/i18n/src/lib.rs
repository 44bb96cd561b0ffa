//! Sealpost speaks English, German and French.
//!
//! The Fluent files live in `locales/{en,de,fr}/main.ftl` and are compiled into the
//! binary. [`Translator`] looks messages up for one [`Locale`]; [`negotiate`] picks
//! that locale from the user's own setting, the language switch's cookie and the
//! browser's `Accept-Language`, in that order, falling back to English.
//!
//! Unicode isolation marks around placeables are turned off: the strings appear in
//! plain-text mail and must match the procedure documents character for character;
//! HTML escaping is the templates' job.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader as _};
use sealpost_domain::types::Locale;

pub mod dates;
pub use dates::DateFormatter;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The Fluent sources, for tests that compare the languages' message sets: one
/// file per area (`main`: portal and administration; `mail`: emails and the
/// envelope; `messages`: composing and reading secure messages; `net`:
/// connections and envelopes refused; `delivery`: failed deliveries; `disk`: a
/// full disk and lost files; `me`: the self page and time zones).
pub const SOURCES: [(Locale, &str, &str); 57] = [
    (Locale::En, "main", include_str!("../locales/en/main.ftl")),
    (Locale::De, "main", include_str!("../locales/de/main.ftl")),
    (Locale::Fr, "main", include_str!("../locales/fr/main.ftl")),
    (Locale::En, "mail", include_str!("../locales/en/mail.ftl")),
    (Locale::De, "mail", include_str!("../locales/de/mail.ftl")),
    (Locale::Fr, "mail", include_str!("../locales/fr/mail.ftl")),
    (Locale::En, "messages", include_str!("../locales/en/messages.ftl")),
    (Locale::De, "messages", include_str!("../locales/de/messages.ftl")),
    (Locale::Fr, "messages", include_str!("../locales/fr/messages.ftl")),
    (Locale::En, "net", include_str!("../locales/en/net.ftl")),
    (Locale::De, "net", include_str!("../locales/de/net.ftl")),
    (Locale::Fr, "net", include_str!("../locales/fr/net.ftl")),
    (Locale::En, "delivery", include_str!("../locales/en/delivery.ftl")),
    (Locale::De, "delivery", include_str!("../locales/de/delivery.ftl")),
    (Locale::Fr, "delivery", include_str!("../locales/fr/delivery.ftl")),
    (Locale::En, "disk", include_str!("../locales/en/disk.ftl")),
    (Locale::De, "disk", include_str!("../locales/de/disk.ftl")),
    (Locale::Fr, "disk", include_str!("../locales/fr/disk.ftl")),
    (Locale::En, "features", include_str!("../locales/en/features.ftl")),
    (Locale::De, "features", include_str!("../locales/de/features.ftl")),
    (Locale::Fr, "features", include_str!("../locales/fr/features.ftl")),
    (Locale::En, "tokens", include_str!("../locales/en/tokens.ftl")),
    (Locale::De, "tokens", include_str!("../locales/de/tokens.ftl")),
    (Locale::Fr, "tokens", include_str!("../locales/fr/tokens.ftl")),
    (Locale::En, "profiles", include_str!("../locales/en/profiles.ftl")),
    (Locale::De, "profiles", include_str!("../locales/de/profiles.ftl")),
    (Locale::Fr, "profiles", include_str!("../locales/fr/profiles.ftl")),
    (Locale::En, "branding", include_str!("../locales/en/branding.ftl")),
    (Locale::De, "branding", include_str!("../locales/de/branding.ftl")),
    (Locale::Fr, "branding", include_str!("../locales/fr/branding.ftl")),
    (Locale::En, "accounts", include_str!("../locales/en/accounts.ftl")),
    (Locale::De, "accounts", include_str!("../locales/de/accounts.ftl")),
    (Locale::Fr, "accounts", include_str!("../locales/fr/accounts.ftl")),
    (Locale::En, "gateway", include_str!("../locales/en/gateway.ftl")),
    (Locale::De, "gateway", include_str!("../locales/de/gateway.ftl")),
    (Locale::Fr, "gateway", include_str!("../locales/fr/gateway.ftl")),
    (Locale::En, "secret", include_str!("../locales/en/secret.ftl")),
    (Locale::De, "secret", include_str!("../locales/de/secret.ftl")),
    (Locale::Fr, "secret", include_str!("../locales/fr/secret.ftl")),
    (Locale::En, "users", include_str!("../locales/en/users.ftl")),
    (Locale::De, "users", include_str!("../locales/de/users.ftl")),
    (Locale::Fr, "users", include_str!("../locales/fr/users.ftl")),
    (Locale::En, "twostep", include_str!("../locales/en/twostep.ftl")),
    (Locale::De, "twostep", include_str!("../locales/de/twostep.ftl")),
    (Locale::Fr, "twostep", include_str!("../locales/fr/twostep.ftl")),
    (Locale::En, "passkeys", include_str!("../locales/en/passkeys.ftl")),
    (Locale::De, "passkeys", include_str!("../locales/de/passkeys.ftl")),
    (Locale::Fr, "passkeys", include_str!("../locales/fr/passkeys.ftl")),
    (Locale::En, "me", include_str!("../locales/en/me.ftl")),
    (Locale::De, "me", include_str!("../locales/de/me.ftl")),
    (Locale::Fr, "me", include_str!("../locales/fr/me.ftl")),
    (Locale::En, "lists", include_str!("../locales/en/lists.ftl")),
    (Locale::De, "lists", include_str!("../locales/de/lists.ftl")),
    (Locale::Fr, "lists", include_str!("../locales/fr/lists.ftl")),
    (Locale::En, "reports", include_str!("../locales/en/reports.ftl")),
    (Locale::De, "reports", include_str!("../locales/de/reports.ftl")),
    (Locale::Fr, "reports", include_str!("../locales/fr/reports.ftl")),
];

fn language_id(locale: Locale) -> LanguageIdentifier {
    match locale {
        Locale::En => fluent_templates::langid!("en"),
        Locale::De => fluent_templates::langid!("de"),
        Locale::Fr => fluent_templates::langid!("fr"),
    }
}

/// Looks up messages in one language.
#[derive(Debug, Clone)]
pub struct Translator {
    locale: Locale,
    id: LanguageIdentifier,
}

impl Translator {
    /// A translator for `locale`.
    pub fn new(locale: Locale) -> Self {
        Self {
            locale,
            id: language_id(locale),
        }
    }

    /// The language this translator speaks.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The message `id`; a missing message shows its id (and a test prevents that).
    pub fn get(&self, id: &str) -> String {
        LOCALES.try_lookup(&self.id, id).unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` with named arguments.
    pub fn get_with(&self, id: &str, args: &[(&'static str, Arg<'_>)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Text(text) => FluentValue::from(*text),
                    Arg::Number(n) => FluentValue::from(*n),
                };
                (Cow::Borrowed(*name), value)
            })
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id, id, &map)
            .unwrap_or_else(|| id.to_owned())
    }

    /// Whether `id` exists in this language itself (no fallback to English) and
    /// formats without error when given every variable the catalogue uses.
    pub fn has(&self, id: &str) -> bool {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = variable_names()
            .iter()
            .map(|name| (Cow::Borrowed(name.as_str()), FluentValue::from("x")))
            .collect();
        LOCALES.lookup_no_default_fallback(&self.id, id, Some(&args)).is_some()
    }
}

/// Every `$variable` the catalogues mention (computed once).
fn variable_names() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(collect_variable_names)
}

fn collect_variable_names() -> Vec<String> {
    let mut names: Vec<String> = SOURCES
        .iter()
        .flat_map(|(_, _, source)| source.split('$').skip(1))
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Message `id` in every language, for example the built-in group's name, whose
/// translations are reserved as custom group names.
pub fn in_every_language(id: &str) -> Vec<String> {
    Locale::ALL
        .iter()
        .map(|locale| Translator::new(*locale).get(id))
        .collect()
}

/// A value for a placeable.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

/// Picks the language: the user's own setting, else the switch's cookie, else the
/// first language of `Accept-Language` we speak (by its q-values), else English.
pub fn negotiate(user_setting: Option<Locale>, cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
    if let Some(locale) = user_setting {
        return locale;
    }
    if let Some(locale) = cookie.and_then(Locale::from_tag) {
        return locale;
    }
    accept_language.and_then(from_accept_language).unwrap_or_default()
}

fn from_accept_language(header: &str) -> Option<Locale> {
    let mut ranked: Vec<(f32, usize, Locale)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let locale = Locale::from_tag(parts.next()?)?;
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, position, locale))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map(|(_, _, locale)| *locale)
}

/// The message ids defined in a Fluent source (top-level messages, not terms).
pub fn message_ids(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| line.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_message_exists_in_every_language() {
        let mut total = 0;
        for (_, area, english_source) in SOURCES.iter().filter(|(l, _, _)| *l == Locale::En) {
            let english: BTreeSet<String> = message_ids(english_source).into_iter().collect();
            total += english.len();
            for (locale, _, source) in SOURCES.iter().filter(|(_, a, _)| a == area) {
                let ids: BTreeSet<String> = message_ids(source).into_iter().collect();
                let missing: Vec<_> = english.difference(&ids).collect();
                let extra: Vec<_> = ids.difference(&english).collect();
                assert!(missing.is_empty(), "{locale:?} {area}.ftl lacks {missing:?}");
                assert!(
                    extra.is_empty(),
                    "{locale:?} {area}.ftl has messages English lacks: {extra:?}"
                );
                let translator = Translator::new(*locale);
                for id in &english {
                    assert!(translator.has(id), "{locale:?} cannot resolve {id}");
                }
            }
        }
        assert!(total > 50, "the English catalogue looks truncated");
    }

    #[test]
    fn every_validation_error_has_a_message() {
        for locale in Locale::ALL {
            let translator = Translator::new(locale);
            for error in sealpost_domain::ValidationError::ALL {
                assert!(
                    translator.has(error.message_id()),
                    "{locale:?} lacks {}",
                    error.message_id()
                );
            }
        }
    }

    #[test]
    fn every_branding_refusal_has_a_message_and_the_contrast_names_its_ratio() {
        for locale in Locale::ALL {
            let translator = Translator::new(locale);
            for error in sealpost_domain::branding::BrandingError::ALL {
                assert!(
                    translator.has(error.message_id()),
                    "{locale:?} lacks {}",
                    error.message_id()
                );
            }
            let contrast = translator.get_with("branding-error-colour-contrast", &[("ratio", Arg::Text("1.07"))]);
            assert!(contrast.contains("1.07:1"), "{locale:?}: {contrast}");
        }
        assert_eq!(Translator::new(Locale::De).get("tab-images"), "Bilder");
        assert_eq!(Translator::new(Locale::Fr).get("tab-images"), "Images");
    }

    #[test]
    fn glossary_strings_read_as_the_procedure_documents() {
        let de = Translator::new(Locale::De);
        let fr = Translator::new(Locale::Fr);
        let en = Translator::new(Locale::En);
        assert_eq!(en.get("error-non-existent-user"), "Cannot add a non-existent user.");
        assert_eq!(
            de.get("error-non-existent-user"),
            "Es kann kein nicht vorhandener Benutzer hinzugefügt werden."
        );
        assert_eq!(
            fr.get("error-non-existent-user"),
            "Ne peut pas ajouter un utilisateur inexistant."
        );
        assert_eq!(
            de.get_with("flash-user-added", &[("email", Arg::Text("a@example.com"))]),
            "Benutzer a@example.com hinzugefügt."
        );
        assert_eq!(
            fr.get_with("groups-showing", &[("count", Arg::Number(1))]),
            "1 groupe(s) affiché(s)."
        );
        assert_eq!(
            en.get_with("groups-showing", &[("count", Arg::Number(1))]),
            "Showing 1 group(s)."
        );
        assert_eq!(de.get("group-account-administrators"), "Kontoadministratoren");
    }

    #[test]
    fn language_is_negotiated_in_order() {
        assert_eq!(negotiate(Some(Locale::Fr), Some("de"), Some("en")), Locale::Fr);
        assert_eq!(negotiate(None, Some("de"), Some("fr")), Locale::De);
        assert_eq!(negotiate(None, None, Some("es, fr;q=0.5, de;q=0.8")), Locale::De);
        assert_eq!(negotiate(None, None, Some("es")), Locale::En);
        assert_eq!(negotiate(None, Some("xx"), None), Locale::En);
    }
}
