//! Group commit of recorded views ([`crate::group_commit`]): every view of a
//! message by a recipient writes an access record (its audit event, and the
//! opening on the first view) that must be durable before the page is answered;
//! views queued together are written in one transaction, in a fixed number of
//! statements whatever their number ([`write_views`]).

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{MessageId, NewOutboxItem};
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::StoreResult;
use sealpost_domain::types::{EmailAddress, Timestamp};
use sqlx::AnyConnection;

use crate::columns::Columns;
use crate::group_commit::GroupCommit;
use crate::statements::{Fetch, Run};
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

/// The queue of views waiting to be recorded together.
pub(crate) type ViewQueue = GroupCommit<View, bool>;

/// A new [`ViewQueue`].
pub(crate) fn queue() -> ViewQueue {
    GroupCommit::new("views", |store, views| Box::pin(write_views(store, views)))
}

/// Records `view` durably, in a batch with the views queued beside it; true if
/// it was the recipient's first (the opening and any receipt were written).
pub(crate) async fn record(store: &SqlStore, view: View) -> StoreResult<bool> {
    store.views.submit(store, view).await
}

/// Writes `views` in one transaction, in a fixed number of statements whatever
/// their number: which of them may be first openings and that their messages
/// exist (one read), the first openings themselves (each its own
/// guarded update, with its receipt: rare), and every audit event (one insert
/// per [`audit::EVENTS_PER_INSERT`]). Each statement is a round trip to the database
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
    for chunk in views.chunks(audit::EVENTS_PER_INSERT) {
        audit::insert_events(&mut tx, chunk.iter().map(|v| &v.event)).await?;
    }
    tx.commit().await.map_err(db_error)?;
    Ok(firsts)
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
        crate::placeholders(1, 1, emails.len()),
        crate::placeholders(emails.len() + 1, 1, messages.len()),
    );
    let mut query = sqlx::query(&sql);
    for email in emails {
        query = query.bind(*email);
    }
    for message in messages {
        query = query.bind(message.0);
    }
    let rows = query.all(&mut *conn).await?;
    let mut found = Vec::with_capacity(messages.len());
    let mut unopened = Vec::new();
    for row in &rows {
        let message = MessageId(row.col("message_id")?);
        if !found.contains(&message) {
            found.push(message);
        }
        if let Some(email) = row.col::<Option<String>>("email")? {
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
    .run(&mut *conn)
    .await?;
    let first = opened.rows_affected() > 0;
    if first {
        // The message's first opening by anyone counts it as opened (Reports tab).
        let opened_by: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM message_recipients WHERE message_id = $1 AND opened_at IS NOT NULL",
        )
        .bind(view.message.0)
        .one(&mut *conn)
        .await?;
        if opened_by == 1 {
            crate::reports::count_opened(conn, view.message).await?;
        }
    }
    if first && let Some(receipt) = &view.receipt {
        outbox::insert_item(conn, receipt).await?;
    }
    Ok(first)
}
