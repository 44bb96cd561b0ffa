//! Passkeys: adding one on the security page, removing it, and using it at the
//! login's second step.
//!
//! Each ceremony is two requests. The first stores the WebAuthn state (the
//! challenge) as a [`Ceremony`] under the hash of a random token and hands the
//! browser the options and the token; the second takes the ceremony (once, before
//! it expires, only for the user who began it) and checks the browser's answer.
//! A stale or replayed answer finds no ceremony. Wrong answers at login count on
//! the login's own throttle, like wrong codes; a passkey counts as a second
//! factor, so a user with one owes the second step at every login.

use sealpost_crypto::token;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Uuid,
    Webauthn,
};

use super::Services;
use super::auth::RetypeThrottle;
use super::two_step::TwoStepError;
use super::two_step::login::SecondStepDone;
use crate::error::DomainError;
use crate::messages::SecurityNotice;
use crate::model::User;
use crate::passkeys::{
    CEREMONY_SECONDS, Ceremony, CeremonyKind, MAX_PER_USER, PasskeyRecord, PasskeysUnavailable, clean_name,
    relying_party,
};
use crate::policy::Actor;
use crate::two_step::ChallengePurpose;
use crate::types::{Locale, UserId};

/// Why a passkey ceremony was refused.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The public URL is an IP address: browsers offer no passkeys for it.
    #[error(transparent)]
    Unavailable(#[from] PasskeysUnavailable),
    /// The name is empty or too long.
    #[error("the passkey's name is empty or too long")]
    BadName,
    /// The user has [`MAX_PER_USER`] passkeys already.
    #[error("too many passkeys")]
    TooMany,
    /// The browser's answer does not verify (wrong key, another site's, garbage).
    #[error("the passkey was refused")]
    Refused,
    /// The ceremony is gone: expired, answered already, or another user's.
    #[error("the passkey ceremony expired")]
    CeremonyExpired,
    /// Too many failures; try again after this many seconds.
    #[error("throttled for {0} s")]
    Throttled(i64),
    /// The login waiting for its second step is gone: log in again.
    #[error("the login expired")]
    LoginExpired,
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<TwoStepError> for PasskeyError {
    fn from(error: TwoStepError) -> Self {
        match error {
            TwoStepError::Domain(e) => Self::Domain(e),
            TwoStepError::Throttled(seconds) => Self::Throttled(seconds),
            TwoStepError::Expired => Self::LoginExpired,
            TwoStepError::WrongCode | TwoStepError::WrongPassword => Self::Refused,
        }
    }
}

/// The ways the login's second step offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondStepOffer {
    /// "Use a passkey": the user has one.
    pub passkey: bool,
    /// The code form: the user has TOTP on or recovery codes left.
    pub code: bool,
    /// Whether the code may come from an authenticator app (TOTP is on); without
    /// it the code form asks for a recovery code.
    pub app: bool,
}

/// A ceremony's first half, for the page that runs the browser's part.
#[derive(Debug)]
pub struct CeremonyStart {
    /// The raw token the form posts back (stored hashed).
    pub token: String,
    /// The options for `navigator.credentials.create/get`, as JSON.
    pub options: String,
}

/// The user handle a passkey carries: the user id, so it is stable and unique.
fn user_handle(user: UserId) -> Uuid {
    Uuid::from_u64_pair(0, u64::try_from(user.0).unwrap_or(0))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, DomainError> {
    serde_json::to_string(value).map_err(DomainError::internal)
}

impl Services {
    /// The relying party of the configured public URL.
    pub fn relying_party(&self) -> Result<Webauthn, PasskeysUnavailable> {
        relying_party(self.messaging.config.links.base())
    }

    /// Whether the configured public URL can carry passkeys (the pages say why not).
    pub fn passkeys_available(&self) -> Result<(), PasskeysUnavailable> {
        self.relying_party().map(|_| ())
    }

    /// The actor's passkeys, oldest first.
    pub async fn passkeys_of(&self, actor: &Actor) -> Result<Vec<PasskeyRecord>, DomainError> {
        self.store.passkeys(actor.id()).await
    }

    /// What the second step of the waiting login behind `raw` can offer: a passkey
    /// when the user has one, the code form when they have TOTP or recovery codes.
    pub async fn second_step_offer(&self, raw: &str) -> Result<SecondStepOffer, DomainError> {
        match self.pending_login(raw).await? {
            Some((challenge, user)) if challenge.purpose == ChallengePurpose::Verify => {
                let app = self.store.two_step_enabled(user.id).await?;
                Ok(SecondStepOffer {
                    passkey: self.store.has_passkey(user.id).await?,
                    code: app || self.store.recovery_codes_left(user.id).await? > 0,
                    app,
                })
            }
            _ => Ok(SecondStepOffer {
                passkey: false,
                code: true,
                app: true,
            }),
        }
    }

    async fn store_ceremony<T: serde::Serialize>(
        &self,
        user: UserId,
        kind: CeremonyKind,
        state: &T,
        options: String,
    ) -> Result<CeremonyStart, DomainError> {
        let raw = token::random_token(32).map_err(DomainError::internal)?;
        self.store
            .insert_ceremony(&Ceremony {
                id_hash: token::hash_token(&raw),
                user_id: user,
                kind,
                state: json(state)?,
                expires_at: self.clock.now().plus_seconds(CEREMONY_SECONDS),
            })
            .await?;
        Ok(CeremonyStart { token: raw, options })
    }

    /// Takes the ceremony behind `raw` if it is `user`'s and of `kind`.
    async fn take_ceremony(&self, raw: &str, user: UserId, kind: CeremonyKind) -> Result<String, PasskeyError> {
        let ceremony = self
            .store
            .take_ceremony(&token::hash_token(raw), self.clock.now())
            .await?
            .ok_or(PasskeyError::CeremonyExpired)?;
        if ceremony.user_id != user || ceremony.kind != kind {
            return Err(PasskeyError::CeremonyExpired);
        }
        Ok(ceremony.state)
    }

    fn stored_passkeys(records: &[PasskeyRecord]) -> Vec<(i64, Passkey)> {
        records
            .iter()
            .filter_map(|r| serde_json::from_str::<Passkey>(&r.credential).ok().map(|p| (r.id, p)))
            .collect()
    }

    /// Begins adding a passkey named `name` for the actor: the options for the
    /// browser (its existing keys excluded, so one authenticator is not added twice).
    pub async fn begin_passkey_registration(&self, actor: &Actor, name: &str) -> Result<CeremonyStart, PasskeyError> {
        let rp = self.relying_party()?;
        clean_name(name).ok_or(PasskeyError::BadName)?;
        let user = actor.user();
        let records = self.store.passkeys(user.id).await?;
        if records.len() >= MAX_PER_USER {
            return Err(PasskeyError::TooMany);
        }
        let existing = Self::stored_passkeys(&records);
        let exclude = (!existing.is_empty()).then(|| existing.iter().map(|(_, p)| p.cred_id().clone()).collect());
        let display = format!("{} {}", user.first_name, user.last_name);
        let display = if display.trim().is_empty() {
            user.email.as_str().to_owned()
        } else {
            display.trim().to_owned()
        };
        let (options, state) = rp
            .start_passkey_registration(user_handle(user.id), user.email.as_str(), &display, exclude)
            .map_err(|e| DomainError::Internal(format!("passkey registration: {e}").into()))?;
        Ok(self
            .store_ceremony(user.id, CeremonyKind::Register, &state, json(&options)?)
            .await?)
    }

    /// Finishes adding a passkey: `credential` is the browser's answer (JSON). The
    /// user is told by mail (in their language, else `locale`).
    #[tracing::instrument(skip_all, fields(user = %actor.id()))]
    pub async fn finish_passkey_registration(
        &self,
        actor: &Actor,
        ceremony: &str,
        name: &str,
        credential: &str,
        locale: Locale,
        client: &str,
    ) -> Result<String, PasskeyError> {
        let rp = self.relying_party()?;
        let name = clean_name(name).ok_or(PasskeyError::BadName)?;
        let state = self.take_ceremony(ceremony, actor.id(), CeremonyKind::Register).await?;
        let state: PasskeyRegistration = serde_json::from_str(&state).map_err(DomainError::internal)?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| PasskeyError::Refused)?;
        let passkey = rp.finish_passkey_registration(&answer, &state).map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            PasskeyError::Refused
        })?;
        let event = self.user_event(actor.user(), "user.passkey_added", Some(client));
        let notice = self.security_notice(SecurityNotice::PasskeyAdded(&name), actor.user(), locale)?;
        self.store
            .add_passkey(actor.id(), &name, &json(&passkey)?, self.clock.now(), &notice, event)
            .await?;
        self.messaging().outbox_waker.notify_one();
        tracing::info!(user = %actor.id(), "passkey added");
        Ok(name)
    }

    /// The name of the actor's own passkey `id`; `NotFound` for anyone else's.
    async fn own_passkey_name(&self, actor: &Actor, id: i64) -> Result<String, DomainError> {
        Ok(self
            .store
            .passkeys(actor.id())
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(DomainError::NotFound)?
            .name)
    }

    /// Renames one of the actor's own passkeys (audited, with both names);
    /// `NotFound` for anyone else's, `BadName` as when adding one. Returns the
    /// new name.
    pub async fn rename_passkey(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        client: &str,
    ) -> Result<String, PasskeyError> {
        // Another user's id is not found whatever the name, so a refused name always
        // stands in a row of the actor's own.
        let old = self.own_passkey_name(actor, id).await?;
        let name = clean_name(name).ok_or(PasskeyError::BadName)?;
        let mut event = self.user_event(actor.user(), "user.passkey_renamed", Some(client));
        event.target = format!("{} ({old} → {name})", actor.user().email.as_str());
        self.store.rename_passkey(actor.id(), id, &name, event).await?;
        Ok(name)
    }

    /// Removes one of the actor's own passkeys (audited); `NotFound` for anyone
    /// else's. Returns its name.
    pub async fn remove_passkey(&self, actor: &Actor, id: i64, client: &str) -> Result<String, DomainError> {
        let name = self.own_passkey_name(actor, id).await?;
        let mut event = self.user_event(actor.user(), "user.passkey_removed", Some(client));
        event.target = format!("{} ({name})", actor.user().email.as_str());
        self.store.remove_passkey(actor.id(), id, event).await?;
        Ok(name)
    }

    /// Begins the second step with a passkey for the login behind `raw`.
    pub async fn begin_passkey_login(&self, raw: &str) -> Result<CeremonyStart, PasskeyError> {
        let rp = self.relying_party()?;
        let (challenge, user) = self.pending_login(raw).await?.ok_or(PasskeyError::LoginExpired)?;
        if challenge.purpose != ChallengePurpose::Verify {
            return Err(PasskeyError::LoginExpired);
        }
        let keys: Vec<Passkey> = Self::stored_passkeys(&self.store.passkeys(user.id).await?)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        if keys.is_empty() {
            return Err(PasskeyError::Refused);
        }
        let (options, state) = rp
            .start_passkey_authentication(&keys)
            .map_err(|e| DomainError::Internal(format!("passkey authentication: {e}").into()))?;
        Ok(self
            .store_ceremony(user.id, CeremonyKind::Login, &state, json(&options)?)
            .await?)
    }

    /// The second step with a passkey: opens the session when the browser's
    /// answer verifies against one of the user's passkeys. Throttled and audited
    /// like a wrong code.
    #[tracing::instrument(skip_all, fields(client = client))]
    pub async fn complete_login_with_passkey(
        &self,
        raw: &str,
        ceremony: &str,
        credential: &str,
        client: &str,
    ) -> Result<SecondStepDone, PasskeyError> {
        let rp = self.relying_party()?;
        let now = self.clock.now();
        let (challenge, user) = self.pending_login(raw).await?.ok_or(PasskeyError::LoginExpired)?;
        if challenge.purpose != ChallengePurpose::Verify {
            return Err(PasskeyError::LoginExpired);
        }
        let throttle = RetypeThrottle::new(&user, client);
        let wait = throttle.wait(self.store.as_ref(), now).await?;
        if wait > 0 {
            return Err(PasskeyError::Throttled(wait));
        }
        match self.check_assertion(&rp, &user, ceremony, credential).await {
            Ok(()) => {}
            Err(PasskeyError::Refused | PasskeyError::CeremonyExpired) => {
                throttle.failed(self.store.as_ref(), now).await?;
                let mut event = self.user_event(&user, "session.second_step", Some(client));
                event.outcome = "refused".to_owned();
                self.store.record_audit(event).await?;
                return Err(PasskeyError::Refused);
            }
            Err(other) => return Err(other),
        }
        throttle.succeeded(self.store.as_ref()).await?;
        Ok(self.finish_second_step(&challenge, &user, Vec::new(), client).await?)
    }

    /// Takes the login ceremony and verifies the browser's answer against the
    /// user's passkeys; the used key's counter is stored.
    async fn check_assertion(
        &self,
        rp: &Webauthn,
        user: &User,
        ceremony: &str,
        credential: &str,
    ) -> Result<(), PasskeyError> {
        let state = self.take_ceremony(ceremony, user.id, CeremonyKind::Login).await?;
        let state: PasskeyAuthentication = serde_json::from_str(&state).map_err(DomainError::internal)?;
        let answer: PublicKeyCredential = serde_json::from_str(credential).map_err(|_| PasskeyError::Refused)?;
        let result = rp.finish_passkey_authentication(&answer, &state).map_err(|e| {
            tracing::info!(error = %e, "passkey assertion refused");
            PasskeyError::Refused
        })?;
        let records = self.store.passkeys(user.id).await?;
        for (id, mut passkey) in Self::stored_passkeys(&records) {
            if passkey.update_credential(&result).is_some() {
                self.store
                    .passkey_used(user.id, id, &json(&passkey)?, self.clock.now())
                    .await?;
                return Ok(());
            }
        }
        Err(PasskeyError::Refused)
    }
}
