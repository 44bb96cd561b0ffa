//! The remembered-device port: devices a recipient asked to be remembered on.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{AuditEvent, User};
use crate::types::{Timestamp, UserId};

/// Remembered devices ("Remember me on this device"), stored as the hash of the
/// cookie value; they end with the user's sessions, a logout on the device, and
/// their days (housekeeping deletes them then, with stale sessions).
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a remembered device of `user` until `expires_at`, with its audit event.
    async fn insert_device(
        &self,
        id_hash: &str,
        user: UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// The user of a device still remembered at `now`, with when it was
    /// remembered; notes the use.
    async fn device_user(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<(User, Timestamp)>>;
    /// Forgets the device `id_hash` (its user logged out on it), recording
    /// `audit` when there was one; whether there was.
    async fn forget_device(&self, id_hash: &str, audit: AuditEvent) -> StoreResult<bool>;
}
