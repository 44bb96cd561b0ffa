//! Whether the service can do its job right now, for monitoring (`/healthz`).

use super::Services;
use crate::error::DomainError;

/// The blob key `/healthz` reads; nothing is ever stored under it.
const HEALTH_PROBE_KEY: &str = "healthz/probe";

/// Why this node cannot do its job.
#[derive(Debug)]
pub enum Unhealthy {
    /// The disk of the database or the blobs is full: nothing can be stored.
    StorageFull,
    /// The database does not answer or refuses the probe's write.
    Database(DomainError),
    /// The blob store (the bucket) does not answer or refuses this node.
    Blobs(DomainError),
}

/// Mail not yet delivered nor given up, for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Rows pending or being sent.
    pub waiting: i64,
    /// How long the oldest of them has waited (0 when none waits).
    pub oldest_age_seconds: i64,
}

impl Services {
    /// Checks that the database answers and takes a write, and that the blob store
    /// (the local folder, or the bucket several nodes share) answers, as a person's
    /// next request would need.
    pub async fn check_health(&self) -> Result<(), Unhealthy> {
        match self.store.probe_write(self.clock.now()).await {
            Ok(()) => {}
            Err(DomainError::Unavailable(_)) => return Err(Unhealthy::StorageFull),
            Err(error) => return Err(Unhealthy::Database(error)),
        }
        // A read of a key that is never written: "not found" is the answer of a
        // store that is reachable and lets this node in.
        match self.messaging().blobs.reader(HEALTH_PROBE_KEY).await {
            Ok(_) | Err(DomainError::NotFound) => Ok(()),
            Err(error) => Err(Unhealthy::Blobs(error)),
        }
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

    /// Whether `node` (a name unique to this process) does the housekeeping now:
    /// it takes or renews a lease of `hold_seconds`, so among several nodes on one
    /// database one does it, and another takes over once a dead holder's lease has
    /// run out. Ask again at each round, well within `hold_seconds`.
    pub async fn housekeeping_turn(&self, node: &str, hold_seconds: i64) -> Result<bool, DomainError> {
        let now = self.clock.now();
        self.store
            .take_lease("housekeeping", node, now.plus_seconds(hold_seconds), now)
            .await
    }
}
