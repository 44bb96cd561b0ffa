//! Group commit of recorded views: many page views, one transaction, one sync.
//!
//! Every view of a message by a recipient writes an access record (its audit
//! event, and the opening on the first view) that must be durable before the page
//! is answered. With one durable commit per view, the single SQLite writer spends
//! its time waiting for the disk (an `fsync` per commit), and views queue behind
//! it. Here a view joins a queue; whoever gets the turn next takes every view
//! queued by then and writes them in one transaction, then tells each view's
//! request how it went. While that batch commits, the next one gathers, so under
//! load a batch holds about as many views as there are requests in flight, and
//! alone a view commits at once, as before.
//!
//! A batch either commits whole, or (any view failing in it, say of a message
//! deleted meanwhile, or the commit itself failing) is rolled back and each of its
//! views is written again in a transaction of its own, so each gets its own
//! answer and no view is lost for another's fault.
//!
//! A batch is written by a task of its own, so a request that goes away (the
//! client closed the connection) neither abandons the views queued with it nor
//! leaves its own unrecorded.

use std::sync::{Arc, Mutex};

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{MessageId, NewOutboxItem};
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::StoreResult;
use sealpost_domain::types::{EmailAddress, Timestamp};
use sqlx::AnyConnection;
use tokio::sync::oneshot;

use crate::{SqlStore, audit, db_error, outbox};

/// One recipient's view of a message, as recorded.
pub(crate) struct View {
    pub message: MessageId,
    pub email: EmailAddress,
    pub at: Timestamp,
    /// The read receipt to queue if this is the recipient's first view.
    pub receipt: Option<NewOutboxItem>,
    pub event: AuditEvent,
}

/// A queued view and where its outcome goes (whether it was the first view).
struct Pending {
    view: View,
    done: oneshot::Sender<StoreResult<bool>>,
}

/// The queue of views waiting for the next batch, and the turn to write one.
#[derive(Debug, Default)]
pub(crate) struct ViewQueue {
    queued: Mutex<Vec<PendingSlot>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// [`Pending`] behind a `Debug` that shows nothing of the view.
struct PendingSlot(Pending);

impl std::fmt::Debug for PendingSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingSlot")
    }
}

impl ViewQueue {
    fn push(&self, pending: Pending) {
        self.queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(PendingSlot(pending));
    }

    fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut *self.queued.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .into_iter()
            .map(|slot| slot.0)
            .collect()
    }
}

/// Records `view` durably, in a batch with the views queued beside it; true if
/// it was the recipient's first (the opening and any receipt were written).
pub(crate) async fn record(store: &SqlStore, view: View) -> StoreResult<bool> {
    let (done, outcome) = oneshot::channel();
    store.views.push(Pending { view, done });
    let store = store.clone();
    tokio::spawn(async move {
        let turn = Arc::clone(&store.views.turn).lock_owned().await;
        // Empty when the batch before took this view along.
        let batch = store.views.take();
        if !batch.is_empty() {
            write_batch(&store, batch).await;
        }
        drop(turn);
    });
    outcome.await.map_err(|_| {
        DomainError::internal(std::io::Error::other(
            "the batch recording a view ended without an answer",
        ))
    })?
}

/// Writes `batch` in one transaction; should that fail, each view on its own.
async fn write_batch(store: &SqlStore, batch: Vec<Pending>) {
    if batch.len() > 1 {
        match write_together(store, &batch).await {
            Ok(firsts) => {
                for (pending, first) in batch.into_iter().zip(firsts) {
                    let _ = pending.done.send(Ok(first));
                }
                return;
            }
            Err(error) => {
                tracing::debug!(views = batch.len(), %error, "a batch of views failed; writing each alone");
            }
        }
    }
    for pending in batch {
        let outcome = write_alone(store, &pending.view).await;
        let _ = pending.done.send(outcome);
    }
}

async fn write_together(store: &SqlStore, batch: &[Pending]) -> StoreResult<Vec<bool>> {
    let mut tx = store.begin_write().await?;
    let mut firsts = Vec::with_capacity(batch.len());
    // Views of one message come together: check that it exists once per batch.
    let mut known = Vec::new();
    for pending in batch {
        firsts.push(write_view(&mut tx, &pending.view, &mut known).await?);
    }
    tx.commit().await.map_err(db_error)?;
    Ok(firsts)
}

async fn write_alone(store: &SqlStore, view: &View) -> StoreResult<bool> {
    let mut tx = store.begin_write().await?;
    let first = write_view(&mut tx, view, &mut Vec::new()).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(first)
}

/// The statements of one view: the opening (only the first one counts) with its
/// receipt, or else the check that the message still exists; then the audit
/// event. `NotFound` when the message is gone. `known` holds the messages this
/// transaction has already found.
async fn write_view(conn: &mut AnyConnection, view: &View, known: &mut Vec<MessageId>) -> StoreResult<bool> {
    let opened = sqlx::query(
        "UPDATE message_recipients SET opened_at = $3 \
         WHERE message_id = $1 AND email = $2 AND opened_at IS NULL",
    )
    .bind(view.message.0)
    .bind(view.email.as_str())
    .bind(view.at.0)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let first = opened.rows_affected() > 0;
    if first {
        if let Some(receipt) = &view.receipt {
            outbox::insert_item(conn, receipt).await?;
        }
    } else if !known.contains(&view.message) {
        crate::messages::ensure_message_exists(conn, view.message).await?;
    }
    if !known.contains(&view.message) {
        known.push(view.message);
    }
    audit::insert_event(conn, &view.event).await?;
    Ok(first)
}
