//! The health port: whether the storage takes writes, and which node does the
//! work that one node at a time must do.

use async_trait::async_trait;

use super::StoreResult;
#[cfg(doc)]
use crate::error::DomainError;
use crate::types::Timestamp;

/// What `/healthz` asks the storage.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Writes one tiny row through the ordinary write path (transaction, commit,
    /// sync), so a health check sees what a person's write would meet: a full disk
    /// is [`DomainError::Unavailable`].
    async fn probe_write(&self, at: Timestamp) -> StoreResult<()>;
    /// Takes or renews the lease `name` for `holder` until `until`, unless another
    /// holder's lease is still running at `now`; `true` if `holder` holds it now.
    async fn take_lease(&self, name: &str, holder: &str, until: Timestamp, now: Timestamp) -> StoreResult<bool>;
}
