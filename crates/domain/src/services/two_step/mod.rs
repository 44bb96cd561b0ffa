//! Two-step verification: turning TOTP on and off from the security page, recovery
//! codes, and who must use it. The login's second step is in [`login`].
//!
//! A TOTP secret is generated here, sealed for its user ([`TotpSeal`]) and stored
//! waiting; only a right code from it turns it on, so a user never locks
//! themself out with a secret their app did not take. Turning it on hands out
//! ten recovery codes, shown once and stored hashed; a user with only passkeys
//! makes them from the security page. The codes last while a second factor does
//! (TOTP or a passkey). Turning TOTP off, and new recovery codes, ask for the
//! password again (throttled like a login).
//!
//! Who must use it: operators when the service says so
//! ([`Services::require_two_step_for_operators`]); the members of an account whose
//! `two_step_required` setting is `members`, and its administrators when it is
//! `administrators`.

pub mod login;

use super::Services;
use super::auth::{RetypeThrottle, verify_off_executor};
use crate::error::DomainError;
use crate::messages::SecurityNotice;
use crate::model::AuditEvent;
use crate::policy::Actor;
use crate::two_step::{
    ChallengePurpose, TotpSeal, TotpSecret, TwoStepRequirement, new_recovery_codes, recovery_code_hash,
};
use crate::types::{Locale, Password, UserId};

/// Why a second-factor form was refused.
#[derive(Debug, thiserror::Error)]
pub enum TwoStepError {
    /// The code (or recovery code) is wrong, was used already, or is from another
    /// secret: one answer for all.
    #[error("wrong code")]
    WrongCode,
    /// The password typed to confirm is wrong.
    #[error("wrong password")]
    WrongPassword,
    /// Too many failures; try again after this many seconds.
    #[error("throttled for {0} s")]
    Throttled(i64),
    /// The login waiting for its second step is gone (expired, completed, or the
    /// password changed meanwhile): log in again.
    #[error("the login expired")]
    Expired,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// A secret waiting for its first code, as the enrolment page shows it.
#[derive(Debug)]
pub struct Enrolment {
    /// The secret typed by hand (base32), the QR code's text alternative.
    pub secret: String,
    /// The `otpauth://` URI the QR code carries.
    pub uri: String,
}

/// What the security page says about a user's second factor.
#[derive(Debug, Clone, Copy)]
pub struct TwoStepStatus {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// Whether an account (or the service, for operators) requires it of this user.
    pub required: bool,
}

/// The issuer authenticator apps show beside the code.
const ISSUER: &str = "Sealpost";

impl Services {
    /// Makes every operator use two-step verification (the `require_two_step_for_operators`
    /// configuration): an operator without it is sent to set it up at login.
    pub fn require_two_step_for_operators(mut self, required: bool) -> Self {
        self.operators_two_step = required;
        self
    }

    pub(crate) fn totp_seal(&self) -> Result<TotpSeal, DomainError> {
        TotpSeal::from_master(&self.messaging.master_key)
    }

    /// Whether the user has a second factor: TOTP turned on, or a passkey (for the
    /// user page's "two-step on/off").
    pub async fn two_step_enabled(&self, user: UserId) -> Result<bool, DomainError> {
        Ok(self.store.two_step_enabled(user).await? || self.store.has_passkey(user).await?)
    }

    /// Whether an account, or the service for operators, requires `user` to use a
    /// second factor.
    pub async fn two_step_required(&self, user: &crate::model::User) -> Result<bool, DomainError> {
        if user.operator && self.operators_two_step {
            return Ok(true);
        }
        for account in self.store.member_accounts(user.id).await? {
            let required = match self.settings_of(account.id).await?.two_step_required {
                Some(TwoStepRequirement::Members) => true,
                Some(TwoStepRequirement::Administrators) => self.store.is_account_admin(account.id, user.id).await?,
                None => false,
            };
            if required {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// What a login still owes after a right password: a code (or a passkey) when
    /// TOTP is on or the user has a passkey,
    /// setting it up when required, nothing otherwise.
    pub(crate) async fn second_step_due(
        &self,
        user: &crate::model::User,
    ) -> Result<Option<ChallengePurpose>, DomainError> {
        if self.store.two_step_enabled(user.id).await? || self.store.has_passkey(user.id).await? {
            return Ok(Some(ChallengePurpose::Verify));
        }
        if self.two_step_required(user).await? {
            return Ok(Some(ChallengePurpose::Enrol));
        }
        Ok(None)
    }

    /// The security page's summary of the actor's second factor.
    pub async fn two_step_status(&self, actor: &Actor) -> Result<TwoStepStatus, DomainError> {
        Ok(TwoStepStatus {
            enabled: self.store.two_step_enabled(actor.id()).await?,
            recovery_codes_left: self.store.recovery_codes_left(actor.id()).await?,
            required: self.two_step_required(actor.user()).await?,
        })
    }

    /// Starts setting up TOTP: a fresh secret waits for its first code (replacing
    /// one that waited). `Conflict` when TOTP is on already.
    pub async fn begin_totp(&self, actor: &Actor) -> Result<(), DomainError> {
        self.start_secret(actor.id()).await
    }

    pub(crate) async fn start_secret(&self, user: UserId) -> Result<(), DomainError> {
        let secret = TotpSecret::generate()?;
        let sealed = self.totp_seal()?.seal(user, &secret)?;
        self.store.start_totp(user, &sealed, self.clock.now()).await
    }

    /// The secret waiting for the actor's first code; `NotFound` when none waits.
    pub async fn totp_enrolment(&self, actor: &Actor) -> Result<Enrolment, DomainError> {
        self.enrolment_of(actor.user()).await
    }

    pub(crate) async fn enrolment_of(&self, user: &crate::model::User) -> Result<Enrolment, DomainError> {
        let record = self.store.totp(user.id).await?.ok_or(DomainError::NotFound)?;
        if record.enabled_at.is_some() {
            return Err(DomainError::NotFound);
        }
        let secret = self.totp_seal()?.open(user.id, &record.sealed)?;
        Ok(Enrolment {
            secret: secret.base32(),
            uri: secret.uri(ISSUER, user.email.as_str()),
        })
    }

    /// Turns TOTP on with the first right code of the waiting secret; returns the
    /// recovery codes, to be shown once. Wrong codes are throttled like passwords.
    #[tracing::instrument(skip_all, fields(user = %actor.id()))]
    pub async fn confirm_totp(&self, actor: &Actor, code: &str, client: &str) -> Result<Vec<String>, TwoStepError> {
        self.enable_with_code(actor.user(), code, client).await
    }

    pub(crate) async fn enable_with_code(
        &self,
        user: &crate::model::User,
        code: &str,
        client: &str,
    ) -> Result<Vec<String>, TwoStepError> {
        let now = self.clock.now();
        let throttle = RetypeThrottle::new(user, client);
        let wait = throttle.wait(self.store.as_ref(), now).await?;
        if wait > 0 {
            return Err(TwoStepError::Throttled(wait));
        }
        let record = self.store.totp(user.id).await?.ok_or(DomainError::NotFound)?;
        if record.enabled_at.is_some() {
            return Err(DomainError::NotFound.into());
        }
        let secret = self.totp_seal()?.open(user.id, &record.sealed)?;
        let Some(step) = secret.check(code, now)? else {
            throttle.failed(self.store.as_ref(), now).await?;
            return Err(TwoStepError::WrongCode);
        };
        throttle.succeeded(self.store.as_ref()).await?;
        let codes = new_recovery_codes()?;
        let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(c)).collect();
        let event = self.user_event(user, "user.two_step_enabled", Some(client));
        self.store.enable_totp(user.id, step, now, &hashes, event).await?;
        tracing::info!(user = %user.id, "two-step verification turned on");
        Ok(codes)
    }

    /// Turns TOTP off after checking the password again; the user is told by mail
    /// (in their language, else `locale`).
    /// Refused (`Forbidden`) while an account requires it of the actor.
    #[tracing::instrument(skip_all, fields(user = %actor.id()))]
    pub async fn disable_totp(
        &self,
        actor: &Actor,
        password: &Password,
        locale: Locale,
        client: &str,
    ) -> Result<(), TwoStepError> {
        if self.two_step_required(actor.user()).await? {
            return Err(DomainError::Forbidden.into());
        }
        self.check_password_again(actor, password, client).await?;
        let event = self.user_event(actor.user(), "user.two_step_disabled", Some(client));
        let notice = self.security_notice(SecurityNotice::TwoStepOff, actor.user(), locale)?;
        self.store.disable_totp(actor.id(), &notice, event).await?;
        self.messaging().outbox_waker.notify_one();
        Ok(())
    }

    /// Ten new recovery codes (the old ones stop working), after checking the
    /// password again. For a user with a second factor (TOTP or a passkey: a
    /// passkey-only user needs them most, a lost phone taking the passkey with it);
    /// `NotFound` for anyone else.
    pub async fn new_recovery_codes(
        &self,
        actor: &Actor,
        password: &Password,
        client: &str,
    ) -> Result<Vec<String>, TwoStepError> {
        if !self.two_step_enabled(actor.id()).await? {
            return Err(DomainError::NotFound.into());
        }
        self.check_password_again(actor, password, client).await?;
        let codes = new_recovery_codes()?;
        let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(c)).collect();
        let event = self.user_event(actor.user(), "user.recovery_codes_replaced", Some(client));
        self.store.replace_recovery_codes(actor.id(), &hashes, event).await?;
        Ok(codes)
    }

    /// The actor's password, typed again; throttled like a login.
    async fn check_password_again(&self, actor: &Actor, password: &Password, client: &str) -> Result<(), TwoStepError> {
        let now = self.clock.now();
        let user = actor.user();
        let throttle = RetypeThrottle::new(user, client);
        let wait = throttle.wait(self.store.as_ref(), now).await?;
        if wait > 0 {
            return Err(TwoStepError::Throttled(wait));
        }
        let stored = self
            .store
            .credentials_by_email(&user.email)
            .await?
            .and_then(|c| c.password_hash)
            .unwrap_or_default();
        if !verify_off_executor(password.clone(), stored).await? {
            throttle.failed(self.store.as_ref(), now).await?;
            return Err(TwoStepError::WrongPassword);
        }
        throttle.succeeded(self.store.as_ref()).await?;
        Ok(())
    }

    /// An audit event about the user's own security settings.
    pub(crate) fn user_event(&self, user: &crate::model::User, action: &str, client: Option<&str>) -> AuditEvent {
        let actor = Actor::acting(user.clone());
        self.event(Some(&actor), None, action, user.email.as_str(), client)
    }
}
