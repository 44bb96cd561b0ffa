//! The kept-drafts port: refused compose drafts waiting for their corrected form,
//! in the shared database so that the corrected form may reach any node.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::PublicId;
use crate::types::{AccountId, Timestamp, UserId};

/// A refused draft as stored: nothing in it reads without the account's key.
#[derive(Debug, Clone)]
pub struct KeptDraftRecord {
    /// The hash of the token its form carries (the token itself is never stored).
    pub token_hash: String,
    /// The message id the draft's blobs are stored under.
    pub public_id: PublicId,
    /// Only its sender may take it back.
    pub sender_id: UserId,
    /// The account it is sent from, whose key wraps `wrapped_dek`.
    pub account_id: AccountId,
    /// The version of the account key that wraps the data key.
    pub key_version: i64,
    /// The draft's data key, wrapped by the account key.
    pub wrapped_dek: Vec<u8>,
    /// What the draft holds besides its stored blobs (its attachments' names and
    /// types, the original it answers, what a forward quotes), sealed with the
    /// data key.
    pub sealed: Vec<u8>,
    /// When it was kept: it waits an hour.
    pub kept_at: Timestamp,
}

/// Refused drafts, taken back at most once (whichever node asks first).
#[async_trait]
pub trait KeptDraftStore: Send + Sync {
    /// Stores `draft`, removing its sender's other kept drafts and those kept
    /// before `expired_before`; returns the public ids of the removed ones, whose
    /// blobs the caller deletes.
    async fn keep_draft(&self, draft: KeptDraftRecord, expired_before: Timestamp) -> StoreResult<Vec<PublicId>>;
    /// Removes and returns the draft kept under `token_hash` if `sender` kept it.
    async fn take_kept_draft(&self, token_hash: &str, sender: UserId) -> StoreResult<Option<KeptDraftRecord>>;
    /// Removes the drafts kept before `before`; returns their public ids.
    async fn purge_kept_drafts(&self, before: Timestamp) -> StoreResult<Vec<PublicId>>;
}
