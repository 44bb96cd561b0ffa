//! A signed-in user's own settings (the `/me` page): their names, language and
//! time zone. Only the actor's own row is ever touched: the service takes no user
//! id, so there is nothing to point at someone else.

use super::Services;
use crate::error::{DomainError, ValidationError};
use crate::model::{OwnProfile, User};
use crate::policy::Actor;
use crate::types::{Locale, PersonName, TimeZoneName};

/// What the `/me` form sends, as typed.
#[derive(Debug, Clone, Default)]
pub struct OwnProfileRequest {
    pub first_name: String,
    pub last_name: String,
    /// A language tag (`de`), or empty: follow the browser.
    pub locale: String,
    /// An IANA name (`Europe/Berlin`), or empty: UTC.
    pub time_zone: String,
}

impl OwnProfileRequest {
    /// The request as a profile to save; fields are checked in the order the form
    /// shows them, and the first problem names its field.
    pub fn parse(&self) -> Result<OwnProfile, DomainError> {
        let first_name = PersonName::parse(&self.first_name).map_err(|e| DomainError::invalid("first_name", e))?;
        let last_name = PersonName::parse(&self.last_name).map_err(|e| DomainError::invalid("last_name", e))?;
        let locale = match self.locale.trim() {
            "" => None,
            tag => Some(Locale::from_tag(tag).ok_or(DomainError::invalid("locale", ValidationError::UnknownLocale))?),
        };
        let time_zone = match self.time_zone.trim() {
            "" => None,
            name => Some(TimeZoneName::parse(name).map_err(|e| DomainError::invalid("time_zone", e))?),
        };
        Ok(OwnProfile {
            first_name: first_name.as_str().to_owned(),
            last_name: last_name.as_str().to_owned(),
            locale,
            time_zone,
        })
    }
}

impl Services {
    /// Saves the actor's own names, language and time zone (audited as
    /// `user.profile_changed`) and returns the user as now stored.
    #[tracing::instrument(skip_all, fields(user = %actor.id()))]
    pub async fn save_own_profile(
        &self,
        actor: &Actor,
        profile: &OwnProfile,
        client: &str,
    ) -> Result<User, DomainError> {
        let user = &actor.user;
        let event = self.event(
            Some(actor),
            None,
            "user.profile_changed",
            user.email.as_str(),
            Some(client),
        );
        self.store.set_own_profile(user.id, profile, event).await?;
        self.store.user_by_id(user.id).await
    }
}
