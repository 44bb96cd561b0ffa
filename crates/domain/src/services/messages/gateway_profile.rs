//! Which envelope profile a gateway message gets, and its subject without tags.
//!
//! - `X-Sealpost-Profile: <name>` names a profile of the account (any case); a
//!   name the account does not have refuses the message (`UnknownProfile`);
//! - otherwise the profile whose subject tag comes first in the subject wins
//!   (tags compare case-insensitively; a tag beginning or ending with a letter or
//!   digit must not be glued to another one: `secure` is not found in
//!   `insecure`); the service-wide tag (`[gateway] subject_tag`) stands for the
//!   account's default profile;
//! - every known tag is removed from the subject, whichever won;
//! - a message with neither header nor tag is *untagged*: the token may relay
//!   it unchanged, else it gets the default profile.

use crate::profiles::EnvelopeProfile;

/// The profile chosen for a message and its subject without tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProfileChoice {
    /// `None`: untagged (no header, no tag).
    pub profile: Option<EnvelopeProfile>,
    pub subject: String,
}

/// Why no profile could be chosen: the header names none of the account's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UnknownProfileName;

/// Chooses among `profiles` (the account's, the default among them) for a
/// message with `subject`, the `X-Sealpost-Profile` value `header` and the
/// service-wide tag `service_tag`.
pub(super) fn choose_profile(
    profiles: &[EnvelopeProfile],
    subject: &str,
    header: Option<&str>,
    service_tag: &str,
) -> Result<ProfileChoice, UnknownProfileName> {
    let mut tags: Vec<(&str, Option<&EnvelopeProfile>)> = profiles
        .iter()
        .filter_map(|p| p.subject_tag.as_deref().map(|tag| (tag, Some(p))))
        .collect();
    tags.push((service_tag.trim(), profiles.iter().find(|p| p.is_default)));
    let mut subject: String = subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let first = tags
        .iter()
        .filter_map(|(tag, profile)| find_tag(&subject, tag).map(|(at, _)| (at, *profile)))
        .min_by_key(|(at, _)| *at);
    for (tag, _) in &tags {
        // Each removal shortens the subject: at most one pass per character.
        while let Some((start, end)) = find_tag(&subject, tag) {
            subject = format!("{} {}", &subject[..start], &subject[end..]);
        }
    }
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let profile = match header.map(str::trim) {
        Some(name) => Some(
            profiles
                .iter()
                .find(|p| p.name.to_lowercase() == name.to_lowercase())
                .ok_or(UnknownProfileName)?
                .clone(),
        ),
        None => first
            .map(|(_, profile)| profile.cloned().ok_or(UnknownProfileName))
            .transpose()?,
    };
    Ok(ProfileChoice { profile, subject })
}

/// The byte range of the first occurrence of `tag` in `subject` (see the
/// module's rule); `None` for an empty tag.
pub fn find_tag(subject: &str, tag: &str) -> Option<(usize, usize)> {
    let tag: Vec<char> = tag.chars().collect();
    let (first, last) = (*tag.first()?, *tag.last()?);
    let chars: Vec<(usize, char)> = subject.char_indices().collect();
    let same = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    for start in 0..chars.len() {
        let end = start + tag.len();
        if end > chars.len() {
            return None;
        }
        if !chars[start..end].iter().zip(&tag).all(|(&(_, a), &b)| same(a, b)) {
            continue;
        }
        let glued_before = start > 0 && first.is_alphanumeric() && chars[start - 1].1.is_alphanumeric();
        let glued_after = chars
            .get(end)
            .is_some_and(|&(_, c)| last.is_alphanumeric() && c.is_alphanumeric());
        if glued_before || glued_after {
            continue;
        }
        return Some((chars[start].0, chars.get(end).map_or(subject.len(), |&(at, _)| at)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::ProfileId;
    use crate::types::{AccountId, Locale};

    fn profile(id: i64, name: &str, tag: Option<&str>, default: bool) -> EnvelopeProfile {
        let mut profile = EnvelopeProfile::built_in(AccountId(1), None, Locale::En);
        profile.id = Some(ProfileId(id));
        profile.name = name.to_owned();
        profile.subject_tag = tag.map(str::to_owned);
        profile.is_default = default;
        profile
    }

    fn profiles() -> Vec<EnvelopeProfile> {
        vec![
            profile(1, "Default", None, true),
            profile(2, "Legal", Some("[LEGAL]"), false),
            profile(3, "Board", Some("confidential"), false),
        ]
    }

    fn chosen(subject: &str, header: Option<&str>) -> (Option<i64>, String) {
        let choice = choose_profile(&profiles(), subject, header, "[secure]")
            .unwrap_or_else(|_| unreachable!("a known profile"));
        (choice.profile.and_then(|p| p.id).map(|id| id.0), choice.subject)
    }

    #[test]
    fn tags_choose_case_insensitively_and_every_tag_is_stripped() {
        assert_eq!(chosen("[legal] Contract", None), (Some(2), "Contract".to_owned()));
        assert_eq!(chosen("Contract [Legal]", None), (Some(2), "Contract".to_owned()));
        assert_eq!(chosen("[SECURE] Hello", None), (Some(1), "Hello".to_owned()));
        assert_eq!(chosen("[secure] x [legal] y", None), (Some(1), "x y".to_owned()));
        assert_eq!(chosen("Confidential: board", None), (Some(3), ": board".to_owned()));
        assert_eq!(chosen("Évian [secure] été", None), (Some(1), "Évian été".to_owned()));
    }

    #[test]
    fn untagged_subjects_and_glued_words_choose_nothing() {
        assert_eq!(chosen("Lunch?", None), (None, "Lunch?".to_owned()));
        assert_eq!(
            chosen("Nonconfidential notes", None),
            (None, "Nonconfidential notes".to_owned())
        );
        assert_eq!(chosen("confidentiality", None), (None, "confidentiality".to_owned()));
        assert_eq!(chosen("line\r\nbreak", None), (None, "line break".to_owned()));
    }

    #[test]
    fn the_header_wins_and_an_unknown_name_is_refused() {
        assert_eq!(
            chosen("[legal] Contract", Some(" board ")),
            (Some(3), "Contract".to_owned())
        );
        assert_eq!(chosen("Plain", Some("LEGAL")), (Some(2), "Plain".to_owned()));
        assert_eq!(
            choose_profile(&profiles(), "Plain", Some("Nope"), "[secure]"),
            Err(UnknownProfileName)
        );
    }

    #[test]
    fn find_tag_answers_byte_ranges_of_multibyte_letters() {
        assert_eq!(find_tag("x ÉTÉ y", "été"), Some((2, 7)));
        assert_eq!(find_tag("", "[a]"), None);
        assert_eq!(find_tag("abc", ""), None);
    }
}
