//! Passkeys (WebAuthn): the second kind of second factor, beside TOTP.
//!
//! - [`PasskeyRecord`]: a registered passkey, its credential kept as the JSON
//!   `webauthn-rs` serialises it to (public key, counter: nothing secret).
//! - [`Ceremony`]: the state between a ceremony's two requests (the challenge the
//!   browser signs), stored in the database so any node can finish what another
//!   began; it expires after [`CEREMONY_SECONDS`] and is taken once.
//! - [`relying_party`]: the WebAuthn relying party of the public URL. Its id is the
//!   URL's host name; browsers refuse passkeys for an IP address, so such a public
//!   URL gives [`PasskeysUnavailable`], which the pages say in words.

use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::types::{Timestamp, UserId};

/// How long a browser has between a ceremony's options and its answer.
pub const CEREMONY_SECONDS: i64 = 5 * 60;
/// The most passkeys one user may have (a bound on what one user stores).
pub const MAX_PER_USER: usize = 20;
/// The longest name a passkey may have.
pub const NAME_MAX_CHARS: usize = 60;

/// A registered passkey.
#[derive(Debug, Clone)]
pub struct PasskeyRecord {
    pub id: i64,
    pub user_id: UserId,
    /// What the user called it ("Laptop"), to tell keys apart in the list.
    pub name: String,
    /// `webauthn_rs::prelude::Passkey` as JSON.
    pub credential: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// Which ceremony a stored state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Adding a passkey on the security page.
    Register,
    /// Using one at the login's second step.
    Login,
}

impl CeremonyKind {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
        }
    }

    /// Reads the stored value.
    pub fn from_stored(value: &str) -> Self {
        if value == "register" {
            Self::Register
        } else {
            Self::Login
        }
    }
}

/// A ceremony between its two requests (stored by the hash of the token the form
/// carries).
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub id_hash: String,
    pub user_id: UserId,
    pub kind: CeremonyKind,
    /// `PasskeyRegistration` or `PasskeyAuthentication` as JSON.
    pub state: String,
    pub expires_at: Timestamp,
}

/// The public URL cannot carry passkeys (its host is an IP address, or it has none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("passkeys need the public URL to name a host, not an IP address ({0})")]
pub struct PasskeysUnavailable(pub String);

/// The relying party for the service reached at `public_url`: its id is the host
/// name, its origin the URL's origin.
pub fn relying_party(public_url: &str) -> Result<Webauthn, PasskeysUnavailable> {
    let unavailable = || PasskeysUnavailable(public_url.to_owned());
    let origin = webauthn_rs::prelude::Url::parse(public_url).map_err(|_| unavailable())?;
    // `domain()` is `None` for an IP address (v4 or v6) and for URLs without a host.
    let host = origin.domain().ok_or_else(unavailable)?.to_owned();
    WebauthnBuilder::new(&host, &origin)
        .and_then(|builder| builder.rp_name("Sealpost").build())
        .map_err(|_| unavailable())
}

/// A passkey's name as typed: trimmed, without control characters, not empty,
/// at most [`NAME_MAX_CHARS`] characters.
pub fn clean_name(typed: &str) -> Option<String> {
    let name: String = typed.trim().chars().filter(|c| !c.is_control()).collect();
    (!name.is_empty() && name.chars().count() <= NAME_MAX_CHARS).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_name_is_a_relying_party_and_an_address_is_not() {
        assert!(relying_party("https://secure.example.com").is_ok());
        assert!(relying_party("http://localhost:8080").is_ok());
        assert!(relying_party("http://127.0.0.1:8080").is_err());
        assert!(relying_party("http://[::1]:8080").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Laptop \n"), Some("Laptop".to_owned()));
        assert_eq!(clean_name("   "), None);
        assert_eq!(clean_name(&"x".repeat(NAME_MAX_CHARS + 1)), None);
    }
}
