//! Two-step verification: what a second factor is, independent of storage and HTTP.
//!
//! - [`TotpSecret`]: an RFC 6238 secret (160 random bits, SHA-1, 6 digits, 30 s),
//!   sealed at rest by [`TotpSeal`] under a key derived from the master key and
//!   bound to its user, so a copied row opens for nobody else.
//! - Recovery codes: ten random codes shown once, stored as SHA-256 (they are
//!   random and long, like session tokens), each usable once.
//! - [`TwoStepRequirement`]: the per-account setting (administrators, or every
//!   member, must use it).
//! - [`Challenge`]: a login whose password was right and whose second step is still
//!   due; it is not a session (its cookie opens no page but the second step's).

use sealpost_crypto::envelope::{self, Context};
use sealpost_crypto::keys::Key256;
use sealpost_crypto::secret::derive_key;
use totp_rs::{Builder, Secret, Totp};

use crate::error::DomainError;
use crate::settings::SettingValue;
use crate::types::{Timestamp, UserId};

/// Seconds a code stands for (RFC 6238's default; every authenticator app uses it).
pub const TOTP_STEP_SECONDS: u64 = 30;
/// How many recovery codes a user gets at a time.
pub const RECOVERY_CODES: usize = 10;
/// How long a login may wait for its second step.
pub const CHALLENGE_SECONDS: i64 = 10 * 60;

/// Who in an account must use two-step verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoStepRequirement {
    /// The members of Account Administrators.
    Administrators,
    /// Every member of the account.
    Members,
}

impl TwoStepRequirement {
    /// The stored value and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrators => "administrators",
            Self::Members => "members",
        }
    }

    /// Reads a stored or posted value.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "administrators" => Some(Self::Administrators),
            "members" => Some(Self::Members),
            _ => None,
        }
    }
}

impl SettingValue for TwoStepRequirement {
    fn encode(&self) -> String {
        self.as_str().to_owned()
    }

    fn decode(stored: &str) -> Option<Self> {
        Self::parse(stored)
    }
}

/// A TOTP shared secret. `Debug` shows nothing of it.
pub struct TotpSecret([u8; 20]);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl Drop for TotpSecret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl TotpSecret {
    /// 160 fresh random bits (RFC 4226's recommended length).
    pub fn generate() -> Result<Self, DomainError> {
        let key = Key256::generate().map_err(DomainError::internal)?;
        let mut bytes = [0u8; 20];
        bytes.copy_from_slice(&key.expose()[..20]);
        Ok(Self(bytes))
    }

    fn totp(&self) -> Result<Totp, DomainError> {
        Builder::new()
            .with_secret(Secret::new_stack(self.0))
            .with_skew(1)
            .with_step_duration(TOTP_STEP_SECONDS)
            .build()
            .map_err(|e| DomainError::Internal(format!("TOTP: {e:?}").into()))
    }

    /// The secret as authenticator apps take it typed in: base32 without padding.
    pub fn base32(&self) -> String {
        Secret::new_stack(self.0).to_base32().trim_end_matches('=').to_owned()
    }

    /// The `otpauth://` URI the QR code carries, labelled with `issuer` and the
    /// user's address.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        let issuer = percent(issuer);
        format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period={TOTP_STEP_SECONDS}",
            percent(account),
            self.base32()
        )
    }

    /// The time step `code` is right for at `now` (the current one, or one on either
    /// side for clocks that drift); `None` when it is wrong.
    pub fn check(&self, code: &str, now: Timestamp) -> Result<Option<i64>, DomainError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let seconds = u64::try_from(now.0 / 1000).unwrap_or(0);
        Ok(self
            .totp()?
            .check(&code, seconds)
            .and_then(|step| i64::try_from(step).ok()))
    }

    /// The code at `now` (what an authenticator shows; for tests and the CLI).
    pub fn code_at(&self, now: Timestamp) -> Result<String, DomainError> {
        let seconds = u64::try_from(now.0 / 1000).unwrap_or(0);
        Ok(self.totp()?.generate(seconds).to_string())
    }
}

/// RFC 3986 percent-encoding of everything but unreserved characters and `@`.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Seals TOTP secrets for the database (a key derived from the master key).
pub struct TotpSeal(Key256);

impl std::fmt::Debug for TotpSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSeal([redacted])")
    }
}

impl TotpSeal {
    /// The seal of the installation whose master key is `master`.
    pub fn from_master(master: &Key256) -> Result<Self, DomainError> {
        derive_key(master, "totp secrets")
            .map(Self)
            .map_err(DomainError::internal)
    }

    /// The context binds the user: a row copied to another user does not open.
    fn context(user: UserId) -> Context {
        Context {
            account_id: user.0,
            message_id: *b"totp-secret\0\0\0\0\0",
            part: 0,
        }
    }

    /// `secret` sealed for `user`.
    pub fn seal(&self, user: UserId, secret: &TotpSecret) -> Result<Vec<u8>, DomainError> {
        envelope::seal(&self.0, &Self::context(user), &secret.0).map_err(DomainError::internal)
    }

    /// The secret `sealed` holds for `user`.
    pub fn open(&self, user: UserId, sealed: &[u8]) -> Result<TotpSecret, DomainError> {
        let plain = zeroize::Zeroizing::new(
            envelope::open(&self.0, &Self::context(user), sealed).map_err(DomainError::internal)?,
        );
        let bytes: [u8; 20] = plain
            .as_slice()
            .try_into()
            .map_err(|_| DomainError::Internal("a TOTP secret of the wrong length".into()))?;
        Ok(TotpSecret(bytes))
    }
}

/// A user's TOTP row.
#[derive(Debug, Clone)]
pub struct TotpRecord {
    /// The secret, sealed by [`TotpSeal`].
    pub sealed: Vec<u8>,
    /// When a code confirmed it; `None` while enrolment waits for the first code.
    pub enabled_at: Option<Timestamp>,
}

/// Ten fresh recovery codes: `xxxxx-xxxxx` from an alphabet without look-alikes
/// (about 50 bits each).
pub fn new_recovery_codes() -> Result<Vec<String>, DomainError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut code = String::with_capacity(11);
            for i in 0..10 {
                if i == 5 {
                    code.push('-');
                }
                let index =
                    sealpost_crypto::token::random_in(0, (ALPHABET.len() - 1) as u64).map_err(DomainError::internal)?;
                code.push(char::from(ALPHABET[usize::try_from(index).unwrap_or(0)]));
            }
            Ok(code)
        })
        .collect()
}

/// How a typed recovery code is stored and looked up: lower-case, without spaces
/// or dashes, hashed.
pub fn recovery_code_hash(typed: &str) -> String {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sealpost_crypto::token::hash_token(&format!("recovery:{normal}"))
}

/// What a login still owes after its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengePurpose {
    /// A code from the user's authenticator (or a recovery code).
    Verify,
    /// The user must first set up two-step verification (their account requires it).
    Enrol,
}

impl ChallengePurpose {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Enrol => "enrol",
        }
    }

    /// Reads the stored value.
    pub fn from_stored(value: &str) -> Self {
        if value == "enrol" { Self::Enrol } else { Self::Verify }
    }
}

/// A login waiting for its second step (stored by the hash of its cookie value).
#[derive(Debug, Clone)]
pub struct Challenge {
    pub id_hash: String,
    pub user_id: UserId,
    pub purpose: ChallengePurpose,
    /// The password hash the login checked: the session opens only if it is still
    /// the user's (a password change meanwhile ends the login).
    pub password_hash: String,
    pub expires_at: Timestamp,
}

/// One of a user's sessions, as the security page lists it.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub id_hash: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The client address of the login (`None`: opened before it was noted).
    pub client: Option<String>,
}

/// One of a user's remembered devices.
#[derive(Debug, Clone)]
pub struct DeviceSummary {
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_right_for_its_step_and_its_neighbours_only() -> Result<(), DomainError> {
        let secret = TotpSecret::generate()?;
        let now = Timestamp(1_700_000_000_000);
        let code = secret.code_at(now)?;
        let step = secret.check(&code, now)?;
        assert_eq!(step, Some(1_700_000_000 / 30));
        assert!(
            secret.check(&code, now.plus_seconds(30))?.is_some(),
            "one step of drift"
        );
        assert!(
            secret.check(&code, now.plus_seconds(120))?.is_none(),
            "old codes expire"
        );
        let other = TotpSecret::generate()?;
        assert!(other.check(&code, now)?.is_none(), "another secret's code fails");
        assert!(secret.check("12345", now)?.is_none());
        Ok(())
    }

    #[test]
    fn sealed_secrets_open_only_for_their_user() -> Result<(), DomainError> {
        let seal = TotpSeal::from_master(&Key256::generate().map_err(DomainError::internal)?)?;
        let secret = TotpSecret::generate()?;
        let sealed = seal.seal(UserId(7), &secret)?;
        assert_eq!(seal.open(UserId(7), &sealed)?.base32(), secret.base32());
        assert!(seal.open(UserId(8), &sealed).is_err());
        assert!(!format!("{secret:?}").contains(&secret.base32()));
        Ok(())
    }

    #[test]
    fn recovery_codes_compare_without_case_spaces_or_dashes() -> Result<(), DomainError> {
        let codes = new_recovery_codes()?;
        assert_eq!(codes.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 11);
        let typed = format!(" {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(recovery_code_hash(&typed), recovery_code_hash(code));
        assert_ne!(recovery_code_hash(&codes[1]), recovery_code_hash(code));
        Ok(())
    }
}
