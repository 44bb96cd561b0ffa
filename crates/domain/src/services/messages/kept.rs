//! Drafts that validation refused, kept for their sender for a while, so that the
//! corrected form does not have to upload its attachments again ("bad input loses
//! nothing"). They live in the shared database and blob store
//! ([`KeptDraftStore`](crate::ports::KeptDraftStore)), so the corrected form may
//! reach any node, and a restart loses nothing: the attachments stay where they
//! were stored (a draft sent as an envelope only writes its sealed parts to the
//! blob store while kept), and what else the draft holds (its attachments' names,
//! the original it answers, what a forward quotes) is sealed with the draft's own
//! data key, stored wrapped by the account key. No plaintext reaches the disk.
//!
//! A corrected form that asks to keep files of a draft that is gone (taken
//! already, or older than [`DRAFT_KEEP_SECONDS`]) is refused
//! ([`ValidationError::KeptAttachmentsLost`](crate::error::ValidationError::KeptAttachmentsLost)):
//! the sender attaches them again, and no message leaves without what they chose.
//! A draft is taken back at most once, by whichever node asks first.
//!
//! The sealed state is a [`pack_parts`] container of fields, sealed as part
//! [`KEPT_PART`] of the draft's message: `0` the attachment list (a [`Content`]
//! whose subject and body are a forward's quoted original), `1` the delivery mode,
//! `2` `<kind> <original's public id>` or empty, `3` the chosen profile's id or
//! empty, `4` the original's recipients (one a line), `5` `<sealed> <plain>`
//! lengths, and for a forward `6` and `7`, the original's sender and date.

use sealpost_crypto::envelope::{self, DEFAULT_SEGMENT_LEN, sealed_len};
use sealpost_crypto::token;

use super::reply::Forwarded;
use super::{Draft, ReplyKind, Services, blob_key, context};
use crate::error::DomainError;
use crate::messages::{DeliveryMode, PublicId};
use crate::policy::Actor;
use crate::ports::KeptDraftRecord;
use crate::profiles::ProfileId;
use crate::services::content::{AttachmentMeta, BodyFormat, Content, pack_parts, unpack_parts};
use crate::types::{AccountNumber, EmailAddress};

/// How long a refused draft waits for its corrected form.
pub const DRAFT_KEEP_SECONDS: i64 = 60 * 60;

/// The part number a kept draft's state is sealed as (below the summary's).
const KEPT_PART: u32 = u32::MAX - 1;

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

/// A kept draft's state once unsealed, before the records it names are read again.
struct KeptState {
    attachments: Vec<AttachmentMeta>,
    mode: DeliveryMode,
    reply: Option<(ReplyKind, PublicId)>,
    profile: Option<ProfileId>,
    reply_recipients: Vec<EmailAddress>,
    sealed_len: u64,
    plain_len: u64,
    forwarded: Option<Forwarded>,
}

impl KeptState {
    fn of(draft: &Draft) -> Self {
        Self {
            attachments: draft.attachments.clone(),
            mode: draft.mode,
            reply: draft.reply.as_ref().map(|(m, kind)| (*kind, m.public_id)),
            profile: draft.profile.id,
            reply_recipients: draft.reply_recipients.clone(),
            sealed_len: draft.sealed_len,
            plain_len: draft.plain_len,
            forwarded: draft.forwarded.as_ref().map(|f| Forwarded {
                subject: f.subject.clone(),
                from: f.from.clone(),
                date: f.date.clone(),
                body: f.body.clone(),
            }),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let (subject, body) = self
            .forwarded
            .as_ref()
            .map(|f| (f.subject.clone(), f.body.clone()))
            .unwrap_or_default();
        let list = Content {
            subject,
            body,
            format: BodyFormat::Text,
            attachments: self.attachments.clone(),
        };
        let reply = self
            .reply
            .map(|(kind, id)| format!("{} {}", kind.as_str(), id.to_hex()))
            .unwrap_or_default();
        let recipients: Vec<&str> = self.reply_recipients.iter().map(EmailAddress::as_str).collect();
        let mut fields: Vec<(u32, Vec<u8>)> = vec![
            (0, list.encode()),
            (1, self.mode.as_str().as_bytes().to_vec()),
            (2, reply.into_bytes()),
            (
                3,
                self.profile.map(|p| p.0.to_string()).unwrap_or_default().into_bytes(),
            ),
            (4, recipients.join("\n").into_bytes()),
            (5, format!("{} {}", self.sealed_len, self.plain_len).into_bytes()),
        ];
        if let Some(forwarded) = &self.forwarded {
            fields.push((6, forwarded.from.clone().into_bytes()));
            fields.push((7, forwarded.date.clone().into_bytes()));
        }
        pack_parts(&fields)
    }

    /// Reads [`KeptState::encode`]'s output; `None` for anything else.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let fields = unpack_parts(bytes)?;
        let text = |n: u32| {
            fields
                .iter()
                .find(|(part, _)| *part == n)
                .and_then(|(_, bytes)| std::str::from_utf8(bytes).ok())
        };
        let list = Content::decode(&fields.iter().find(|(part, _)| *part == 0)?.1)?;
        let reply = match text(2)? {
            "" => None,
            raw => {
                let (kind, id) = raw.split_once(' ')?;
                Some((ReplyKind::parse(kind)?, PublicId::parse(id)?))
            }
        };
        let profile = match text(3)? {
            "" => None,
            raw => Some(ProfileId(raw.parse().ok()?)),
        };
        let reply_recipients = text(4)?
            .lines()
            .map(|line| EmailAddress::parse(line).ok())
            .collect::<Option<Vec<_>>>()?;
        let (sealed, plain) = text(5)?.split_once(' ')?;
        let forwarded = match (text(6), text(7)) {
            (Some(from), Some(date)) => Some(Forwarded {
                subject: list.subject,
                from: from.to_owned(),
                date: date.to_owned(),
                body: list.body,
            }),
            _ => None,
        };
        Some(Self {
            attachments: list.attachments,
            mode: DeliveryMode::parse(text(1)?)?,
            reply,
            profile,
            reply_recipients,
            sealed_len: sealed.parse().ok()?,
            plain_len: plain.parse().ok()?,
            forwarded,
        })
    }
}

impl Services {
    /// Keeps a refused draft that holds attachments for its sender and returns the
    /// token the form carries back; a draft without attachments is discarded, as is
    /// one that cannot be stored (the form then asks for its files again). A
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
        match self.store_kept(&mut draft, &token).await {
            Ok(removed) => {
                for public_id in removed {
                    self.forget_upload(&public_id).await;
                }
                Some(token)
            }
            Err(error) => {
                tracing::warn!(
                    ?error,
                    "could not keep a refused draft; its files must be attached again"
                );
                self.discard_draft(draft).await;
                None
            }
        }
    }

    /// Writes what `draft` holds only in memory to the blob store, and the rest,
    /// sealed, to the database; returns the public ids of the drafts this one
    /// replaces or that expired.
    async fn store_kept(&self, draft: &mut Draft, token: &str) -> Result<Vec<PublicId>, DomainError> {
        self.note_upload(draft).await?;
        let blobs = &self.messaging().blobs;
        for (part, sealed) in &draft.in_memory {
            let mut writer = blobs.writer(&blob_key(&draft.public_id, *part)).await?;
            writer.write(sealed.clone()).await?;
            writer.finish().await?;
        }
        let state = KeptState::of(draft).encode();
        let sealed = envelope::seal(
            &draft.key.dek,
            &context(draft.account.id.0, &draft.public_id, KEPT_PART),
            &state,
        )
        .map_err(DomainError::internal)?;
        let now = self.clock.now();
        let record = KeptDraftRecord {
            token_hash: token::hash_token(token),
            public_id: draft.public_id,
            sender_id: draft.sender.id(),
            account_id: draft.account.id,
            key_version: draft.key.key_version,
            wrapped_dek: draft.key.wrapped.clone(),
            sealed,
            kept_at: now,
        };
        self.store
            .keep_draft(record, now.plus_seconds(-DRAFT_KEEP_SECONDS))
            .await
    }

    /// The draft kept under `token`, if it is `actor`'s and still waiting, with its
    /// data key unwrapped again. Taking it removes it: a second form naming the
    /// same token, on this node or another, finds nothing.
    pub async fn take_kept_draft(&self, actor: &Actor, token: &str) -> Option<Draft> {
        let record = match self.store.take_kept_draft(&token::hash_token(token), actor.id()).await {
            Ok(found) => found?,
            Err(error) => {
                tracing::warn!(?error, "could not read a kept draft");
                return None;
            }
        };
        let public_id = record.public_id;
        let fresh = self.clock.now().seconds_since(record.kept_at) <= DRAFT_KEEP_SECONDS;
        let restored = if fresh {
            self.restore(actor, record).await
        } else {
            Err(DomainError::NotFound)
        };
        match restored {
            Ok(draft) => Some(draft),
            Err(error) => {
                if fresh {
                    tracing::warn!(
                        ?error,
                        "a kept draft could not be restored; its files must be attached again"
                    );
                }
                self.forget_upload(&public_id).await;
                None
            }
        }
    }

    /// Rebuilds a draft from its record: the key unwrapped, the state opened, the
    /// account, original and profile read again (as they are now).
    async fn restore(&self, actor: &Actor, record: KeptDraftRecord) -> Result<Draft, DomainError> {
        let dek = self
            .unwrap_data_key(record.account_id, record.key_version, &record.wrapped_dek)
            .await?;
        let opened = envelope::open(
            &dek,
            &context(record.account_id.0, &record.public_id, KEPT_PART),
            &record.sealed,
        )
        .map_err(|_| DomainError::internal(std::io::Error::other("a kept draft does not open with its key")))?;
        let state = KeptState::decode(&opened)
            .ok_or_else(|| DomainError::internal(std::io::Error::other("a kept draft's state is malformed")))?;
        let account = self.store.account(record.account_id).await?;
        let reply = match state.reply {
            Some((kind, id)) => Some((self.store.message(&id).await?, kind)),
            None => None,
        };
        let profile = self.sending_profile_with(&account, None, state.profile).await?;
        let mut in_memory = Vec::new();
        let mut upload_noted = true;
        if !state.mode.stores_payload() {
            // An envelope-only draft holds its sealed parts in memory again; the
            // copies it left in the blob store go.
            for meta in &state.attachments {
                in_memory.push((
                    meta.part,
                    self.read_blob(&blob_key(&record.public_id, meta.part)).await?,
                ));
            }
            upload_noted = !self.forget_upload(&record.public_id).await;
        }
        Ok(Draft {
            public_id: record.public_id,
            account,
            sender: actor.clone(),
            key: super::NewDataKey {
                dek,
                wrapped: record.wrapped_dek,
                key_version: record.key_version,
            },
            mode: state.mode,
            attachments: state.attachments,
            in_memory,
            sealed_len: state.sealed_len,
            plain_len: state.plain_len,
            reply,
            reply_recipients: state.reply_recipients,
            upload_noted,
            forwarded: state.forwarded,
            profile,
            also_audited: None,
            settings_now: None,
        })
    }

    /// Discards every draft kept longer than [`DRAFT_KEEP_SECONDS`], files and all
    /// (housekeeping); returns how many.
    pub async fn purge_kept_drafts(&self) -> Result<usize, DomainError> {
        let before = self.clock.now().plus_seconds(-DRAFT_KEEP_SECONDS);
        let stale = self.store.purge_kept_drafts(before).await?;
        for public_id in &stale {
            self.forget_upload(public_id).await;
        }
        Ok(stale.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::expect_used, reason = "a test fails by panicking")]
    fn a_kept_state_reads_back_as_written_and_nothing_else_does() {
        let state = KeptState {
            attachments: vec![AttachmentMeta {
                part: 2,
                name: "q3 figures.csv".into(),
                content_type: "text/csv".into(),
                size: 42,
            }],
            mode: DeliveryMode::Envelope,
            reply: Some((ReplyKind::Forward, PublicId([7; 16]))),
            profile: Some(ProfileId(12)),
            reply_recipients: vec![
                EmailAddress::parse("a@example.com").expect("address"),
                EmailAddress::parse("b@example.org").expect("address"),
            ],
            sealed_len: 1234,
            plain_len: 42,
            forwarded: Some(Forwarded {
                subject: "Figures".into(),
                from: "\"A\" <a@example.com>".into(),
                date: "1 Dec 2026".into(),
                body: "Quoted\nlines".into(),
            }),
        };
        let bytes = state.encode();
        let back = KeptState::decode(&bytes).expect("decodes");
        assert_eq!(back.attachments, state.attachments);
        assert_eq!(back.mode, DeliveryMode::Envelope);
        assert_eq!(back.reply, state.reply);
        assert_eq!(back.profile, Some(ProfileId(12)));
        assert_eq!(back.reply_recipients, state.reply_recipients);
        assert_eq!((back.sealed_len, back.plain_len), (1234, 42));
        let forwarded = back.forwarded.expect("forward kept");
        assert_eq!(
            (
                forwarded.subject.as_str(),
                forwarded.from.as_str(),
                forwarded.date.as_str(),
                forwarded.body.as_str()
            ),
            ("Figures", "\"A\" <a@example.com>", "1 Dec 2026", "Quoted\nlines")
        );
        let plain = KeptState {
            reply: None,
            profile: None,
            reply_recipients: Vec::new(),
            forwarded: None,
            mode: DeliveryMode::Stored,
            ..back
        };
        let back = KeptState::decode(&plain.encode()).expect("decodes");
        assert!(back.reply.is_none() && back.profile.is_none() && back.forwarded.is_none());
        assert!(back.reply_recipients.is_empty());
        assert!(KeptState::decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(KeptState::decode(b"SPC1\0\0\0\0").is_none());
    }
}
