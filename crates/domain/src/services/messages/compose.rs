//! Composing: drafts, attachments streaming in, replies and forwards, sealing and sending.

mod upload;

pub use upload::AttachmentUpload;
use upload::{Spill, sanitize_content_type, sanitize_file_name};

use super::reply::{Forwarded, reply_addresses};
use super::*;

/// A message being composed: its key exists, its attachments stream in.
pub struct Draft {
    pub(super) public_id: PublicId,
    pub(super) account: Account,
    pub(super) sender: Actor,
    pub(super) key: NewDataKey,
    pub(super) mode: DeliveryMode,
    pub(super) attachments: Vec<AttachmentMeta>,
    /// Sealed attachment parts kept in memory: in envelope mode all of them;
    /// otherwise while the message may still fit in its row ([`INLINE_PARTS_MAX`]).
    pub(super) in_memory: Vec<(u32, Vec<u8>)>,
    pub(super) sealed_len: u64,
    pub(super) plain_len: u64,
    pub(super) reply: Option<(Message, ReplyKind)>,
    /// The original's recipients, for reply-all.
    pub(super) reply_recipients: Vec<EmailAddress>,
    /// Whether the store knows this draft writes blobs (see
    /// [`UploadStore::begin_upload`](crate::ports::UploadStore::begin_upload)).
    pub(super) upload_noted: bool,
    /// For a forward: the original, quoted below the forwarder's note. Its
    /// attachments are copied into the draft when it starts; nobody adds others.
    pub(super) forwarded: Option<Forwarded>,
    /// The envelope profile the message is sent with: its delivery mode, security
    /// level, file name, subject line, help link, contact and recipients' language.
    pub(super) profile: EnvelopeProfile,
    /// An audit event to commit with the message (the gateway's submission).
    pub(super) also_audited: Option<crate::model::AuditEvent>,
    /// The account's settings as read for this very sending, the account found
    /// able to send (the gateway reads both as the message arrives, moments
    /// before); `None`: both are read at sending.
    pub(super) settings_now: Option<AccountSettings>,
}

impl Draft {
    /// The account the message will be sent from.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The envelope profile the message is sent with.
    pub fn profile(&self) -> &EnvelopeProfile {
        &self.profile
    }

    /// What this draft replies to or forwards, if anything.
    pub fn reply_kind(&self) -> Option<ReplyKind> {
        self.reply.as_ref().map(|(_, kind)| *kind)
    }
}

/// What the compose form submits besides attachments.
#[derive(Debug, Clone, Default)]
pub struct ComposeRequest {
    pub to: String,
    pub cc: String,
    /// Recipients nobody else is shown (the gateway's envelope-only recipients;
    /// the compose form has no such field).
    pub bcc: String,
    pub subject: String,
    pub body: String,
    pub options: MessageOptions,
    /// `YYYY-MM-DD`, or empty for no expiration.
    pub expires_on: String,
    /// Whether the body is HTML (sanitized when shown) rather than plain text.
    pub html: bool,
}

/// A draft's request once every rule has passed.
struct Checked {
    recipients: Recipients,
    expires_at: Option<Timestamp>,
    /// The sender's choices within what the account allows.
    options: MessageOptions,
    /// Whether an outside recipient answers (see `check_outside_answer`).
    outsider: bool,
}

/// Validated recipients in order, with their kind.
type Recipients = Vec<(EmailAddress, RecipientKind)>;

/// Parses "a@x.com, b@y.org; c@z.net" into addresses, without duplicates.
fn parse_addresses(raw: &str) -> Result<Vec<EmailAddress>, ValidationError> {
    let mut out: Vec<EmailAddress> = Vec::new();
    for piece in raw
        .split([',', ';', '\n', '\r', ' ', '\t'])
        .filter(|p| !p.trim().is_empty())
    {
        let address = EmailAddress::parse(piece).map_err(|_| ValidationError::RecipientMalformed)?;
        if !out.contains(&address) {
            out.push(address);
        }
    }
    Ok(out)
}

impl Services {
    /// Starts a new message from `account` (or the actor's only/first account),
    /// with the account's default envelope profile.
    pub async fn start_draft(&self, actor: &Actor, account: Option<AccountNumber>) -> Result<Draft, DomainError> {
        self.start_draft_with_profile(actor, account, None).await
    }

    /// Starts a new message from `account` (or the actor's only/first account)
    /// with the envelope profile `profile` (one of that account's; `None`: its
    /// default). The profile decides the delivery mode before attachments arrive.
    pub async fn start_draft_with_profile(
        &self,
        actor: &Actor,
        account: Option<AccountNumber>,
        profile: Option<ProfileId>,
    ) -> Result<Draft, DomainError> {
        let accounts = self.sending_accounts(actor).await?;
        let account = match account {
            Some(number) => accounts
                .into_iter()
                .find(|a| a.number == number)
                .ok_or(DomainError::NotFound)?,
            None => accounts
                .into_iter()
                .next()
                .ok_or(DomainError::invalid("account", ValidationError::NotAMember))?,
        };
        self.draft_from(actor, account, profile).await
    }

    /// A new message of `actor`'s from `account`, a sending account of theirs:
    /// refused while the account is suspended or has Secure Compose switched off,
    /// whichever way the message arrives (the portal, the SMTP gateway).
    pub(super) async fn draft_from(
        &self,
        actor: &Actor,
        account: Account,
        profile: Option<ProfileId>,
    ) -> Result<Draft, DomainError> {
        if account.is_suspended() {
            return Err(ValidationError::AccountSuspended.into());
        }
        let settings = self.settings_of(account.id).await?;
        if !settings.allows(Feature::SecureCompose) {
            return Err(ValidationError::FeatureSwitchedOff.into());
        }
        self.draft_for(actor, account, &settings, None, profile).await
    }

    /// A new draft from `account`, whose `settings` the caller has just read.
    pub(super) async fn draft_for(
        &self,
        actor: &Actor,
        account: Account,
        settings: &AccountSettings,
        reply: Option<(Message, ReplyKind)>,
        profile: Option<ProfileId>,
    ) -> Result<Draft, DomainError> {
        let profile = self.sending_profile_with(&account, Some(settings), profile).await?;
        self.draft_with_profile(actor, account, reply, profile, None).await
    }

    /// A new draft from `account` under `profile`, one of the account's that the
    /// caller has just read (the gateway, which chose it by tag or header), as it
    /// may have read the account's `current_key` (else it is read here).
    pub(super) async fn draft_with_profile(
        &self,
        actor: &Actor,
        account: Account,
        reply: Option<(Message, ReplyKind)>,
        profile: EnvelopeProfile,
        current_key: Option<crate::messages::AccountKey>,
    ) -> Result<Draft, DomainError> {
        let messaging = self.messaging();
        let random = Key256::generate().map_err(DomainError::internal)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(&random.expose()[..16]);
        let key = self.new_data_key(account.id, current_key).await?;
        let mode = profile.delivery_mode.unwrap_or(messaging.config.delivery_mode);
        Ok(Draft {
            public_id: PublicId(id),
            account,
            sender: actor.clone(),
            key,
            mode,
            attachments: Vec::new(),
            in_memory: Vec::new(),
            sealed_len: 0,
            plain_len: 0,
            reply,
            reply_recipients: Vec::new(),
            upload_noted: false,
            forwarded: None,
            profile,
            also_audited: None,
            settings_now: None,
        })
    }

    /// Starts streaming an attachment into `draft`.
    pub async fn add_attachment(
        &self,
        draft: &mut Draft,
        name: &str,
        content_type: &str,
    ) -> Result<AttachmentUpload, DomainError> {
        if draft.forwarded.is_some() {
            return Err(DomainError::invalid(
                "attachments",
                ValidationError::ForwardAddsNoAttachments,
            ));
        }
        let messaging = self.messaging();
        // After the highest part so far: a kept draft may have had some removed.
        let part = draft.attachments.iter().map(|a| a.part).max().unwrap_or(0) + 1;
        let ctx = context(draft.account.id.0, &draft.public_id, part);
        let (sealer, header) = Sealer::new(&draft.key.dek, &ctx).map_err(DomainError::internal)?;
        let meta = AttachmentMeta {
            part,
            name: sanitize_file_name(name),
            content_type: sanitize_content_type(content_type),
            size: 0,
        };
        let limit = messaging.config.max_attachment_bytes.saturating_sub(draft.plain_len);
        let mut upload = AttachmentUpload::new(meta, sealer, limit);
        if draft.mode.stores_payload() {
            // Kept in memory while the message may still fit in its row (its
            // content needs room too, so half of it at most goes to attachments).
            let kept: u64 = draft.in_memory.iter().map(|(_, bytes)| bytes.len() as u64).sum();
            upload.spill = Some(Spill {
                blobs: Arc::clone(&messaging.blobs),
                store: Arc::clone(&self.store),
                public_id: draft.public_id,
                key: blob_key(&draft.public_id, part),
                now: self.clock.now(),
                room: (INLINE_PARTS_MAX as u64 / 2).saturating_sub(kept),
                noted: draft.upload_noted,
            });
        }
        upload.emit(header).await?;
        Ok(upload)
    }

    /// Drops a draft and whatever it stored.
    pub async fn discard_draft(&self, draft: Draft) {
        if draft.upload_noted {
            self.forget_upload(&draft.public_id).await;
        }
    }

    /// Tells the store, once, that `draft` is about to write blobs, so that they
    /// are found and deleted should the draft never become a message.
    pub(super) async fn note_upload(&self, draft: &mut Draft) -> Result<(), DomainError> {
        if !draft.upload_noted {
            self.store.begin_upload(&draft.public_id, self.clock.now()).await?;
            draft.upload_noted = true;
        }
        Ok(())
    }

    /// Deletes the blobs of an upload that will not become a message, then the
    /// note of it (kept if the blobs could not be deleted, to try again later).
    pub(super) async fn forget_upload(&self, public_id: &PublicId) -> bool {
        let messaging = self.messaging();
        if let Err(error) = messaging.blobs.delete_prefix(&format!("{}/", public_id.to_hex())).await {
            tracing::warn!(%error, "could not delete a discarded draft's blobs; will try again");
            return false;
        }
        match self.store.end_upload(public_id).await {
            Ok(()) => {}
            // A full disk is logged once by the storage, not once per draft.
            Err(DomainError::Unavailable(_)) => return false,
            Err(error) => {
                tracing::warn!(?error, "could not forget a discarded draft's upload; will try again");
                return false;
            }
        }
        true
    }

    /// Deletes the blobs of uploads begun more than `older_than_seconds` ago that
    /// never became a message (the process stopped mid-upload, or refused drafts
    /// were kept when it restarted). Returns how many uploads were cleaned.
    pub async fn purge_stale_uploads(&self, older_than_seconds: i64) -> Result<usize, DomainError> {
        let before = self.clock.now().plus_seconds(-older_than_seconds);
        let mut cleaned = 0;
        for public_id in self.store.stale_uploads(before).await? {
            if self.forget_upload(&public_id).await {
                cleaned += 1;
            }
        }
        Ok(cleaned)
    }

    /// Seals and sends a draft: validates the fields, seals content and subject,
    /// stores the message with one notification per recipient. On refusal the draft
    /// comes back so the caller can show the form again (attachments stay stored).
    #[tracing::instrument(skip_all, fields(account = %draft.account.number))]
    pub async fn send_draft(
        &self,
        mut draft: Draft,
        request: &ComposeRequest,
        client: Option<&str>,
    ) -> Result<Message, (Draft, DomainError)> {
        let checked = async {
            let (recipients, expires_at) = self.validate(&draft, request)?;
            let options = self.allowed_options(&draft, request.options).await?;
            let outsider = self.check_outside_answer(&draft, &recipients).await?;
            Ok::<_, DomainError>(Checked {
                recipients,
                expires_at,
                options,
                outsider,
            })
        }
        .await;
        match checked {
            Ok(checked) => match self.seal_and_store(&mut draft, request, checked, client).await {
                Ok(message) => Ok(message),
                Err(error) => Err((draft, error)),
            },
            Err(error) => Err((draft, error)),
        }
    }

    /// Refuses a suspended account's message and what the account has switched off (a new message without Secure
    /// Compose, an answer without its Secure Reply, Reply All or Forward), read
    /// now, at sending, so a form or a forged post from before the switch changes
    /// nothing; and returns `options` without what the account does not allow.
    async fn allowed_options(&self, draft: &Draft, options: MessageOptions) -> Result<MessageOptions, DomainError> {
        let settings = match &draft.settings_now {
            Some(settings) => std::borrow::Cow::Borrowed(settings),
            None => std::borrow::Cow::Owned(self.account_for_sending(draft.account.id).await?.1),
        };
        let feature = draft
            .reply
            .as_ref()
            .map_or(Feature::SecureCompose, |(_, kind)| kind.feature());
        if !settings.allows(feature) {
            return Err(ValidationError::FeatureSwitchedOff.into());
        }
        Ok(settings.clamp(options))
    }

    /// For a reply or forward by someone who is not a member of the original's
    /// account (an outside recipient): at most [`MAX_OUTSIDE_FORWARD_RECIPIENTS`]
    /// for a forward and [`OUTSIDE_ANSWERS_PER_HOUR`] answers an hour, since the
    /// mail leaves under the organisation's name. `true` for such an answer.
    async fn check_outside_answer(&self, draft: &Draft, recipients: &Recipients) -> Result<bool, DomainError> {
        let Some((original, kind)) = &draft.reply else {
            return Ok(false);
        };
        let member = self
            .store
            .member_accounts(draft.sender.id())
            .await?
            .iter()
            .any(|a| a.id == original.account_id);
        if member {
            return Ok(false);
        }
        if *kind == ReplyKind::Forward && recipients.len() > MAX_OUTSIDE_FORWARD_RECIPIENTS {
            return Err(DomainError::invalid("to", ValidationError::TooManyForwardRecipients));
        }
        let key = format!("answers:{}", draft.sender.id().0);
        if !self.take_hourly_slots(&[(key, OUTSIDE_ANSWERS_PER_HOUR)]).await? {
            return Err(DomainError::invalid("to", ValidationError::TooManyAnswers));
        }
        Ok(true)
    }

    fn validate(
        &self,
        draft: &Draft,
        request: &ComposeRequest,
    ) -> Result<(Recipients, Option<Timestamp>), DomainError> {
        let (to, cc) = match &draft.reply {
            Some((original, kind @ (ReplyKind::Reply | ReplyKind::ReplyAll))) => {
                // Replies go where the original came from, whatever the form says.
                reply_addresses(original, &draft.reply_recipients, &draft.sender, *kind)
            }
            _ => (
                parse_addresses(&request.to).map_err(|e| DomainError::invalid("to", e))?,
                parse_addresses(&request.cc).map_err(|e| DomainError::invalid("cc", e))?,
            ),
        };
        let bcc = match &draft.reply {
            Some(_) => Vec::new(),
            None => parse_addresses(&request.bcc).map_err(|e| DomainError::invalid("bcc", e))?,
        };
        if to.is_empty() && bcc.is_empty() {
            return Err(DomainError::invalid("to", ValidationError::NoRecipients));
        }
        let mut recipients: Vec<(EmailAddress, RecipientKind)> =
            to.into_iter().map(|a| (a, RecipientKind::To)).collect();
        for address in cc {
            if !recipients.iter().any(|(a, _)| *a == address) {
                recipients.push((address, RecipientKind::Cc));
            }
        }
        for address in bcc {
            if !recipients.iter().any(|(a, _)| *a == address) {
                recipients.push((address, RecipientKind::Bcc));
            }
        }
        if recipients.len() > MAX_RECIPIENTS {
            return Err(DomainError::invalid("to", ValidationError::TooManyRecipients));
        }
        if request.subject.chars().count() > MAX_SUBJECT_CHARS || request.subject.contains(['\r', '\n']) {
            return Err(DomainError::invalid("subject", ValidationError::SubjectTooLong));
        }
        if request.body.len() > MAX_BODY_BYTES {
            return Err(DomainError::invalid("body", ValidationError::BodyTooLong));
        }
        let expires_at =
            parse_expiry(&request.expires_on, self.clock.now()).map_err(|e| DomainError::invalid("expires_on", e))?;
        let messaging = self.messaging();
        if draft.mode == DeliveryMode::Envelope && draft.sealed_len > messaging.config.max_envelope_payload {
            return Err(DomainError::invalid(
                "attachments",
                ValidationError::AttachmentsTooLarge,
            ));
        }
        Ok((recipients, expires_at))
    }

    async fn seal_and_store(
        &self,
        draft: &mut Draft,
        request: &ComposeRequest,
        checked: Checked,
        client: Option<&str>,
    ) -> Result<Message, DomainError> {
        let Checked {
            recipients,
            expires_at,
            options,
            outsider,
        } = checked;
        let messaging = self.messaging();
        let now = self.clock.now();
        let account_id = draft.account.id.0;
        let content = match &draft.forwarded {
            // A forward is the original plus a note, whatever else the form says.
            Some(original) => Content {
                subject: if original.subject.starts_with("Fwd: ") {
                    original.subject.clone()
                } else {
                    format!("Fwd: {}", original.subject)
                },
                body: format!(
                    "{}\n\n-------- Fwd --------\nFrom: {}\nDate: {}\nSubject: {}\n\n{}",
                    request.body.trim_end(),
                    original.from,
                    original.date,
                    original.subject,
                    original.body
                ),
                format: crate::services::content::BodyFormat::Text,
                attachments: draft.attachments.clone(),
            },
            None => Content {
                subject: request.subject.trim().to_owned(),
                body: request.body.clone(),
                format: if request.html {
                    crate::services::content::BodyFormat::Html
                } else {
                    crate::services::content::BodyFormat::Text
                },
                attachments: draft.attachments.clone(),
            },
        };
        let sealed_content = envelope::seal(
            &draft.key.dek,
            &context(account_id, &draft.public_id, 0),
            &content.encode(),
        )
        .map_err(DomainError::internal)?;
        let sealed_subject = envelope::seal(
            &draft.key.dek,
            &context(account_id, &draft.public_id, crate::messages::SUMMARY_PART),
            content.subject.as_bytes(),
        )
        .map_err(DomainError::internal)?;
        let payload_len = draft.sealed_len + sealed_content.len() as u64;
        // A small message keeps every part in its row, committed with it: no blob
        // to write and sync, nor an upload to note (and sync) before it. It fits
        // when no attachment had to go to the blob store already and the packed
        // parts stay within `INLINE_PARTS_MAX`.
        let all_in_memory = draft
            .attachments
            .iter()
            .all(|meta| draft.in_memory.iter().any(|(part, _)| *part == meta.part));
        let whole = draft.mode.stores_payload() && all_in_memory;
        let mut parts = vec![(0u32, sealed_content)];
        if whole {
            parts.extend(draft.in_memory.iter().cloned());
        }
        let inline_parts = whole
            .then(|| pack_parts(&parts))
            .filter(|packed| packed.len() <= INLINE_PARTS_MAX);
        if draft.mode.stores_payload() && inline_parts.is_none() {
            // Blobs then: the content and every part still in memory, the upload
            // noted first.
            self.note_upload(draft).await?;
            for (part, bytes) in parts.iter().take(1).chain(&draft.in_memory) {
                let mut writer = messaging.blobs.writer(&blob_key(&draft.public_id, *part)).await?;
                writer.write(bytes.clone()).await?;
                writer.finish().await?;
            }
        }
        let payload = if draft.mode.attaches_payload() && payload_len <= messaging.config.max_envelope_payload {
            Some(match inline_parts.as_ref() {
                Some(packed) => packed.clone(),
                None => {
                    if !whole {
                        for meta in &draft.attachments {
                            let bytes = match draft.in_memory.iter().find(|(part, _)| *part == meta.part) {
                                Some((_, bytes)) => bytes.clone(),
                                None => self.read_blob(&blob_key(&draft.public_id, meta.part)).await?,
                            };
                            parts.push((meta.part, bytes));
                        }
                    }
                    pack_parts(&parts)
                }
            })
        } else {
            None
        };

        let sender = &draft.sender.user;
        // Someone outside the account chose their own name when registering: the
        // organisation's mail names them by their address, plainly.
        let (sender_name, display) = if outsider {
            let account = draft.account.name.replace(['"', '\\', '\r', '\n'], "");
            (sender.email.to_string(), format!("{} via {account}", sender.email))
        } else {
            (
                sender.full_name(),
                draft.account.name.replace(['"', '\\', '\r', '\n'], ""),
            )
        };
        let from = match &draft.account.sending_address {
            Some(address) => format!("\"{display}\" <{address}>"),
            None => format!("\"{display} (Sealpost)\" <{}>", messaging.config.from_address),
        };
        let links = &messaging.config.links;
        let envelope_action = links.envelope_open();
        let register_action = links.register();
        let register_next = Links::message_path(&draft.public_id);
        // What the notification shows of the account, as its recipients' pages show
        // it (kept a few seconds; a change through the services shows at once).
        let branding = self.account_look(draft.account.id).await?.branding.clone();
        let profile = &draft.profile;
        let mut secrets = super::secret::Secrets::for_level(profile.security, &messaging.master_key)?;
        let mut outbox = Vec::with_capacity(recipients.len());
        for (address, _) in &recipients {
            // No Password Required: each recipient's own secret, in their mail only.
            let secret = secrets.issue(&draft.public_id, address, &draft.key.dek)?;
            let open_url = match &secret {
                Some(secret) => links.message_with_secret(&draft.public_id, secret),
                None => links.message_for(&draft.public_id, address.as_str()),
            };
            let known = self.store.user_by_email(address).await?;
            let locale = known
                .as_ref()
                .and_then(|user| user.locale)
                .unwrap_or(draft.profile.recipient_locale);
            let notice = SecureMessageNotice {
                locale,
                time_zone: known.as_ref().and_then(|user| user.time_zone.as_ref()),
                from: &from,
                sender_name: &sender_name,
                sender_email: &sender.email,
                recipient: address,
                sent_at: now,
                public_id: draft.public_id,
                open_url: &open_url,
                secret: secret.as_deref(),
                envelope_action: &envelope_action,
                register_action: &register_action,
                register_next: &register_next,
                payload: payload.as_deref(),
                attach_envelope: draft.mode != DeliveryMode::Link,
                branding: &branding,
                file_name: &profile.file_name,
                subject: profile.subject.as_deref(),
                help_url: profile.help_url.as_deref(),
                contact: profile.contact.as_ref(),
            };
            let mut mail = messaging.notifier.secure_message(&notice)?;
            secrets.seal(&mut mail)?;
            outbox.push(NewOutboxItem {
                kind: MailKind::Notification,
                to: address.clone(),
                mail,
                message: None,
                bounce_to: Some((
                    sender.email.clone(),
                    sender.locale.unwrap_or(draft.account.default_locale),
                )),
                created_at: now,
            });
        }
        let new = NewMessage {
            public_id: draft.public_id,
            account_id: draft.account.id,
            sender_id: sender.id,
            created_at: now,
            expires_at,
            options,
            mode: draft.mode,
            wrapped_dek: draft.key.wrapped.clone(),
            key_version: draft.key.key_version,
            sealed_subject,
            part_count: i64::try_from(draft.attachments.len() + 1).unwrap_or(i64::MAX),
            payload_len: i64::try_from(payload_len).unwrap_or(i64::MAX),
            in_reply_to: draft.reply.as_ref().map(|(m, _)| m.id),
            recipients,
            profile_id: profile.id,
            security: profile.security,
            also_audited: draft.also_audited.clone(),
            secrets: secrets.into_stored(),
            sealed_parts: inline_parts,
        };
        let action = match draft.reply_kind() {
            None => "message.sent",
            Some(ReplyKind::Forward) => "message.forwarded",
            Some(_) => "message.replied",
        };
        let event = self.event(
            Some(&draft.sender),
            Some(draft.account.id),
            action,
            &draft.public_id.to_hex(),
            client,
        );
        let message = self.store.insert_message(new, outbox, event).await?;
        self.wake_outbox();
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_split_deduplicated_and_checked() {
        let parsed = parse_addresses("a@example.com, B@example.com; a@example.com\nc@example.org").map(|v| v.len());
        assert_eq!(parsed, Ok(3));
        assert_eq!(
            parse_addresses("a@example.com, nope").map(|v| v.len()),
            Err(ValidationError::RecipientMalformed)
        );
        assert_eq!(parse_addresses("  ").map(|v| v.len()), Ok(0));
    }
}
