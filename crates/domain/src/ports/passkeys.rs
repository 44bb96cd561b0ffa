//! The passkeys port: registered passkeys and the ceremonies between their two
//! requests.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::NewOutboxItem;
use crate::model::AuditEvent;
use crate::passkeys::{Ceremony, PasskeyRecord};
use crate::types::{Timestamp, UserId};

/// A user's passkeys and the ceremonies that add or use them.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// The user's passkeys, oldest first.
    async fn passkeys(&self, user: UserId) -> StoreResult<Vec<PasskeyRecord>>;
    /// Whether the user has at least one passkey.
    async fn has_passkey(&self, user: UserId) -> StoreResult<bool>;
    /// Stores a new passkey, with `audit` and `notice` (the mail that tells the
    /// user), in one transaction; returns its id.
    async fn add_passkey(
        &self,
        user: UserId,
        name: &str,
        credential: &str,
        at: Timestamp,
        notice: &NewOutboxItem,
        audit: AuditEvent,
    ) -> StoreResult<i64>;
    /// Removes the user's passkey `id`, with `audit`; `NotFound` when the user has
    /// no passkey of that id (another user's key is not theirs to remove). The
    /// recovery codes go too when it was the last second factor (no other
    /// passkey, TOTP off).
    async fn remove_passkey(&self, user: UserId, id: i64, audit: AuditEvent) -> StoreResult<()>;
    /// Renames the user's passkey `id`, with `audit`; `NotFound` when the user has
    /// no passkey of that id.
    async fn rename_passkey(&self, user: UserId, id: i64, name: &str, audit: AuditEvent) -> StoreResult<()>;
    /// Stores a used passkey's updated credential (its counter) and when it was used.
    async fn passkey_used(&self, user: UserId, id: i64, credential: &str, at: Timestamp) -> StoreResult<()>;
    /// Stores a ceremony between its two requests; the user's oldest of that kind
    /// beyond a few (five) go, so ceremonies started over and over stay bounded.
    async fn insert_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()>;
    /// Removes the ceremony with this id hash and returns it, unless it expired at
    /// `now`: only one call gets it (a ceremony is answered once).
    async fn take_ceremony(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Ceremony>>;
}
