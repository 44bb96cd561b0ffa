//! The login's second step.
//!
//! A right password for a user with TOTP on (or required to have it) opens no
//! session: it stores a [`Challenge`] (random token, stored hashed, 10 minutes)
//! whose cookie leads only to the second step's pages. The right code — or an
//! unused recovery code, or for enrolment the first code of a new secret — takes
//! the challenge (once) and opens the session the password would have opened,
//! provided the password is still the one checked. Wrong codes count on the
//! login's own throttle: the (address, client) counter and the user's from any
//! client. A TOTP code is accepted once: its time step is stored and no code of
//! that step or an earlier one is taken again. A passkey may answer instead
//! (`services::passkeys`); it ends the same way ([`Services::finish_second_step`]).

use sealpost_crypto::token;

use super::{Enrolment, TwoStepError};
use crate::error::DomainError;
use crate::messages::SecurityNotice;
use crate::model::{SessionKind, User, UserStatus};
use crate::services::Services;
use crate::services::auth::{OpenedSession, RetypeThrottle};
use crate::two_step::{CHALLENGE_SECONDS, Challenge, ChallengePurpose, recovery_code_hash};
use crate::types::Locale;

/// A login that still owes its second step: the raw token goes into the cookie.
#[derive(Debug)]
pub struct PendingLogin {
    pub token: String,
    pub purpose: ChallengePurpose,
}

/// A session opened by the second step, and for an enrolment the recovery codes
/// to show once.
#[derive(Debug)]
pub struct SecondStepDone {
    pub opened: OpenedSession,
    pub recovery_codes: Vec<String>,
    /// Whether the user may use the administration portal (where "home" is).
    pub administrator: bool,
}

impl Services {
    /// Stores a login waiting for `purpose` after the password `password_hash` was
    /// checked.
    pub(crate) async fn open_challenge(
        &self,
        user: &User,
        purpose: ChallengePurpose,
        password_hash: &str,
    ) -> Result<PendingLogin, DomainError> {
        let raw = token::random_token(32).map_err(DomainError::internal)?;
        let challenge = Challenge {
            id_hash: token::hash_token(&raw),
            user_id: user.id,
            purpose,
            password_hash: password_hash.to_owned(),
            expires_at: self.clock.now().plus_seconds(CHALLENGE_SECONDS),
        };
        self.store.insert_challenge(&challenge).await?;
        Ok(PendingLogin { token: raw, purpose })
    }

    /// The waiting login behind a cookie value and its user; `None` when expired,
    /// used, or the user can no longer log in.
    pub async fn pending_login(&self, raw: &str) -> Result<Option<(Challenge, User)>, DomainError> {
        let Some(challenge) = self.store.challenge(&token::hash_token(raw), self.clock.now()).await? else {
            return Ok(None);
        };
        let user = self.store.user_by_id(challenge.user_id).await?;
        if user.status != UserStatus::Active {
            return Ok(None);
        }
        Ok(Some((challenge, user)))
    }

    /// The secret a login that must set up two-step verification shows: the one
    /// waiting, or a fresh one.
    pub async fn login_enrolment(&self, raw: &str) -> Result<Enrolment, TwoStepError> {
        let (challenge, user) = self.pending_login(raw).await?.ok_or(TwoStepError::Expired)?;
        if challenge.purpose != ChallengePurpose::Enrol {
            return Err(TwoStepError::Expired);
        }
        match self.enrolment_of(&user).await {
            Ok(enrolment) => Ok(enrolment),
            Err(DomainError::NotFound) => {
                self.start_secret(user.id).await?;
                Ok(self.enrolment_of(&user).await?)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The second step: `code` is a TOTP code or a recovery code (for a login that
    /// must enrol, the first code of the secret it was shown). Opens the session.
    /// A recovery code used is reported to the user by mail (in their language,
    /// else `locale`).
    #[tracing::instrument(skip_all, fields(client = client))]
    pub async fn complete_login(
        &self,
        raw: &str,
        code: &str,
        locale: Locale,
        client: &str,
    ) -> Result<SecondStepDone, TwoStepError> {
        let now = self.clock.now();
        let (challenge, user) = self.pending_login(raw).await?.ok_or(TwoStepError::Expired)?;
        let recovery_codes = match challenge.purpose {
            ChallengePurpose::Enrol => self.enable_with_code(&user, code, client).await?,
            ChallengePurpose::Verify => {
                let throttle = RetypeThrottle::new(&user, client);
                let wait = throttle.wait(self.store.as_ref(), now).await?;
                if wait > 0 {
                    return Err(TwoStepError::Throttled(wait));
                }
                if !self.second_factor_right(&user, code, locale).await? {
                    throttle.failed(self.store.as_ref(), now).await?;
                    let mut event = self.user_event(&user, "session.second_step", Some(client));
                    event.outcome = "refused".to_owned();
                    self.store.record_audit(event).await?;
                    return Err(TwoStepError::WrongCode);
                }
                throttle.succeeded(self.store.as_ref()).await?;
                Vec::new()
            }
        };
        self.finish_second_step(&challenge, &user, recovery_codes, client).await
    }

    /// The second factor was right: takes the challenge (once) and opens the
    /// session the password would have opened, if the password is still the one
    /// checked.
    pub(crate) async fn finish_second_step(
        &self,
        challenge: &Challenge,
        user: &User,
        recovery_codes: Vec<String>,
        client: &str,
    ) -> Result<SecondStepDone, TwoStepError> {
        let now = self.clock.now();
        if !self.store.take_challenge(&challenge.id_hash).await? {
            return Err(TwoStepError::Expired);
        }
        let kind = if user.must_change_password {
            SessionKind::PasswordChangeOnly
        } else {
            SessionKind::Full
        };
        let opened = self.new_session(user.clone(), kind)?;
        match self
            .store
            .insert_login_session(&opened.session, &challenge.password_hash)
            .await
        {
            Ok(()) => {}
            Err(DomainError::NotFound) => return Err(TwoStepError::Expired),
            Err(e) => return Err(e.into()),
        }
        self.store.note_session_client(&opened.session.id_hash, client).await?;
        self.store.record_login_from(user.id, now, client).await?;
        self.store
            .record_audit(self.user_event(user, "session.second_step", Some(client)))
            .await?;
        let administrator = user.operator || !self.store.administered_accounts(user.id).await?.is_empty();
        Ok(SecondStepDone {
            opened,
            recovery_codes,
            administrator,
        })
    }

    /// Whether `code` is the user's current TOTP code (not used before) or one of
    /// their unused recovery codes; either is used up by a right answer.
    async fn second_factor_right(&self, user: &User, code: &str, locale: Locale) -> Result<bool, DomainError> {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            let Some(record) = self.store.totp(user.id).await? else {
                return Ok(false);
            };
            if record.enabled_at.is_none() {
                return Ok(false);
            }
            let secret = self.totp_seal()?.open(user.id, &record.sealed)?;
            return match secret.check(&digits, self.clock.now())? {
                Some(step) => self.store.use_totp_step(user.id, step).await,
                None => Ok(false),
            };
        }
        let notice = self.security_notice(SecurityNotice::RecoveryCodeUsed, user, locale)?;
        let event = self.user_event(user, "user.recovery_code_used", None);
        let used = self
            .store
            .use_recovery_code(user.id, &recovery_code_hash(code), self.clock.now(), &notice, event)
            .await?;
        if used {
            self.messaging().outbox_waker.notify_one();
        }
        Ok(used)
    }
}
