//! Account tokens: secrets that let an organisation's systems act for an account
//! (the SMTP gateway today, the JSON API later).
//!
//! A token reads `sptk_` + an 8-character public id + `_` + 32 secret characters
//! (URL-safe base64, 192 random bits). The prefix lets secret scanners find a
//! leaked one; the public id finds its row and is shown in lists; only the SHA-256
//! of the whole token is stored. A token carries scopes, may expire, may be bound
//! to client networks, and can be revoked at once.

use std::fmt;
use std::net::IpAddr;

use crate::types::{AccountId, EmailAddress, Timestamp, UserId};

/// What every account token starts with.
pub const TOKEN_PREFIX: &str = "sptk_";
/// Characters of the public id.
pub const PUBLIC_ID_LEN: usize = 8;
/// Characters of the secret part.
pub const SECRET_LEN: usize = 32;
/// The longest token name.
pub const MAX_TOKEN_NAME_CHARS: usize = 100;
/// The most client networks one token may list.
pub const MAX_TOKEN_NETWORKS: usize = 20;

/// What a token may be used for. Named by area and verb, so that API scopes
/// (`api_read`, `api_send`, …) join the list without renaming this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Sending secure mail through the SMTP gateway.
    SmtpSubmission,
}

impl TokenScope {
    /// Every scope, in the order forms list them.
    pub const ALL: [Self; 1] = [Self::SmtpSubmission];

    /// The stored and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SmtpSubmission => "smtp_submission",
        }
    }

    /// Reads a stored or form value.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A client network: an address and a prefix length (`192.0.2.0/24`,
/// `2001:db8::/32`; a bare address is a network of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Reads `address[/prefix]`; `None` when it is not one, or when the address
    /// has bits set past the prefix (`10.0.0.1/8` is a typo for a host or a net).
    pub fn parse(raw: &str) -> Option<Self> {
        let (address, prefix) = match raw.trim().split_once('/') {
            Some((address, prefix)) => (address.parse::<IpAddr>().ok()?, Some(prefix.parse::<u8>().ok()?)),
            None => (raw.trim().parse::<IpAddr>().ok()?, None),
        };
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        if prefix > bits {
            return None;
        }
        let network = Self { address, prefix };
        (to_bits(address) & !network.mask() == 0).then_some(network)
    }

    fn mask(&self) -> u128 {
        let bits = if self.address.is_ipv4() { 32 } else { 128 };
        let host_bits = u32::from(bits - self.prefix);
        let all = if bits == 32 { u128::from(u32::MAX) } else { u128::MAX };
        all.checked_shl(host_bits).map_or(0, |m| m & all)
    }

    /// Whether `client` is inside this network (an IPv4 client seen as an
    /// IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, client: IpAddr) -> bool {
        let client = match client {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
            v4 => v4,
        };
        client.is_ipv4() == self.address.is_ipv4() && to_bits(client) & self.mask() == to_bits(self.address)
    }
}

fn to_bits(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// An account token as stored (never its secret).
#[derive(Debug, Clone)]
pub struct AccountToken {
    pub id: i64,
    pub account_id: AccountId,
    pub public_id: String,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    /// Empty: usable from anywhere.
    pub networks: Vec<Network>,
    pub expires_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
    /// The creator's address, for the list (`None`: the console, or deleted).
    pub created_by_email: Option<EmailAddress>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub last_used_from: Option<String>,
    pub revoked_at: Option<Timestamp>,
    /// SMTP gateway: mail with no subject tag and no `X-Sealpost-Profile` header
    /// is relayed unchanged to the outgoing relay instead of being sealed, so
    /// Sealpost can sit in the mail path as a filter.
    pub relay_untagged: bool,
}

/// Whether a token works now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    /// For message ids and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

impl AccountToken {
    /// What the list and logs show of the token: its prefix and public id.
    pub fn prefix(&self) -> String {
        format!("{TOKEN_PREFIX}{}", self.public_id)
    }

    /// Whether it works at `now`.
    pub fn status(&self, now: Timestamp) -> TokenStatus {
        if self.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now) {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }

    /// Whether a client at `client` may use it (no networks: anyone).
    pub fn admits(&self, client: IpAddr) -> bool {
        self.networks.is_empty() || self.networks.iter().any(|n| n.contains(client))
    }
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewAccountToken {
    pub account_id: AccountId,
    pub public_id: String,
    pub secret_hash: String,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub networks: Vec<Network>,
    pub expires_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    /// See [`AccountToken::relay_untagged`].
    pub relay_untagged: bool,
}

/// Splits a presented token into its public id, or `None` when it does not have
/// the shape of one (checked before any lookup).
pub fn public_id_of(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (public_id, secret) = (rest.get(..PUBLIC_ID_LEN)?, rest.get(PUBLIC_ID_LEN..)?);
    let secret = secret.strip_prefix('_')?;
    let alphabet = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (secret.len() == SECRET_LEN && alphabet(public_id) && alphabet(secret)).then_some(public_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn networks_are_read_strictly_and_match_their_clients() -> Result<(), &'static str> {
        let net = Network::parse("192.0.2.0/24").ok_or("a network")?;
        assert!(net.contains(ip("192.0.2.77")) && !net.contains(ip("192.0.3.1")));
        assert!(
            net.contains(ip("::ffff:192.0.2.9")),
            "IPv4-mapped clients count as IPv4"
        );
        assert_eq!(net.to_string(), "192.0.2.0/24");
        let host = Network::parse(" 198.51.100.7 ").ok_or("a host")?;
        assert_eq!(host.to_string(), "198.51.100.7/32");
        assert!(host.contains(ip("198.51.100.7")) && !host.contains(ip("198.51.100.8")));
        let v6 = Network::parse("2001:db8::/32").ok_or("v6")?;
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("192.0.2.1")));
        let everyone = Network::parse("0.0.0.0/0").ok_or("all of IPv4")?;
        assert!(everyone.contains(ip("203.0.113.1")));
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.0/x",
            "",
            "1.2.3.4/-1",
        ] {
            assert_eq!(Network::parse(bad), None, "{bad:?}");
        }
        Ok(())
    }

    #[test]
    fn only_the_tokens_shape_yields_a_public_id() {
        let token = format!("{TOKEN_PREFIX}Ab-_1234_{}", "x".repeat(SECRET_LEN));
        assert_eq!(public_id_of(&token), Some("Ab-_1234"));
        for bad in [
            "sptk_short".to_owned(),
            format!("sptk_Ab-_1234{}", "x".repeat(SECRET_LEN + 1)),
            format!("sptk_Ab-_1234_{}", "x".repeat(SECRET_LEN - 1)),
            format!("sptk_Ab-_12é4_{}", "x".repeat(SECRET_LEN - 1)),
            format!("ghp_Ab-_1234_{}", "x".repeat(SECRET_LEN)),
        ] {
            assert_eq!(public_id_of(&bad), None, "{bad:?}");
        }
    }
}
