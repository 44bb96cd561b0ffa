//! Replies and forwards: who they go to, what they quote, what a forward carries.

use super::*;

/// What a forward carries of its original, besides the attachments.
#[derive(Debug, Clone)]
pub(super) struct Forwarded {
    pub(super) subject: String,
    pub(super) from: String,
    pub(super) date: String,
    pub(super) body: String,
}

/// The fields a reply or forward starts with.
#[derive(Debug, Clone)]
pub struct ReplyDraft {
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub body: String,
}

impl Services {
    /// Opens `original` for an answer of `kind`, if its sender and its account
    /// allow that answer; with that account's settings, read for the check.
    async fn answerable(
        &self,
        actor: &Actor,
        original: &PublicId,
        kind: ReplyKind,
    ) -> Result<(OpenedMessage, AccountSettings), DomainError> {
        let opened = match self.read_message(actor, original, None).await {
            Ok((opened, _key)) => opened,
            Err(OpenFailure::Domain(e)) => return Err(e),
            Err(OpenFailure::Unavailable(_) | OpenFailure::PasswordRequired) => {
                return Err(ValidationError::NotAllowedByMessage.into());
            }
        };
        if !opened.allows(kind) {
            return Err(ValidationError::NotAllowedByMessage.into());
        }
        self.ensure_account_may_send(opened.message.account_id).await?;
        let settings = self.settings_of(opened.message.account_id).await?;
        if !settings.allows(kind.feature()) {
            return Err(ValidationError::FeatureSwitchedOff.into());
        }
        Ok((opened, settings))
    }

    /// Starts a reply, reply-all or forward of a message the actor received.
    pub async fn start_reply(
        &self,
        actor: &Actor,
        original: &PublicId,
        kind: ReplyKind,
    ) -> Result<(Draft, ReplyDraft), DomainError> {
        let (opened, settings) = self.answerable(actor, original, kind).await?;
        let account = self.store.account(opened.message.account_id).await?;
        let prefill = reply_fields(&opened, actor, kind);
        let mut draft = self
            .draft_for(actor, account, &settings, Some((opened.message.clone(), kind)), None)
            .await?;
        // Bcc recipients stay hidden: a reply-all never names them.
        draft.reply_recipients = opened
            .recipients
            .iter()
            .filter(|r| r.kind != RecipientKind::Bcc)
            .map(|r| r.email.clone())
            .collect();
        draft.reply_recipients.push(opened.sender.email.clone());
        if kind == ReplyKind::Forward
            && let Err(error) = self.carry_original(actor, original, &opened, &mut draft).await
        {
            self.discard_draft(draft).await;
            return Err(error);
        }
        Ok((draft, prefill))
    }

    /// Makes `draft` a forward of `opened`: its text is quoted below the note, and
    /// its stored attachments are copied in (opened and sealed again under the new
    /// message's key, streaming). Envelope-only originals keep their attachments
    /// in the recipient's envelope: there is nothing here to copy.
    async fn carry_original(
        &self,
        actor: &Actor,
        original: &PublicId,
        opened: &OpenedMessage,
        draft: &mut Draft,
    ) -> Result<(), DomainError> {
        if opened.message.mode.stores_payload() {
            for meta in &opened.content.attachments {
                let mut download = match self.open_attachment(actor, original, meta.part, None).await {
                    Ok(download) => download,
                    Err(OpenFailure::Domain(e)) => return Err(e),
                    Err(OpenFailure::Unavailable(_) | OpenFailure::PasswordRequired) => {
                        return Err(ValidationError::NotAllowedByMessage.into());
                    }
                };
                let mut upload = self.add_attachment(draft, &meta.name, &meta.content_type).await?;
                while let Some(chunk) = download.next_chunk().await? {
                    upload.push(&chunk).await?;
                }
                upload.finish(draft).await?;
            }
        }
        draft.forwarded = Some(Forwarded {
            subject: opened.content.subject.clone(),
            from: format!("{} <{}>", opened.sender.full_name(), opened.sender.email),
            date: opened.message.created_at.display_utc(),
            body: opened.content.body_text(),
        });
        Ok(())
    }

    /// The fields a reply, reply-all or forward form starts with.
    pub async fn reply_prefill(
        &self,
        actor: &Actor,
        original: &PublicId,
        kind: ReplyKind,
    ) -> Result<ReplyDraft, DomainError> {
        let (opened, _) = self.answerable(actor, original, kind).await?;
        Ok(reply_fields(&opened, actor, kind))
    }
}

/// Who a reply goes to: the original sender (reply), or the sender and every other
/// recipient but the replier (reply all).
pub(super) fn reply_addresses(
    original: &Message,
    everyone: &[EmailAddress],
    replier: &Actor,
    kind: ReplyKind,
) -> (Vec<EmailAddress>, Vec<EmailAddress>) {
    let to = vec![original.sender_email.clone()];
    if kind != ReplyKind::ReplyAll {
        return (to, Vec::new());
    }
    let mut cc: Vec<EmailAddress> = Vec::new();
    for address in everyone {
        if *address != replier.user.email && *address != original.sender_email && !cc.contains(address) {
            cc.push(address.clone());
        }
    }
    (to, cc)
}

/// The form fields a reply or forward starts with: addresses, "Re:"/"Fwd:" and the
/// quoted original.
fn reply_fields(opened: &OpenedMessage, actor: &Actor, kind: ReplyKind) -> ReplyDraft {
    let everyone: Vec<EmailAddress> = opened
        .recipients
        .iter()
        .filter(|r| r.kind != RecipientKind::Bcc)
        .map(|r| r.email.clone())
        .collect();
    let (to, cc) = match kind {
        ReplyKind::Forward => (Vec::new(), Vec::new()),
        _ => reply_addresses(&opened.message, &everyone, actor, kind),
    };
    let join = |list: Vec<EmailAddress>| list.iter().map(EmailAddress::to_string).collect::<Vec<_>>().join(", ");
    let prefix = if kind == ReplyKind::Forward { "Fwd: " } else { "Re: " };
    let subject = if opened.content.subject.starts_with(prefix) {
        opened.content.subject.clone()
    } else {
        format!("{prefix}{}", opened.content.subject)
    };
    let quoted: String = opened
        .content
        .body_text()
        .lines()
        .map(|line| format!("> {line}\n"))
        .collect();
    // A forward quotes the original by itself (see `Services::carry_original`):
    // the form holds only the forwarder's note.
    let body = if kind == ReplyKind::Forward {
        String::new()
    } else {
        format!(
            "\n\n{} <{}>, {}:\n{quoted}",
            opened.sender.full_name(),
            opened.sender.email,
            opened.message.created_at.display_utc()
        )
    };
    ReplyDraft {
        to: join(to),
        cc: join(cc),
        subject,
        body,
    }
}
