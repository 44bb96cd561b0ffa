//! The domains an account may send from (its "allowed sender domains"): the SMTP
//! gateway takes mail from an address of one of them that is not a member of
//! the account yet, and makes it a member (members send whatever their domain).
//!
//! Rules, so that an administrator can predict every answer:
//! - a domain is written as people type it (`Example.COM`, `bücher.example`, a
//!   trailing dot) and kept in its ASCII form (IDNA: `xn--bcher-kva.example`),
//!   lower-case; it needs at least two labels and is not an IP address;
//! - `example.com` allows exactly `@example.com`, not its subdomains;
//! - `*.example.com` allows every subdomain (`@eu.example.com`,
//!   `@mail.eu.example.com`), not `example.com` itself (list both for both); no
//!   other wildcard is accepted (`*`, `ex*.com`, `*.com`: a wildcard needs two
//!   labels after it);
//! - at most [`SenderDomains::MAX`] entries, separated by commas, spaces or lines.
//!
//! No domains listed means only members send.

use crate::error::ValidationError;
use crate::types::EmailAddress;

/// An account's allowed sender domains, parsed, deduplicated and sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderDomains(Vec<String>);

impl SenderDomains {
    /// The most entries an account may list.
    pub const MAX: usize = 100;

    /// Parses what an administrator typed. Refuses the whole list, naming no entry
    /// silently dropped, when any entry is not a domain.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let mut domains = Vec::new();
        for entry in raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
            if entry.is_empty() {
                continue;
            }
            domains.push(parse_entry(entry)?);
        }
        if domains.len() > Self::MAX {
            return Err(ValidationError::TooManySenderDomains);
        }
        domains.sort();
        domains.dedup();
        Ok(Self(domains))
    }

    /// The entries, in ASCII form (`*.` first for wildcards).
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether the list is empty (only members send).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `sender`'s domain is listed, or below a listed wildcard.
    pub fn allows(&self, sender: &EmailAddress) -> bool {
        let Some((_, domain)) = sender.as_str().rsplit_once('@') else {
            return false;
        };
        let Some(domain) = ascii_domain(domain) else {
            return false;
        };
        self.0.iter().any(|entry| match entry.strip_prefix("*.") {
            Some(parent) => domain
                .strip_suffix(parent)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => *entry == domain,
        })
    }

    /// The list as shown in its form field: one entry per line.
    pub fn to_lines(&self) -> String {
        self.0.join("\n")
    }
}

/// One typed entry: a domain, or `*.` and a domain.
fn parse_entry(entry: &str) -> Result<String, ValidationError> {
    let (wildcard, domain) = match entry.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, entry),
    };
    let domain = ascii_domain(domain).ok_or(ValidationError::SenderDomainMalformed)?;
    Ok(if wildcard { format!("*.{domain}") } else { domain })
}

/// The ASCII (IDNA) form of a domain name, lower-case, without a trailing dot; `None`
/// for anything that is not a name of at least two labels of letters, digits and
/// hyphens (IP addresses, `*`, `_`, empty labels…).
fn ascii_domain(raw: &str) -> Option<String> {
    let raw = raw.strip_suffix('.').unwrap_or(raw);
    if raw.is_empty() || raw.len() > 253 || raw.chars().any(|c| c.is_control() || c == '*') {
        return None;
    }
    let url::Host::Domain(ascii) = url::Host::parse(raw).ok()? else {
        return None;
    };
    let labels: Vec<&str> = ascii.split('.').collect();
    let valid = labels.len() >= 2
        && ascii.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        // A top-level label of digits only would be an address, not a name.
        && !labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    valid.then_some(ascii)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::expect_used, reason = "tests")]

    use super::*;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).expect("address")
    }

    #[test]
    fn domains_are_kept_in_ascii_lower_case_sorted_once_each() {
        let parsed =
            SenderDomains::parse(" Example.COM, bücher.example.\n*.Eu.Example.com;example.com ").expect("parsed");
        assert_eq!(
            parsed.as_slice(),
            ["*.eu.example.com", "example.com", "xn--bcher-kva.example"]
        );
        assert_eq!(SenderDomains::parse("").expect("empty"), SenderDomains::default());
    }

    #[test]
    fn anything_but_a_domain_or_a_subdomain_wildcard_is_refused() {
        for bad in [
            "*",
            "*.com",
            "ex*.com",
            "a.*.com",
            "localhost",
            "192.168.0.1",
            "[::1]",
            "exa mple.com@",
            "foo@example.com",
            "-a.example",
            "a..example",
            "_dmarc.example.com",
            "a.123",
        ] {
            assert_eq!(
                SenderDomains::parse(bad),
                Err(ValidationError::SenderDomainMalformed),
                "{bad}"
            );
        }
        let many = (0..=SenderDomains::MAX)
            .map(|i| format!("d{i}.example"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(SenderDomains::parse(&many), Err(ValidationError::TooManySenderDomains));
    }

    #[test]
    fn a_domain_allows_itself_and_a_wildcard_only_its_subdomains() {
        let list = SenderDomains::parse("example.com *.eu.example.org bücher.example").expect("parsed");
        assert!(list.allows(&address("alice@example.com")));
        assert!(list.allows(&address("alice@EXAMPLE.com")));
        assert!(!list.allows(&address("alice@sub.example.com")));
        assert!(!list.allows(&address("alice@example.com.evil.net")));
        assert!(list.allows(&address("alice@mail.eu.example.org")));
        assert!(list.allows(&address("alice@a.b.eu.example.org")));
        assert!(!list.allows(&address("alice@eu.example.org")));
        assert!(!list.allows(&address("alice@xeu.example.org")));
        assert!(list.allows(&address("info@bücher.example")));
        assert!(!SenderDomains::default().allows(&address("alice@example.com")));
    }
}
