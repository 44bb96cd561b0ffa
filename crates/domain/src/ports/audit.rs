//! The audit port: the record of who changed what.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::AuditEvent;
use crate::types::AccountId;

/// Audit events that are not written together with another change.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event that is not part of another change (logins, refusals).
    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()>;
    /// The newest events of an account (or of the whole service), newest first.
    async fn list_audit(&self, account: Option<AccountId>, limit: u32) -> StoreResult<Vec<AuditEvent>>;
}
