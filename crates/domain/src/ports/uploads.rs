//! The uploads port: blobs written for a message not stored yet.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::PublicId;
use crate::types::Timestamp;

/// Uploads in progress, so blobs of drafts that never became a message can be
/// found and deleted.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// Notes that a message being composed is about to write blobs (before the
    /// first one; noting it twice is harmless).
    async fn begin_upload(&self, public_id: &PublicId, at: Timestamp) -> StoreResult<()>;
    /// Forgets an upload whose draft was discarded (its blobs deleted).
    async fn end_upload(&self, public_id: &PublicId) -> StoreResult<()>;
    /// Uploads begun before `before` that never became a message nor were
    /// discarded: their blobs belong to nobody.
    async fn stale_uploads(&self, before: Timestamp) -> StoreResult<Vec<PublicId>>;
}
