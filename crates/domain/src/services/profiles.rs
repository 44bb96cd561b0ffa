//! Listing, creating, changing, deleting and choosing envelope profiles (see
//! [`crate::profiles`]). Administrators act through an account scope; senders and
//! the SMTP gateway read the profile a message gets.

use super::Services;
use crate::error::{DomainError, ValidationError};
use crate::model::Account;
use crate::policy::AccountScope;
use crate::profiles::{EnvelopeProfile, ProfileId, ProfileRequest};
use crate::settings::AccountSettings;

/// A profile named in a URL: a stored one, or the built-in default of an account
/// that has stored none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileRef {
    /// The account's default, stored or built in.
    Default,
    Stored(ProfileId),
}

impl ProfileRef {
    /// Reads `default` or a number.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == "default" {
            return Some(Self::Default);
        }
        raw.parse().ok().map(|id| Self::Stored(ProfileId(id)))
    }
}

/// A storage conflict on the name, as the form shows it.
fn name_taken(error: DomainError) -> DomainError {
    match error {
        DomainError::Conflict { field: "name" } => DomainError::invalid("name", ValidationError::ProfileNameTaken),
        DomainError::Conflict { field: "subject_tag" } => {
            DomainError::invalid("subject_tag", ValidationError::SubjectTagTaken)
        }
        other => other,
    }
}

impl Services {
    /// The account's profiles, the default first: its built-in default when it
    /// has stored none.
    pub(crate) async fn profiles_of(&self, account: &Account) -> Result<Vec<EnvelopeProfile>, DomainError> {
        self.profiles_with(account, None).await
    }

    /// [`Self::profiles_of`], with the account's settings when the caller has just
    /// read them (the built-in default takes its delivery mode from them).
    pub(crate) async fn profiles_with(
        &self,
        account: &Account,
        settings: Option<&AccountSettings>,
    ) -> Result<Vec<EnvelopeProfile>, DomainError> {
        let mut profiles = self.store.envelope_profiles(account.id).await?;
        if !profiles.iter().any(|p| p.is_default) {
            let settings = match settings {
                Some(settings) => settings.clone(),
                None => self.settings_of(account.id).await?,
            };
            profiles.insert(
                0,
                EnvelopeProfile::built_in(account.id, settings.delivery_mode, account.default_locale),
            );
        }
        Ok(profiles)
    }

    /// The profile a message from `account` gets: `chosen` (one of the account's
    /// stored profiles, else `UnknownProfile`), or the account's default.
    pub async fn sending_profile(
        &self,
        account: &Account,
        chosen: Option<ProfileId>,
    ) -> Result<EnvelopeProfile, DomainError> {
        self.sending_profile_with(account, None, chosen).await
    }

    pub(crate) async fn sending_profile_with(
        &self,
        account: &Account,
        settings: Option<&AccountSettings>,
        chosen: Option<ProfileId>,
    ) -> Result<EnvelopeProfile, DomainError> {
        let profiles = self.profiles_with(account, settings).await?;
        let found = match chosen {
            Some(id) => profiles.into_iter().find(|p| p.id == Some(id)),
            None => profiles.into_iter().find(|p| p.is_default),
        };
        found.ok_or(DomainError::invalid("profile", ValidationError::UnknownProfile))
    }

    /// The profile of `account` called `name` (any case), for the SMTP gateway's
    /// header or subject tag; `None` when the account has no profile of that name
    /// (the gateway then decides: refuse, or use [`Self::default_profile`]).
    pub async fn envelope_profile_named(
        &self,
        account: &Account,
        name: &str,
    ) -> Result<Option<EnvelopeProfile>, DomainError> {
        let name = name.trim();
        Ok(self
            .profiles_of(account)
            .await?
            .into_iter()
            .find(|p| p.name.to_lowercase() == name.to_lowercase()))
    }

    /// The profile messages of `account` get when nobody chooses one.
    pub async fn default_profile(&self, account: &Account) -> Result<EnvelopeProfile, DomainError> {
        self.sending_profile(account, None).await
    }

    /// The profiles of `account` as its senders see them (Compose).
    pub async fn sender_profiles(&self, account: &Account) -> Result<Vec<EnvelopeProfile>, DomainError> {
        self.profiles_of(account).await
    }

    /// The scope's account's profiles, the default first.
    pub async fn envelope_profiles(&self, scope: &AccountScope) -> Result<Vec<EnvelopeProfile>, DomainError> {
        self.profiles_of(&scope.account).await
    }

    /// One of the scope's account's profiles; `NotFound` for another account's.
    pub async fn envelope_profile(
        &self,
        scope: &AccountScope,
        which: ProfileRef,
    ) -> Result<EnvelopeProfile, DomainError> {
        let profiles = self.profiles_of(&scope.account).await?;
        profiles
            .into_iter()
            .find(|p| match which {
                ProfileRef::Default => p.is_default,
                ProfileRef::Stored(id) => p.id == Some(id),
            })
            .ok_or(DomainError::NotFound)
    }

    /// Creates a named profile for the scope's account (audited `profile.created`).
    pub async fn create_envelope_profile(
        &self,
        scope: &AccountScope,
        request: &ProfileRequest,
    ) -> Result<EnvelopeProfile, DomainError> {
        let account = &scope.account;
        let settings = self.settings_of(account.id).await?;
        let mut profile = EnvelopeProfile::built_in(account.id, settings.delivery_mode, account.default_locale);
        profile.is_default = false;
        request
            .apply_to(&mut profile)
            .map_err(|(field, error)| DomainError::invalid(field, error))?;
        self.ensure_subject_tag_free(account, &profile).await?;
        profile.updated_at = Some(self.clock.now());
        let event = self.scoped_event(scope, "profile.created", &profile.name);
        self.store
            .insert_envelope_profile(&profile, event)
            .await
            .map_err(name_taken)
    }

    /// Saves a profile's fields (audited `profile.changed`); saving the built-in
    /// default stores it as the account's default.
    pub async fn save_envelope_profile(
        &self,
        scope: &AccountScope,
        which: ProfileRef,
        request: &ProfileRequest,
    ) -> Result<EnvelopeProfile, DomainError> {
        let mut profile = self.envelope_profile(scope, which).await?;
        request
            .apply_to(&mut profile)
            .map_err(|(field, error)| DomainError::invalid(field, error))?;
        self.ensure_subject_tag_free(&scope.account, &profile).await?;
        profile.updated_at = Some(self.clock.now());
        let event = self.scoped_event(scope, "profile.changed", &profile.name);
        if profile.id.is_some() {
            self.store
                .update_envelope_profile(&profile, event)
                .await
                .map_err(name_taken)?;
            Ok(profile)
        } else {
            self.store
                .insert_envelope_profile(&profile, event)
                .await
                .map_err(name_taken)
        }
    }

    /// Refuses `profile`'s subject tag when another profile of the account has
    /// it, in any case (the gateway could not tell them apart).
    async fn ensure_subject_tag_free(&self, account: &Account, profile: &EnvelopeProfile) -> Result<(), DomainError> {
        let Some(tag) = profile.subject_tag.as_deref().map(str::to_lowercase) else {
            return Ok(());
        };
        let taken = self.profiles_of(account).await?.iter().any(|other| {
            other.id != profile.id && other.subject_tag.as_deref().is_some_and(|t| t.to_lowercase() == tag)
        });
        if taken {
            return Err(DomainError::invalid("subject_tag", ValidationError::SubjectTagTaken));
        }
        Ok(())
    }

    /// Deletes a named profile (audited `profile.deleted`); the default stays.
    pub async fn delete_envelope_profile(&self, scope: &AccountScope, which: ProfileRef) -> Result<(), DomainError> {
        let profile = self.envelope_profile(scope, which).await?;
        let Some(id) = profile.id.filter(|_| !profile.is_default) else {
            return Err(ValidationError::DefaultProfileKept.into());
        };
        let event = self.scoped_event(scope, "profile.deleted", &profile.name);
        self.store.delete_envelope_profile(scope.account.id, id, event).await
    }

    /// Makes a named profile the account's default (audited `profile.default_set`).
    pub async fn make_default_envelope_profile(
        &self,
        scope: &AccountScope,
        which: ProfileRef,
    ) -> Result<(), DomainError> {
        let profile = self.envelope_profile(scope, which).await?;
        let Some(id) = profile.id.filter(|_| !profile.is_default) else {
            return Ok(());
        };
        let event = self.scoped_event(scope, "profile.default_set", &profile.name);
        self.store
            .make_default_envelope_profile(scope.account.id, id, event)
            .await
    }
}
