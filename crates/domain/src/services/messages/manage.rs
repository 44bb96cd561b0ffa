//! Lists and control: sent, received and account messages, lock, expiry, shredding.

use super::*;
use crate::services::user_admin::parse_lock_reason;

/// A message as its sender, a recipient or an administrator sees it in a list.
#[derive(Debug, Clone)]
pub struct MessageSummary {
    pub message: Message,
    /// `None` for administrators, who see who and when, never what.
    pub subject: Option<String>,
    pub recipients: Vec<Recipient>,
}

impl Services {
    /// A page of the messages the actor sent, newest first, with subjects.
    pub async fn sent_messages(
        &self,
        actor: &Actor,
        before: Option<crate::messages::MessageId>,
    ) -> Result<Vec<MessageSummary>, DomainError> {
        let messages = self.store.sent_messages(actor.id(), before, MESSAGES_PER_PAGE).await?;
        self.summaries(messages, true).await
    }

    /// A page of the messages addressed to the actor, newest first, with subjects.
    pub async fn received_messages(
        &self,
        actor: &Actor,
        before: Option<crate::messages::MessageId>,
    ) -> Result<Vec<MessageSummary>, DomainError> {
        // Not even who wrote and when, before the mailbox is proven.
        if !actor.user.mailbox_proven() {
            return Ok(Vec::new());
        }
        let messages = self
            .store
            .received_messages(&actor.user.email, before, MESSAGES_PER_PAGE)
            .await?;
        self.summaries(messages, true).await
    }

    /// A page of an account's messages for its administrators: who, when, status;
    /// never what.
    pub async fn account_messages(
        &self,
        scope: &crate::policy::AccountScope,
        before: Option<crate::messages::MessageId>,
    ) -> Result<Vec<MessageSummary>, DomainError> {
        let messages = self
            .store
            .account_messages(scope.account.id, before, MESSAGES_PER_PAGE)
            .await?;
        self.summaries(messages, false).await
    }

    /// One message of the scope's account as its administrators see it (who,
    /// when, to whom; never the subject); `NotFound` for another account's.
    pub async fn account_message(
        &self,
        scope: &crate::policy::AccountScope,
        public_id: &PublicId,
    ) -> Result<MessageSummary, DomainError> {
        let message = self.store.message(public_id).await?;
        if message.account_id != scope.account.id {
            return Err(DomainError::NotFound);
        }
        let recipients = self.store.recipients(message.id).await?;
        Ok(MessageSummary {
            message,
            subject: None,
            recipients,
        })
    }

    pub(super) async fn summaries(
        &self,
        messages: Vec<Message>,
        with_subject: bool,
    ) -> Result<Vec<MessageSummary>, DomainError> {
        let mut out = Vec::with_capacity(messages.len());
        for message in messages {
            let recipients = self.store.recipients(message.id).await?;
            let subject = if with_subject {
                self.subject(&message).await?
            } else {
                None
            };
            out.push(MessageSummary {
                message,
                subject,
                recipients,
            });
        }
        Ok(out)
    }

    /// The subject of a message whose key still exists.
    pub(super) async fn subject(&self, message: &Message) -> Result<Option<String>, DomainError> {
        let Some(dek) = self.data_key(message).await? else {
            return Ok(None);
        };
        let ctx = context(message.account_id.0, &message.public_id, crate::messages::SUMMARY_PART);
        let plain = envelope::open(&dek, &ctx, &message.sealed_subject).map_err(DomainError::internal)?;
        Ok(Some(String::from_utf8_lossy(&plain).into_owned()))
    }

    /// A message its sender or an administrator of its account may manage, with
    /// its recipients; the subject only for the sender.
    pub async fn managed_message(&self, actor: &Actor, public_id: &PublicId) -> Result<MessageSummary, DomainError> {
        let message = self.store.message(public_id).await?;
        let is_sender = message.sender_id == actor.id();
        if !is_sender && !actor.is_operator() && !self.store.is_account_admin(message.account_id, actor.id()).await? {
            return Err(DomainError::NotFound);
        }
        let recipients = self.store.recipients(message.id).await?;
        let subject = if is_sender { self.subject(&message).await? } else { None };
        Ok(MessageSummary {
            message,
            subject,
            recipients,
        })
    }

    /// Locks a message with a reason recipients will read, or unlocks it (`None`).
    pub async fn lock_message(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        reason: Option<&str>,
        client: Option<&str>,
    ) -> Result<Message, DomainError> {
        let summary = self.managed_message(actor, public_id).await?;
        let lock = match reason {
            Some(reason) => Some((self.clock.now(), parse_lock_reason(reason)?)),
            None => None,
        };
        let action = if lock.is_some() {
            "message.locked"
        } else {
            "message.unlocked"
        };
        let event = self.event(
            Some(actor),
            Some(summary.message.account_id),
            action,
            &public_id.to_hex(),
            client,
        );
        self.store.set_lock(summary.message.id, lock, event).await?;
        self.store.message(public_id).await
    }

    /// Sets, extends or removes (`""`) a message's expiration date.
    pub async fn set_message_expiry(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        expires_on: &str,
        client: Option<&str>,
    ) -> Result<Message, DomainError> {
        let summary = self.managed_message(actor, public_id).await?;
        if summary.message.wrapped_dek.is_none() {
            return Err(DomainError::invalid("expires_on", ValidationError::ExpiryInPast));
        }
        let expires_at =
            parse_expiry(expires_on, self.clock.now()).map_err(|e| DomainError::invalid("expires_on", e))?;
        let event = self.event(
            Some(actor),
            Some(summary.message.account_id),
            "message.expiry_set",
            &format!("{} {}", public_id, expiry_field(expires_at)),
            client,
        );
        self.store.set_expiry(summary.message.id, expires_at, event).await?;
        self.store.message(public_id).await
    }

    /// Destroys the data keys of messages expired for longer than `grace_seconds`
    /// and deletes their stored payloads: afterwards no copy of their envelopes,
    /// wherever it went, can be opened. Returns how many were destroyed.
    pub async fn shred_expired(&self, grace_seconds: i64) -> Result<usize, DomainError> {
        let messaging = self.messaging();
        let cutoff = self.clock.now().plus_seconds(-grace_seconds);
        let mut total = 0;
        loop {
            let ids = self.store.shred_expired(cutoff, 500).await?;
            if ids.is_empty() {
                return Ok(total);
            }
            total += ids.len();
            for id in ids {
                messaging.blobs.delete_prefix(&format!("{}/", id.to_hex())).await?;
                self.store
                    .record_audit(self.event(None, None, "message.key_destroyed", &id.to_hex(), None))
                    .await?;
            }
        }
    }
}
