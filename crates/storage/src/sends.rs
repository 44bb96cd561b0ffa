//! Group commit of new messages ([`crate::group_commit`]): each message sent
//! (from the portal, or by the SMTP gateway, whose `250` waits for it) must be
//! durable before it is answered, the message row, its recipients, its
//! notifications and its audit events together; messages queued together are
//! written in one transaction.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{Message, MessageId, NewMessage, NewOutboxItem};
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::StoreResult;
use sqlx::AnyConnection;

use crate::group_commit::GroupCommit;
use crate::messages::{MESSAGE_COLUMNS, MESSAGES_WITH_SENDER, messages_from_rows};
use crate::statements::{Fetch, Run};
use crate::{SqlStore, audit, db_error, insert_error, outbox};

/// One message to store with what commits with it.
pub(crate) struct Send {
    pub message: NewMessage,
    pub notifications: Vec<NewOutboxItem>,
    pub event: AuditEvent,
}

/// The queue of messages waiting to be stored together.
pub(crate) type SendQueue = GroupCommit<Send, Message>;

/// A new [`SendQueue`].
pub(crate) fn queue() -> SendQueue {
    GroupCommit::new("messages", |store, sends| Box::pin(write_sends(store, sends)))
}

/// Stores `send` durably, in a batch with the messages queued beside it.
pub(crate) async fn store(store: &SqlStore, send: Send) -> StoreResult<Message> {
    store.sends.submit(store, send).await
}

/// Rows one multi-row `INSERT` carries at the most (at most eight parameters a
/// row, well under both databases' limits).
const ROWS_PER_INSERT: usize = 500;

/// Writes `sends` in one transaction and reads each stored message back, in as
/// few statements as the rows allow: each statement is a round trip (on SQLite a
/// hand-off to its connection's thread and back), and the batch holds the single
/// writer's turn the while. Per message: its row (for its id); per batch: the
/// end of the upload notes, the recipients, the notifications, the audit events,
/// the Reports tab's counts and the read-back; secrets (No Password Required)
/// one each.
async fn write_sends(store: &SqlStore, sends: &[&Send]) -> StoreResult<Vec<Message>> {
    let mut tx = store.begin_write().await?;
    let mut ids = Vec::with_capacity(sends.len());
    for send in sends {
        ids.push(insert_row(&mut tx, &send.message).await?);
    }
    // Only a message whose parts went to the blob store noted an upload.
    let public_ids: Vec<Vec<u8>> = sends.iter().map(|s| s.message.public_id.0.to_vec()).collect();
    let sql = format!(
        "DELETE FROM pending_uploads WHERE public_id IN ({})",
        crate::placeholders(1, 1, public_ids.len())
    );
    public_ids
        .iter()
        .fold(sqlx::query(&sql), |query, id| query.bind(id.as_slice()))
        .run(&mut *tx)
        .await?;
    insert_recipients(&mut tx, sends, &ids).await?;
    for (send, id) in sends.iter().zip(&ids) {
        for secret in &send.message.secrets {
            sqlx::query(
                "INSERT INTO recipient_secrets (message_id, email, verifier, wrapped_dek) VALUES ($1, $2, $3, $4)",
            )
            .bind(id.0)
            .bind(secret.email.as_str())
            .bind(&secret.verifier)
            .bind(&secret.wrapped_dek)
            .execute(&mut *tx)
            .await
            .map_err(insert_error("recipient"))?;
        }
    }
    let notifications: Vec<_> = sends
        .iter()
        .zip(&ids)
        .flat_map(|(send, id)| send.notifications.iter().map(move |item| (item, Some(*id))))
        .collect();
    outbox::insert_items_of(&mut tx, &notifications).await?;
    let sent: Vec<_> = sends
        .iter()
        .map(|s| (s.message.account_id, s.message.created_at))
        .collect();
    crate::reports::count_sent(&mut tx, &sent).await?;
    let events: Vec<&AuditEvent> = sends
        .iter()
        .flat_map(|s| std::iter::once(&s.event).chain(s.message.also_audited.as_ref()))
        .collect();
    for chunk in events.chunks(audit::EVENTS_PER_INSERT) {
        audit::insert_events(&mut tx, chunk.iter().copied()).await?;
    }
    let stored = read_back(&mut tx, &ids).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(stored)
}

/// The message's row; its id.
async fn insert_row(conn: &mut AnyConnection, message: &NewMessage) -> StoreResult<MessageId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (public_id, account_id, sender_id, created_at, expires_at, options, \
         mode, wrapped_dek, key_version, sealed_subject, part_count, payload_len, in_reply_to, profile_id, \
         security_level, sealed_parts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(message.public_id.0.to_vec())
    .bind(message.account_id.0)
    .bind(message.sender_id.0)
    .bind(message.created_at.0)
    .bind(message.expires_at.map(|t| t.0))
    .bind(message.options.to_bits())
    .bind(message.mode.as_str())
    .bind(&message.wrapped_dek)
    .bind(message.key_version)
    .bind(&message.sealed_subject)
    .bind(message.part_count)
    .bind(message.payload_len)
    .bind(message.in_reply_to.map(|m| m.0))
    .bind(message.profile_id.map(|p| p.0))
    .bind(message.security.as_str())
    .bind(message.sealed_parts.as_ref())
    .fetch_one(&mut *conn)
    .await
    .map_err(insert_error("public_id"))?;
    Ok(MessageId(id))
}

/// Every recipient of every message (`ids[i]` is `sends[i]`'s), in their order.
async fn insert_recipients(conn: &mut AnyConnection, sends: &[&Send], ids: &[MessageId]) -> StoreResult<()> {
    let rows: Vec<(MessageId, i64, &str, &str)> = sends
        .iter()
        .zip(ids)
        .flat_map(|(send, id)| {
            (0_i64..)
                .zip(&send.message.recipients)
                .map(move |(position, (email, kind))| (*id, position, email.as_str(), kind.as_str()))
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO message_recipients (message_id, position, email, kind) VALUES {}",
            crate::placeholders(1, 4, chunk.len())
        );
        chunk
            .iter()
            .fold(sqlx::query(&sql), |query, (id, position, email, kind)| {
                query.bind(id.0).bind(*position).bind(*email).bind(*kind)
            })
            .execute(&mut *conn)
            .await
            .map_err(insert_error("recipient"))?;
    }
    Ok(())
}

/// The stored messages `ids`, in that order, read in one statement.
async fn read_back(conn: &mut AnyConnection, ids: &[MessageId]) -> StoreResult<Vec<Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGES_WITH_SENDER} WHERE m.id IN ({})",
        crate::placeholders(1, 1, ids.len())
    );
    let rows = ids
        .iter()
        .fold(sqlx::query(&sql), |query, id| query.bind(id.0))
        .all(&mut *conn)
        .await?;
    let mut found = messages_from_rows(&rows)?;
    ids.iter()
        .map(|id| {
            let at = found.iter().position(|m| m.id == *id).ok_or(DomainError::NotFound)?;
            Ok(found.swap_remove(at))
        })
        .collect()
}
