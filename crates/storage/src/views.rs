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
use sqlx::{AnyConnection, Row as _};
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
        let written = {
            let views: Vec<&View> = batch.iter().map(|p| &p.view).collect();
            write_views(store, &views).await
        };
        match written {
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
        let outcome = write_views(store, &[&pending.view]).await;
        let _ = pending
            .done
            .send(outcome.map(|firsts| firsts.first().copied().unwrap_or(false)));
    }
}

/// Writes `views` in one transaction, in a fixed number of statements whatever
/// their number: which of them may be first openings and that their messages
/// exist (one read), the first openings themselves (each its own
/// guarded update, with its receipt: rare), and every audit event (one insert
/// per [`EVENTS_PER_INSERT`]). Each statement is a round trip to the database
/// (on SQLite, a hand-off to its connection's thread and back), so a batch costs
/// about as much as one view did alone.
async fn write_views(store: &SqlStore, views: &[&View]) -> StoreResult<Vec<bool>> {
    let mut messages: Vec<MessageId> = views.iter().map(|v| v.message).collect();
    messages.sort_unstable_by_key(|m| m.0);
    messages.dedup();
    let mut emails: Vec<&str> = views.iter().map(|v| v.email.as_str()).collect();
    emails.sort_unstable();
    emails.dedup();
    let mut tx = store.begin_write().await?;
    let unopened = unopened(&mut tx, &messages, &emails).await?;
    let mut firsts = Vec::with_capacity(views.len());
    for view in views {
        let candidate = unopened
            .iter()
            .any(|(m, e)| *m == view.message && e == view.email.as_str());
        firsts.push(candidate && open_first(&mut tx, view).await?);
    }
    for chunk in views.chunks(EVENTS_PER_INSERT) {
        audit::insert_events(&mut tx, chunk.iter().map(|v| &v.event)).await?;
    }
    tx.commit().await.map_err(db_error)?;
    Ok(firsts)
}

/// The most audit events one `INSERT` carries (seven parameters each, well
/// under both databases' limits).
const EVENTS_PER_INSERT: usize = 64;

/// `$first, $first+1, …` for `count` parameters.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which recipients of `messages` among `emails` (each distinct) have not
/// opened them yet, in the same read that checks every message still exists
/// (`NotFound` otherwise). Only those recipients' views can be first openings;
/// the guarded update in [`open_first`] decides, so an opening committed
/// meanwhile elsewhere (no row is locked here) still counts once.
async fn unopened(
    conn: &mut AnyConnection,
    messages: &[MessageId],
    emails: &[&str],
) -> StoreResult<Vec<(MessageId, String)>> {
    let sql = format!(
        "SELECT m.id AS message_id, r.email AS email FROM messages m \
         LEFT JOIN message_recipients r ON r.message_id = m.id AND r.opened_at IS NULL AND r.email IN ({}) \
         WHERE m.id IN ({})",
        placeholders(1, emails.len()),
        placeholders(emails.len() + 1, messages.len()),
    );
    let mut query = sqlx::query(&sql);
    for email in emails {
        query = query.bind(*email);
    }
    for message in messages {
        query = query.bind(message.0);
    }
    let rows = query.fetch_all(&mut *conn).await.map_err(db_error)?;
    let mut found = Vec::with_capacity(messages.len());
    let mut unopened = Vec::new();
    for row in &rows {
        let message = MessageId(row.try_get("message_id").map_err(db_error)?);
        if !found.contains(&message) {
            found.push(message);
        }
        if let Some(email) = row.try_get::<Option<String>, _>("email").map_err(db_error)? {
            unopened.push((message, email));
        }
    }
    if found.len() != messages.len() {
        return Err(DomainError::NotFound);
    }
    Ok(unopened)
}

/// The opening of a view that may be the recipient's first: only the first
/// one sets `opened_at` (and queues the receipt); true if it was.
async fn open_first(conn: &mut AnyConnection, view: &View) -> StoreResult<bool> {
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
        // The message's first opening by anyone counts it as opened (Reports tab).
        let opened_by: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM message_recipients WHERE message_id = $1 AND opened_at IS NOT NULL",
        )
        .bind(view.message.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
        if opened_by == 1 {
            crate::reports::count_on_message(conn, view.message, 0, 1).await?;
        }
    }
    if first && let Some(receipt) = &view.receipt {
        outbox::insert_item(conn, receipt).await?;
    }
    Ok(first)
}
