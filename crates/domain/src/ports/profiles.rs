//! The envelope-profile port: an account's stored profiles.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::AuditEvent;
use crate::profiles::{EnvelopeProfile, ProfileId};
use crate::types::AccountId;

/// Envelope profiles (see [`crate::profiles`]): a row each, at most one default per account.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The account's stored profiles, the default first, then by name.
    async fn envelope_profiles(&self, account: AccountId) -> StoreResult<Vec<EnvelopeProfile>>;
    /// One of the account's profiles; `NotFound` for another account's or none.
    async fn envelope_profile(&self, account: AccountId, id: ProfileId) -> StoreResult<EnvelopeProfile>;
    /// Stores a new profile (its `id` ignored) with its audit event; when it is the
    /// default, the account's former default stops being one, in the same
    /// transaction. `Conflict { field: "name" }` when the account has the name already.
    async fn insert_envelope_profile(
        &self,
        profile: &EnvelopeProfile,
        audit: AuditEvent,
    ) -> StoreResult<EnvelopeProfile>;
    /// Writes an existing profile's fields (not its default flag) with its audit
    /// event. `NotFound` for another account's; `Conflict { field: "name" }`.
    async fn update_envelope_profile(&self, profile: &EnvelopeProfile, audit: AuditEvent) -> StoreResult<()>;
    /// Deletes one of the account's profiles that is not its default. `NotFound`
    /// otherwise, and nothing deleted.
    async fn delete_envelope_profile(&self, account: AccountId, id: ProfileId, audit: AuditEvent) -> StoreResult<()>;
    /// Makes one of the account's profiles its default (and the former one a named
    /// profile), in one transaction. `NotFound` for another account's.
    async fn make_default_envelope_profile(
        &self,
        account: AccountId,
        id: ProfileId,
        audit: AuditEvent,
    ) -> StoreResult<()>;
}
