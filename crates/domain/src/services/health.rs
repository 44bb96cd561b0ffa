//! Whether the service can do its job right now, for monitoring (`/healthz`).

use super::Services;
use crate::error::DomainError;

/// Mail not yet delivered nor given up, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Rows pending or being sent.
    pub waiting: i64,
    /// How long the oldest of them has waited (0 when none waits).
    pub oldest_age_seconds: i64,
}

impl Services {
    /// Checks that the storage answers and takes a write, as a person's next
    /// request would need: a full disk is [`DomainError::Unavailable`], a database
    /// that does not answer is [`DomainError::Internal`].
    pub async fn check_health(&self) -> Result<(), DomainError> {
        self.store.probe_write(self.clock.now()).await
    }

    /// The outbox's backlog: a growing one means the relay refuses or hangs.
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog, DomainError> {
        let waiting = self.store.outbox_pending().await?;
        let oldest = self.store.outbox_oldest_waiting().await?;
        Ok(OutboxBacklog {
            waiting,
            oldest_age_seconds: oldest.map_or(0, |at| self.clock.now().seconds_since(at).max(0)),
        })
    }
}
