//! Drafts that validation refused, kept for their sender for a while, so that the
//! corrected form does not have to upload its attachments again ("bad input loses
//! nothing"). They live in this process's memory: a restart, or the next request
//! reaching another node, loses them. A corrected form that still asks to keep
//! files of a draft that is gone is then refused
//! ([`ValidationError::KeptAttachmentsLost`](crate::error::ValidationError::KeptAttachmentsLost)):
//! the sender attaches them again, and no message leaves without what they chose.
//! While kept, a draft holds only its wrapped data key; the key is unwrapped again
//! when the draft is taken back.

use std::collections::HashMap;
use std::sync::Mutex;

use sealpost_crypto::envelope::{DEFAULT_SEGMENT_LEN, sealed_len};
use sealpost_crypto::keys::Key256;
use sealpost_crypto::token;

use super::{Draft, ReplyKind, Services, blob_key};
use crate::messages::PublicId;
use crate::policy::Actor;
use crate::services::content::AttachmentMeta;
use crate::types::{AccountNumber, Timestamp};

/// How long a refused draft waits for its corrected form.
pub const DRAFT_KEEP_SECONDS: i64 = 60 * 60;

/// The kept drafts, by the token their form carries.
#[derive(Default)]
pub(crate) struct KeptDrafts(Mutex<HashMap<String, (Draft, Timestamp)>>);

impl KeptDrafts {
    /// Removes and returns the drafts `pick` chooses, with when each was kept.
    fn take_where(&self, mut pick: impl FnMut(&str, &Draft, Timestamp) -> bool) -> Vec<(Draft, Timestamp)> {
        let Ok(mut kept) = self.0.lock() else {
            return Vec::new();
        };
        let chosen: Vec<String> = kept
            .iter()
            .filter(|(token, (draft, at))| pick(token, draft, *at))
            .map(|(token, _)| token.clone())
            .collect();
        chosen.into_iter().filter_map(|token| kept.remove(&token)).collect()
    }
}

impl Draft {
    /// The attachments sealed so far.
    pub fn attachments(&self) -> &[AttachmentMeta] {
        &self.attachments
    }

    /// The account the message will be sent from.
    pub fn account_number(&self) -> AccountNumber {
        self.account.number
    }

    /// The message this draft answers or forwards, and how.
    pub fn answers(&self) -> Option<(PublicId, ReplyKind)> {
        self.reply.as_ref().map(|(message, kind)| (message.public_id, *kind))
    }
}

impl Services {
    /// Keeps a refused draft that holds attachments for its sender and returns the
    /// token the form carries back; a draft without attachments is discarded. A
    /// sender has one kept draft at most: keeping another discards the older, as
    /// does time ([`DRAFT_KEEP_SECONDS`]).
    pub async fn keep_draft(&self, mut draft: Draft) -> Option<String> {
        let token = match token::random_token(24) {
            Ok(token) if !draft.attachments.is_empty() => token,
            _ => {
                self.discard_draft(draft).await;
                return None;
            }
        };
        // The unwrapped key is dropped (and zeroed); `take_kept_draft` unwraps it anew.
        draft.key.dek = Key256::from_bytes([0; 32]);
        let now = self.clock.now();
        let sender = draft.sender.id();
        let stale = self
            .kept_drafts
            .take_where(|_, kept, at| kept.sender.id() == sender || now.seconds_since(at) > DRAFT_KEEP_SECONDS);
        if let Ok(mut kept) = self.kept_drafts.0.lock() {
            kept.insert(token.clone(), (draft, now));
        }
        for (old, _) in stale {
            self.discard_draft(old).await;
        }
        Some(token)
    }

    /// The draft kept under `token`, if it is `actor`'s and still waiting, with its
    /// data key unwrapped again.
    pub async fn take_kept_draft(&self, actor: &Actor, token: &str) -> Option<Draft> {
        let now = self.clock.now();
        let (mut draft, kept_at) = self
            .kept_drafts
            .take_where(|t, kept, _| t == token && kept.sender.id() == actor.id())
            .pop()?;
        let key = &draft.key;
        let unwrapped = if now.seconds_since(kept_at) <= DRAFT_KEEP_SECONDS {
            self.unwrap_data_key(draft.account.id, key.key_version, &key.wrapped)
                .await
                .ok()
        } else {
            None
        };
        match unwrapped {
            Some(dek) => {
                draft.key.dek = dek;
                Some(draft)
            }
            None => {
                self.discard_draft(draft).await;
                None
            }
        }
    }

    /// Discards every draft kept longer than [`DRAFT_KEEP_SECONDS`] (housekeeping);
    /// returns how many.
    pub async fn purge_kept_drafts(&self) -> usize {
        let now = self.clock.now();
        let stale = self
            .kept_drafts
            .take_where(|_, _, at| now.seconds_since(at) > DRAFT_KEEP_SECONDS);
        let count = stale.len();
        for (draft, _) in stale {
            self.discard_draft(draft).await;
        }
        count
    }

    /// Removes one attachment from a draft, with what it stored.
    pub async fn remove_attachment(&self, draft: &mut Draft, part: u32) {
        let Some(at) = draft.attachments.iter().position(|a| a.part == part) else {
            return;
        };
        let meta = draft.attachments.remove(at);
        draft.plain_len = draft.plain_len.saturating_sub(meta.size);
        draft.sealed_len = draft
            .sealed_len
            .saturating_sub(sealed_len(meta.size, DEFAULT_SEGMENT_LEN));
        draft.in_memory.retain(|(p, _)| *p != part);
        if draft.mode.stores_payload()
            && let Err(error) = self.messaging().blobs.delete(&blob_key(&draft.public_id, part)).await
        {
            tracing::warn!(%error, "could not delete a removed attachment's blob");
        }
    }
}
