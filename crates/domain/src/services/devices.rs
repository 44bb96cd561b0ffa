//! Remembered devices: the Medium security level's "Remember me on this device".
//!
//! A recipient who ticks the box when logging in on the way to a message of a
//! Medium profile gets a device cookie: 32 random bytes, stored only as their
//! SHA-256, bound to the user, for the profile's days. On that device a later
//! message of a Medium profile opens without the password (nor a session) while
//! the device is younger than *that* message's profile allows; High messages
//! always ask for the password, and changing the password or locking the user
//! ends every remembered device with the sessions. Logging out on the device
//! forgets it (someone logging out of a shared computer means to leave nothing
//! behind), and housekeeping deletes devices past their days. An account may
//! switch remembering off (Features, "Remember devices"): then no device is
//! remembered for its messages, whatever a form says, and devices remembered
//! before open none of them until it is on again.

use sealpost_crypto::token;

use super::Services;
use super::auth::OpenedSession;
use super::messages::{OpenFailure, OpenedMessage};
use crate::error::DomainError;
use crate::messages::{Message, PublicId};
use crate::model::{SessionKind, UserStatus};
use crate::policy::Actor;
use crate::profiles::{DEFAULT_REMEMBER_DAYS, SecurityLevel};
use crate::settings::Feature;

/// Seconds in a day.
const DAY: i64 = 24 * 60 * 60;

/// A device just remembered: the cookie value (shown to the browser only) and
/// how long it lasts.
#[derive(Debug, Clone)]
pub struct RememberedDevice {
    pub token: String,
    pub max_age_seconds: i64,
}

impl Services {
    /// How many days a device is remembered for `message`: its profile's, when it
    /// is Medium and its account has remembered devices on (the Features tab);
    /// `None` for High and No Password Required, or while the switch is off.
    async fn remember_days(&self, message: &Message) -> Result<Option<u32>, DomainError> {
        if message.security != SecurityLevel::Medium {
            return Ok(None);
        }
        if !self
            .settings_of(message.account_id)
            .await?
            .allows(Feature::RememberDevices)
        {
            return Ok(None);
        }
        let days = match message.profile_id {
            Some(id) => match self.store.envelope_profile(message.account_id, id).await {
                Ok(profile) => profile.remember_days,
                // A deleted profile: what a new profile starts with.
                Err(DomainError::NotFound) => DEFAULT_REMEMBER_DAYS,
                Err(error) => return Err(error),
            },
            None => DEFAULT_REMEMBER_DAYS,
        };
        Ok(Some(days))
    }

    /// Whether the account of the message `next` has switched remembered devices
    /// off, so the login on the way to it does not offer "Remember me on this
    /// device" (an unknown message: `false`, the login page looks as for any).
    pub async fn remembering_switched_off(&self, next: &PublicId) -> Result<bool, DomainError> {
        match self.store.message(next).await {
            Ok(message) => Ok(!self
                .settings_of(message.account_id)
                .await?
                .allows(Feature::RememberDevices)),
            Err(DomainError::NotFound) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Remembers the device of a login (a full session) that ticked "Remember me on this device" on the way to the message `next` (audited `device.remembered`).
    /// `None` when that message's profile is not Medium or is unknown: nothing is
    /// remembered.
    pub async fn remember_device(
        &self,
        login: &OpenedSession,
        next: &PublicId,
        client: &str,
    ) -> Result<Option<RememberedDevice>, DomainError> {
        if login.session.kind != SessionKind::Full {
            return Ok(None);
        }
        let actor = Actor::acting(login.user.clone());
        let message = match self.store.message(next).await {
            Ok(message) => message,
            Err(DomainError::NotFound) => return Ok(None),
            Err(error) => return Err(error),
        };
        let Some(days) = self.remember_days(&message).await? else {
            return Ok(None);
        };
        let raw = token::random_token(32).map_err(DomainError::internal)?;
        let now = self.clock.now();
        let seconds = i64::from(days) * DAY;
        let event = self.event(
            Some(&actor),
            Some(message.account_id),
            "device.remembered",
            &days.to_string(),
            Some(client),
        );
        self.store
            .insert_device(
                &token::hash_token(&raw),
                actor.id(),
                now,
                now.plus_seconds(seconds),
                event,
            )
            .await?;
        Ok(Some(RememberedDevice {
            token: raw,
            max_age_seconds: seconds,
        }))
    }

    /// Opens a Medium profile's message on a remembered device, without a session
    /// or the password, when the device (cookie value `raw`) is still remembered
    /// for that message's profile's days. `Ok(None)`: the device does not open
    /// this message (unknown, expired, too old for this profile, not Medium): the
    /// visitor logs in as anyone else. The view is recorded as any other.
    pub async fn open_on_remembered_device(
        &self,
        raw: &str,
        public_id: &PublicId,
        client: &str,
    ) -> Result<Option<OpenedMessage>, OpenFailure> {
        let now = self.clock.now();
        let Some((user, remembered_at)) = self.store.device_user(&token::hash_token(raw), now).await? else {
            return Ok(None);
        };
        if user.status != UserStatus::Active || user.must_change_password {
            return Ok(None);
        }
        let message = match self.store.message(public_id).await {
            Ok(message) => message,
            Err(DomainError::NotFound) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let Some(days) = self.remember_days(&message).await? else {
            return Ok(None);
        };
        if now.seconds_since(remembered_at) > i64::from(days) * DAY {
            return Ok(None);
        }
        let actor = Actor::acting(user);
        self.open_message(&actor, public_id, None, Some(client)).await.map(Some)
    }

    /// Forgets the remembered device whose cookie value is `raw`, when its
    /// visitor logs out (audited `device.forgotten` when there was one). Knowing
    /// the cookie value is the authority: only that device holds it.
    pub async fn forget_device(&self, raw: &str, actor: Option<&Actor>, client: &str) -> Result<bool, DomainError> {
        let event = self.event(actor, None, "device.forgotten", "", Some(client));
        self.store.forget_device(&token::hash_token(raw), event).await
    }
}
