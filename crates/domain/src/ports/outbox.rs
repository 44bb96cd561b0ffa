//! The outbox port: the queue of mail to send.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::{NewOutboxItem, OutboxItem};
use crate::types::Timestamp;

/// The mail queue the outbox worker drains, with leases so that several workers
/// never send one row twice.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queues emails not tied to another change.
    async fn enqueue(&self, items: Vec<NewOutboxItem>) -> StoreResult<()>;
    /// Claims up to `limit` due rows (pending, `next_attempt_at <= now`, or a sending
    /// lease that ran out) and leases them until `lease_until`, so that several
    /// workers never send one row at the same time.
    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>>;
    /// Marks a row delivered (and the recipient notified, for notifications).
    async fn outbox_sent(&self, id: i64, at: Timestamp) -> StoreResult<()>;
    /// Marks the rows `ids` delivered at `at`, as [`Self::outbox_sent`] each, and
    /// claims up to `limit` due rows as of `at`, leased until `lease_until`, as
    /// [`Self::claim_outbox`], in the same write where the store can: a busy lane
    /// records the deliveries of its last batch and takes its next batch with one
    /// commit instead of one per email and another for the claim. The default does
    /// one after the other. Nothing is claimed when the record fails.
    async fn outbox_sent_then_claim(
        &self,
        ids: &[i64],
        at: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        for &id in ids {
            self.outbox_sent(id, at).await?;
        }
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.claim_outbox(at, lease_until, limit).await
    }
    /// Puts a row being sent back in the queue unsent, due at `at`, with `why` as
    /// its last error: the claim that leased it does not count as an attempt. A row
    /// no longer `sending` is left alone, as by [`Self::outbox_retry`]; `NotFound`
    /// for an unknown id.
    async fn outbox_release(&self, id: i64, at: Timestamp, why: &str) -> StoreResult<()>;
    /// Schedules another attempt.
    async fn outbox_retry(&self, id: i64, next_attempt_at: Timestamp, error: &str) -> StoreResult<()>;
    /// Gives up on a row, queueing `bounce` (to the sender) in the same transaction.
    /// `error` is for the operator (the row's last error); `reason`, the relay's
    /// reply as it wrote it, is what the sender is shown for a notification.
    async fn outbox_failed(&self, id: i64, error: &str, reason: &str, bounce: Option<NewOutboxItem>)
    -> StoreResult<()>;
    /// Hands every leased row back to the queue, due now. Only for a single-process
    /// deployment (SQLite) at start, when no other worker can be holding a lease.
    async fn release_outbox_leases(&self, now: Timestamp) -> StoreResult<u64>;
    /// Rows not yet delivered or given up (pending or sending).
    async fn outbox_pending(&self) -> StoreResult<i64>;
    /// When the oldest row not yet delivered or given up was queued, if any.
    async fn outbox_oldest_waiting(&self) -> StoreResult<Option<Timestamp>>;
    /// Makes every pending row whose next attempt is later than `now` due at `now`
    /// (the relay is back, or the operator asked for everything to go); returns how
    /// many were waiting.
    async fn outbox_bring_forward(&self, now: Timestamp) -> StoreResult<u64>;
    /// Deletes up to `limit` rows that are done with, oldest first, with their
    /// emails: delivered before `sent_before`, or given up on and queued before
    /// `failed_before`. Returns how many went.
    async fn purge_finished_outbox(
        &self,
        sent_before: Timestamp,
        failed_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64>;
}
