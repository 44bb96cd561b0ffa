//! Group commit of new messages: many messages, one transaction, one sync.
//!
//! Each message sent (from the portal, or by the SMTP gateway, whose `250` waits for
//! it) must be durable before it is answered: the message row, its recipients, its
//! notifications and its audit events commit together. With one durable commit per
//! message, the single SQLite writer spends its time waiting for the disk (an
//! `fsync` per commit) while the other sessions queue behind it. Here a message
//! joins a queue; whoever gets the turn next takes every message queued by then
//! and writes them in one transaction, then tells each sender how it went. While
//! that batch commits, the next one gathers, so under load a batch holds about as
//! many messages as there are sessions waiting, and alone a message commits at
//! once, as before. This is the pattern of [`crate::views`].
//!
//! A batch either commits whole, or (any message failing in it, say a public id
//! taken, or the commit itself failing) is rolled back and each of its messages is
//! written again in a transaction of its own, so each gets its own answer and none
//! is refused for another's fault.
//!
//! A batch is written by a task of its own, so a session that goes away neither
//! abandons the messages queued with it nor leaves its own half done: its message
//! is committed whole or not at all, like any transaction.

use std::sync::{Arc, Mutex, PoisonError};

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{Message, MessageId, NewMessage, NewOutboxItem};
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::StoreResult;
use sqlx::AnyConnection;
use tokio::sync::oneshot;

use crate::messages::fetch_message;
use crate::{SqlStore, audit, db_error, insert_error, outbox};

/// One message to store with what commits with it.
pub(crate) struct Send {
    pub message: NewMessage,
    pub notifications: Vec<NewOutboxItem>,
    pub event: AuditEvent,
}

/// A queued message and where its outcome goes.
struct Pending {
    send: Send,
    done: oneshot::Sender<StoreResult<Message>>,
}

/// The queue of messages waiting for the next batch, and the turn to write one.
#[derive(Default)]
pub(crate) struct SendQueue {
    queued: Mutex<Vec<Pending>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// Shows nothing of the queued messages.
impl std::fmt::Debug for SendQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendQueue")
    }
}

impl SendQueue {
    fn push(&self, pending: Pending) {
        self.queued.lock().unwrap_or_else(PoisonError::into_inner).push(pending);
    }

    fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut *self.queued.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Stores `send` durably, in a batch with the messages queued beside it.
pub(crate) async fn store(store: &SqlStore, send: Send) -> StoreResult<Message> {
    let (done, outcome) = oneshot::channel();
    store.sends.push(Pending { send, done });
    let store = store.clone();
    tokio::spawn(async move {
        let turn = Arc::clone(&store.sends.turn).lock_owned().await;
        // Empty when the batch before took this message along.
        let batch = store.sends.take();
        if !batch.is_empty() {
            write_batch(&store, batch).await;
        }
        drop(turn);
    });
    outcome.await.map_err(|_| {
        DomainError::internal(std::io::Error::other(
            "the batch storing a message ended without an answer",
        ))
    })?
}

/// Writes `batch` in one transaction; should that fail, each message on its own.
async fn write_batch(store: &SqlStore, batch: Vec<Pending>) {
    if batch.len() > 1 {
        let written = {
            let sends: Vec<&Send> = batch.iter().map(|p| &p.send).collect();
            write_sends(store, &sends).await
        };
        match written {
            Ok(stored) => {
                for (pending, message) in batch.into_iter().zip(stored) {
                    let _ = pending.done.send(Ok(message));
                }
                return;
            }
            Err(error) => {
                tracing::debug!(messages = batch.len(), %error, "a batch of messages failed; writing each alone");
            }
        }
    }
    for pending in batch {
        let outcome = write_sends(store, &[&pending.send]).await;
        let _ = pending.done.send(outcome.and_then(|mut stored| {
            stored
                .pop()
                .ok_or_else(|| DomainError::internal(std::io::Error::other("a stored message was not read back")))
        }));
    }
}

/// Writes `sends` in one transaction and reads each stored message back.
async fn write_sends(store: &SqlStore, sends: &[&Send]) -> StoreResult<Vec<Message>> {
    let mut tx = store.begin_write().await?;
    let mut stored = Vec::with_capacity(sends.len());
    for send in sends {
        stored.push(insert_one(&mut tx, send).await?);
    }
    tx.commit().await.map_err(db_error)?;
    Ok(stored)
}

/// The statements of one message: its row, the end of its upload note, its
/// recipients, secrets, notifications and audit events; then the row read back.
async fn insert_one(conn: &mut AnyConnection, send: &Send) -> StoreResult<Message> {
    let Send {
        message,
        notifications,
        event,
    } = send;
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
    // Only a message whose parts went to the blob store noted an upload.
    sqlx::query("DELETE FROM pending_uploads WHERE public_id = $1")
        .bind(message.public_id.0.to_vec())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    for (position, (email, kind)) in (0_i64..).zip(&message.recipients) {
        sqlx::query("INSERT INTO message_recipients (message_id, position, email, kind) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(position)
            .bind(email.as_str())
            .bind(kind.as_str())
            .execute(&mut *conn)
            .await
            .map_err(insert_error("recipient"))?;
    }
    crate::reports::count_sent(conn, message.account_id, message.created_at).await?;
    for secret in &message.secrets {
        sqlx::query("INSERT INTO recipient_secrets (message_id, email, verifier, wrapped_dek) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(secret.email.as_str())
            .bind(&secret.verifier)
            .bind(&secret.wrapped_dek)
            .execute(&mut *conn)
            .await
            .map_err(insert_error("recipient"))?;
    }
    for item in notifications {
        outbox::insert_item_of(conn, item, Some(MessageId(id))).await?;
    }
    let mut events = vec![event];
    events.extend(message.also_audited.as_ref());
    audit::insert_events(conn, events.into_iter()).await?;
    fetch_message(conn, "m.id = $1", |q| q.bind(id)).await
}
