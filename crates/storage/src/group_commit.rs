//! Group commit: many small durable writes, one transaction, one sync.
//!
//! Some writes come often, each small, and each must be durable before its caller
//! goes on: a recipient's view of a message ([`crate::views`]), a new message with
//! its recipients and notifications ([`crate::sends`]), a delivered email
//! ([`crate::outbox`]). With one durable commit each, the single SQLite writer
//! spends its time on commits (an `fsync` each, and every statement a hand-off to
//! its connection's thread) while the others queue behind it. Here a write joins a
//! queue; whoever gets the turn next takes everything queued by then and writes it
//! in one transaction, then tells each caller how it went. While that batch
//! commits, the next one gathers, so under load a batch holds about as many writes
//! as there are callers waiting, and alone a write commits at once.
//!
//! A batch either commits whole, or (any write failing in it, say of a message
//! deleted meanwhile, or the commit itself failing) is written again one write at a
//! time, each in a transaction of its own, so each gets its own answer and none
//! fails for another's fault.
//!
//! A batch is written by a task of its own, so a caller that goes away (a client
//! that closed its connection) neither abandons the writes queued with it nor
//! leaves its own half done: it is committed whole or not at all.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use sealpost_domain::error::DomainError;
use sealpost_domain::ports::StoreResult;
use tokio::sync::oneshot;

use crate::SqlStore;

/// Writes `items` in one transaction of its own and answers one output each, in
/// their order; an error fails them all (they are then written one by one).
pub(crate) type WriteBatch<T, R> = for<'a> fn(&'a SqlStore, &'a [&'a T]) -> BoxFuture<'a, StoreResult<Vec<R>>>;

/// A queued write and where its outcome goes.
struct Pending<T, R> {
    item: T,
    done: oneshot::Sender<StoreResult<R>>,
}

/// The writes waiting for the next batch, the turn to write one, and how.
pub(crate) struct GroupCommit<T, R> {
    /// What the writes are, for the log.
    what: &'static str,
    write: WriteBatch<T, R>,
    queued: Mutex<Vec<Pending<T, R>>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// Shows nothing of the queued writes.
impl<T, R> std::fmt::Debug for GroupCommit<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// A queue of `what` (for the log), written by `write`.
    pub(crate) fn new(what: &'static str, write: WriteBatch<T, R>) -> Self {
        Self {
            what,
            write,
            queued: Mutex::new(Vec::new()),
            turn: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Writes `item` durably, in a batch with the writes queued beside it.
    pub(crate) async fn submit(self: &Arc<Self>, store: &SqlStore, item: T) -> StoreResult<R> {
        let (done, outcome) = oneshot::channel();
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Pending { item, done });
        let (queue, store) = (Arc::clone(self), store.clone());
        tokio::spawn(async move {
            let turn = Arc::clone(&queue.turn).lock_owned().await;
            // Empty when the batch before took this write along.
            let batch = std::mem::take(&mut *queue.queued.lock().unwrap_or_else(PoisonError::into_inner));
            if !batch.is_empty() {
                queue.write_batch(&store, batch).await;
            }
            drop(turn);
        });
        outcome.await.map_err(|_| {
            DomainError::internal(std::io::Error::other(format!(
                "the batch writing {} ended without an answer",
                self.what
            )))
        })?
    }

    /// Writes `batch` in one transaction; should that fail, each write on its own.
    async fn write_batch(&self, store: &SqlStore, batch: Vec<Pending<T, R>>) {
        if batch.len() > 1 {
            let written = {
                let items: Vec<&T> = batch.iter().map(|p| &p.item).collect();
                (self.write)(store, &items).await
            };
            match written {
                // A write without its output (a miscounting batch) was committed all
                // the same: its caller learns of an error, and it is not written again.
                Ok(outputs) => {
                    for (pending, output) in batch.into_iter().zip(outputs) {
                        let _ = pending.done.send(Ok(output));
                    }
                    return;
                }
                Err(error) => {
                    tracing::debug!(what = self.what, writes = batch.len(), %error, "a batch failed; writing each alone");
                }
            }
        }
        for pending in batch {
            let outcome = (self.write)(store, &[&pending.item]).await.and_then(|mut outputs| {
                outputs.pop().ok_or_else(|| {
                    DomainError::internal(std::io::Error::other(format!(
                        "a write of {} answered nothing",
                        self.what
                    )))
                })
            });
            let _ = pending.done.send(outcome);
        }
    }
}
