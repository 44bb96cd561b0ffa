//! The security-page port: a user's sessions and remembered devices.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::AuditEvent;
use crate::two_step::{DeviceSummary, SessionSummary};
use crate::types::{Timestamp, UserId};

/// What the security page lists and ends.
#[async_trait]
pub trait SecurityStore: Send + Sync {
    /// Notes the client address a session was opened from.
    async fn note_session_client(&self, id_hash: &str, client: &str) -> StoreResult<()>;
    /// The user's live sessions, newest first.
    async fn user_sessions(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<SessionSummary>>;
    /// The user's remembered devices still valid at `now`, newest first.
    async fn user_devices(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<DeviceSummary>>;
    /// Ends every session of the user but `keep` and forgets all their remembered
    /// devices, with `audit`, in one transaction. Returns the rows removed.
    async fn end_other_sessions(&self, user: UserId, keep: &str, audit: AuditEvent) -> StoreResult<u64>;
}
