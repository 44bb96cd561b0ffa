//! The messages port: secure messages, their recipients and what happens to them.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::{Message, MessageId, NewMessage, NewOutboxItem, PublicId, Recipient};
use crate::model::{AuditEvent, User};
use crate::types::{AccountId, EmailAddress, Timestamp, UserId};

/// A message as a signed-in viewer opens it ([`MessageStore::message_to_open`]).
#[derive(Debug)]
pub struct MessageToOpen {
    pub message: Message,
    pub recipients: Vec<Recipient>,
    pub sender: User,
    /// Whether an administrator of the message's account locked the viewer out of
    /// the account (none of its messages open for them).
    pub viewer_locked: bool,
}

/// The persistence of messages.
///
/// Each method is one transaction: a message, its recipients and its
/// notifications commit together, so a crash loses nothing.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores a message with its recipients, its notifications and its audit event,
    /// and ends its upload (see [`UploadStore::begin_upload`](super::UploadStore::begin_upload)) in the same
    /// transaction.
    async fn insert_message(
        &self,
        message: NewMessage,
        outbox: Vec<NewOutboxItem>,
        audit: AuditEvent,
    ) -> StoreResult<Message>;
    /// `NotFound` when no message has this public id.
    async fn message(&self, public_id: &PublicId) -> StoreResult<Message>;
    /// A message to read, with its recipients (as [`Self::recipients`] orders them)
    /// and its sender, in one query: what every view of a message needs.
    /// `NotFound` when no message has this public id.
    async fn message_to_read(&self, public_id: &PublicId) -> StoreResult<(Message, Vec<Recipient>, User)>;
    /// [`Self::message_to_read`] for the signed-in `viewer`, and in the same query
    /// whether an administrator of the message's account locked them out of it: a
    /// view's one read before its record.
    async fn message_to_open(&self, public_id: &PublicId, viewer: UserId) -> StoreResult<MessageToOpen>;
    /// A message by database id.
    async fn message_by_id(&self, id: MessageId) -> StoreResult<Message>;
    /// The recipients in the order given, To before Cc.
    async fn recipients(&self, message: MessageId) -> StoreResult<Vec<Recipient>>;
    /// Messages `sender` sent, newest first, before `before` (keyset).
    async fn sent_messages(&self, sender: UserId, before: Option<MessageId>, limit: u32) -> StoreResult<Vec<Message>>;
    /// Messages addressed to `email`, newest first.
    async fn received_messages(
        &self,
        email: &EmailAddress,
        before: Option<MessageId>,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
    /// Messages sent from an account, newest first (its administrators' view).
    async fn account_messages(
        &self,
        account: AccountId,
        before: Option<MessageId>,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
    /// Records that `email` opened the message. Returns `true` the first time, and
    /// only then queues `receipt` (when given). The audit event is always written.
    async fn mark_opened(
        &self,
        message: MessageId,
        email: &EmailAddress,
        at: Timestamp,
        receipt: Option<NewOutboxItem>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Locks (with when and why) or unlocks.
    async fn set_lock(
        &self,
        message: MessageId,
        lock: Option<(Timestamp, String)>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Sets, moves or removes the expiration.
    async fn set_expiry(&self, message: MessageId, expires_at: Option<Timestamp>, audit: AuditEvent)
    -> StoreResult<()>;
}
