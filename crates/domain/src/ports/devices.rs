//! The remembered-device port: devices a recipient asked to be remembered on.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{AuditEvent, User};
use crate::types::{Timestamp, UserId};

/// Remembered devices ("Remember me on this device"), stored as the hash of the
/// cookie value; they end with the user's sessions.
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
}
