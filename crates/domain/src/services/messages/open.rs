//! Opening: who may read a message, reading it, recording the view, attachments.

use super::*;
use crate::ports::MessageToOpen;
use crate::profiles::SecurityLevel;

/// Why a message cannot be shown, in words the recipient gets.
#[derive(Debug, Clone)]
pub enum Unavailable {
    /// Locked by the sender or an administrator, with their reason.
    Locked { reason: String, sender: EmailAddress },
    /// Expired (or its key destroyed) at this time.
    Expired { at: Timestamp, sender: EmailAddress },
    /// Envelope-only delivery: the service keeps no copy; open the envelope itself.
    NeedsEnvelope { sender: EmailAddress },
    /// Addressed to the viewer, who has not proven they read that mailbox (an
    /// administrator created the user): a proof link must be used first.
    MailboxUnproven { email: EmailAddress },
    /// The envelope posted with the request does not open under this message's key:
    /// damaged on the way, or the envelope of another message.
    DamagedEnvelope { sender: EmailAddress },
    /// Its payload is damaged (fails authentication) or missing: no attempt will
    /// ever open it, so it is gone as surely as an expired one. Logged with the
    /// message's public id and the reason at every attempt.
    Damaged { sender: EmailAddress },
}

/// Refuses to open `message` because its payload is damaged or missing, and says
/// in the log which message and why (the recipient only learns that it is gone).
fn damaged(message: &Message, reason: &str) -> OpenFailure {
    tracing::warn!(
        message = %message.public_id,
        reason,
        "a message can no longer be opened: its payload is damaged or missing"
    );
    OpenFailure::Unavailable(Unavailable::Damaged {
        sender: message.sender_email.clone(),
    })
}

/// The cause inside a port's or the envelope's error, for a log line.
fn cause(error: &DomainError) -> String {
    match error {
        DomainError::Internal(source) => source.to_string(),
        other => other.to_string(),
    }
}

/// A refusal to open.
#[derive(Debug)]
pub enum OpenFailure {
    Unavailable(Unavailable),
    /// The message's profile is High: its recipient types their password for this
    /// very opening (a live session is not enough); see
    /// [`Services::confirm_password_for_opening`].
    PasswordRequired,
    Domain(DomainError),
}

/// Why the password typed to open a High profile's message was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum RetypeRefusal {
    /// Too many wrong passwords (from this client, or for this user from any):
    /// try again after this many seconds; the password was not even checked.
    #[error("throttled for {0} s")]
    Throttled(i64),
    /// A wrong password (`DomainError::Invalid` on `password`), an unknown
    /// message, or the storage failing.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// Proof that the actor typed their password in this request, for opening a
/// message of a High profile. Only [`Services::confirm_password_for_opening`]
/// makes one, and it is not kept: the next opening asks again.
#[derive(Debug)]
pub struct PasswordConfirmed {
    user: crate::types::UserId,
}

impl From<DomainError> for OpenFailure {
    fn from(error: DomainError) -> Self {
        Self::Domain(error)
    }
}

/// An opened message.
#[derive(Debug, Clone)]
pub struct OpenedMessage {
    pub message: Message,
    pub content: Content,
    pub recipients: Vec<Recipient>,
    pub sender: User,
    pub viewer_is_sender: bool,
    /// The images the HTML body shows inline (see [`crate::inline_images`]),
    /// read for a view; empty for other reads.
    pub inline_images: Vec<InlineImage>,
}

/// An attachment the HTML body shows inline: a raster image, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    pub part: u32,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The image types shown inline: raster images a browser draws and nothing else
/// (an SVG may carry script).
const INLINE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// How many bytes of inline images one view reads at most; a larger image stays
/// an attachment only.
const INLINE_BYTES: u64 = 4 * 1024 * 1024;

impl OpenedMessage {
    /// Whether the viewer may answer in this way.
    pub fn allows(&self, kind: ReplyKind) -> bool {
        let options = self.message.options;
        !self.viewer_is_sender
            && match kind {
                ReplyKind::Reply => options.allow_reply,
                ReplyKind::ReplyAll => options.allow_reply_all,
                ReplyKind::Forward => options.allow_forward,
            }
    }
}

/// Where a download's bytes come from.
enum Source {
    /// A sealed blob, opened segment by segment as it streams.
    Sealed {
        reader: Box<dyn BlobReader>,
        opener: Option<Opener>,
        header: Vec<u8>,
        dek: Key256,
        ctx: Context,
    },
    /// Plaintext already in memory (envelope-only messages, verified whole).
    Plain(Option<Vec<u8>>),
}

/// A streamed, already verified attachment.
pub struct AttachmentDownload {
    pub meta: AttachmentMeta,
    source: Source,
}

/// Feeds sealed bytes to an opener, creating it once the header is complete.
fn feed(
    opener: &mut Option<Opener>,
    header: &mut Vec<u8>,
    dek: &Key256,
    ctx: &Context,
    chunk: &[u8],
) -> Result<Vec<u8>, DomainError> {
    if let Some(opener) = opener.as_mut() {
        return opener.push(chunk).map_err(DomainError::internal);
    }
    header.extend_from_slice(chunk);
    match envelope::parse_header(header) {
        Ok((_, header_len)) => {
            let mut fresh = Opener::new(dek, ctx, &header[..header_len]).map_err(DomainError::internal)?;
            let rest = header.split_off(header_len);
            let plain = fresh.push(&rest).map_err(DomainError::internal)?;
            *opener = Some(fresh);
            Ok(plain)
        }
        Err(_) if header.len() < 4096 => Ok(Vec::new()),
        Err(e) => Err(DomainError::internal(e)),
    }
}

impl AttachmentDownload {
    /// The next piece of plaintext; `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, DomainError> {
        match &mut self.source {
            Source::Plain(bytes) => Ok(bytes.take()),
            Source::Sealed {
                reader,
                opener,
                header,
                dek,
                ctx,
            } => loop {
                match reader.next_chunk().await? {
                    Some(chunk) => {
                        let plain = feed(opener, header, dek, ctx, &chunk)?;
                        if !plain.is_empty() {
                            return Ok(Some(plain));
                        }
                    }
                    None => {
                        let Some(done) = opener.take() else {
                            return Ok(None);
                        };
                        let last = done.finish().map_err(DomainError::internal)?;
                        return Ok((!last.is_empty()).then_some(last));
                    }
                }
            },
        }
    }
}

impl Services {
    pub(super) async fn read_blob(&self, key: &str) -> Result<Vec<u8>, DomainError> {
        self.messaging().blobs.read_all(key).await
    }

    /// Checks who may see `message` and whether it can be shown now.
    fn access(&self, actor: &Actor, message: &Message, recipients: &[Recipient]) -> Result<bool, OpenFailure> {
        let is_sender = message.sender_id == actor.id();
        let is_recipient = recipients.iter().any(|r| r.email == actor.user.email);
        if !is_sender && !is_recipient {
            return Err(DomainError::NotFound.into());
        }
        // Being logged in as the address is not enough: whoever created the user
        // may know its password. Only a used link proves the mailbox.
        if !is_sender && !actor.user.mailbox_proven() {
            return Err(OpenFailure::Unavailable(Unavailable::MailboxUnproven {
                email: actor.user.email.clone(),
            }));
        }
        self.availability(message, is_sender)?;
        Ok(is_sender)
    }

    /// Whether `message` can be shown now: not expired nor its key destroyed, and
    /// (to anyone but its sender) not locked.
    pub(super) fn availability(&self, message: &Message, is_sender: bool) -> Result<(), OpenFailure> {
        let now = self.clock.now();
        if message.wrapped_dek.is_none() || message.expired(now) {
            let at = message.expires_at.unwrap_or(now);
            return Err(OpenFailure::Unavailable(Unavailable::Expired {
                at,
                sender: message.sender_email.clone(),
            }));
        }
        if !is_sender && let (Some(_), reason) = (message.locked_at, &message.lock_reason) {
            return Err(OpenFailure::Unavailable(Unavailable::Locked {
                reason: reason.clone().unwrap_or_default(),
                sender: message.sender_email.clone(),
            }));
        }
        Ok(())
    }

    /// Opens a message for its sender or one of its recipients. `posted` is the
    /// payload an envelope carried (needed when the service keeps no copy). Every
    /// view by a recipient is recorded (one access record); the first one, when
    /// asked for, sends the sender a read receipt. For a recipient, the answers
    /// [`OpenedMessage::allows`] are those its account allows now.
    #[tracing::instrument(skip_all, fields(message = %public_id))]
    pub async fn open_message(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        posted: Option<&[u8]>,
        client: Option<&str>,
    ) -> Result<OpenedMessage, OpenFailure> {
        self.open_message_confirmed(actor, public_id, posted, client, None)
            .await
    }

    /// [`Self::open_message`] after the actor typed their password
    /// (`confirmed`), which a message of a High profile needs at every opening.
    pub async fn open_message_confirmed(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        posted: Option<&[u8]>,
        client: Option<&str>,
        confirmed: Option<&PasswordConfirmed>,
    ) -> Result<OpenedMessage, OpenFailure> {
        let confirmed = confirmed.is_some_and(|c| c.user == actor.id());
        let (mut opened, key) = self.read_message_as(actor, public_id, posted, confirmed).await?;
        self.read_inline_images(&mut opened, &key, posted).await;
        if !opened.viewer_is_sender {
            self.record_view(Some(actor), &actor.user.email, &opened, client)
                .await?;
            // Answers the account has switched off since (or all of them, while it is
            // suspended) are not offered; the server refuses them anyway (on fresh
            // reads), so the look kept for a few seconds is enough here.
            let look = self.account_look(opened.message.account_id).await?;
            opened.message.options = look.settings.clamp(opened.message.options);
            if !look.may_send {
                let options = &mut opened.message.options;
                options.allow_reply = false;
                options.allow_reply_all = false;
                options.allow_forward = false;
            }
        }
        Ok(opened)
    }

    /// Reads the images the HTML body of `opened` shows inline into
    /// `opened.inline_images`: raster images ([`INLINE_TYPES`]) among its
    /// attachments, [`INLINE_BYTES`] together at most. One that cannot be read
    /// is left out (logged): the body shows a broken image, the attachment list
    /// still offers it.
    pub(super) async fn read_inline_images(&self, opened: &mut OpenedMessage, dek: &Key256, posted: Option<&[u8]>) {
        if opened.content.format != crate::services::content::BodyFormat::Html {
            return;
        }
        let mut budget = INLINE_BYTES;
        for part in crate::inline_images::parts_in(&opened.content.body) {
            let Some(meta) = opened.content.attachments.iter().find(|a| a.part == part) else {
                continue;
            };
            if !INLINE_TYPES.contains(&meta.content_type.as_str()) || meta.size > budget {
                continue;
            }
            let content_type = meta.content_type.clone();
            match self.part_bytes(opened, dek, part, posted).await {
                Ok(bytes) => {
                    budget = budget.saturating_sub(bytes.len() as u64);
                    opened.inline_images.push(InlineImage {
                        part,
                        content_type,
                        bytes,
                    });
                }
                Err(error) => {
                    tracing::warn!(message = %opened.message.public_id, part, ?error, "an inline image could not be read; it is not shown");
                }
            }
        }
    }

    /// Attachment `part` of `opened`, whole.
    async fn part_bytes(
        &self,
        opened: &OpenedMessage,
        dek: &Key256,
        part: u32,
        posted: Option<&[u8]>,
    ) -> Result<Vec<u8>, OpenFailure> {
        let mut download = self.download_part(opened, dek.clone(), part, posted).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = download.next_chunk().await? {
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Checks the password the actor typed to open a message of a High profile.
    /// A wrong one is refused as on the password form and audited in the
    /// message's account (`message.password_refused`); nothing is opened.
    /// Wrong passwords are throttled as logins are (see [`RetypeRefusal::Throttled`]):
    /// while throttled, the password is not checked and nothing is opened.
    pub async fn confirm_password_for_opening(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        typed: &crate::types::Password,
        client: &str,
    ) -> Result<PasswordConfirmed, RetypeRefusal> {
        // Only the sender and the recipients may try: anyone else learns nothing,
        // spends no one's throttle and writes nothing into the account's trail.
        let (message, recipients, _) = self.store.message_to_read(public_id).await?;
        if message.sender_id != actor.id() && !recipients.iter().any(|r| r.email == actor.user.email) {
            return Err(DomainError::NotFound.into());
        }
        let now = self.clock.now();
        let throttle = crate::services::auth::RetypeThrottle::new(&actor.user, client);
        let wait = throttle.wait(self.store.as_ref(), now).await?;
        if wait > 0 {
            return Err(RetypeRefusal::Throttled(wait));
        }
        let credentials = self
            .store
            .credentials_by_email(&actor.user.email)
            .await?
            .ok_or(DomainError::NotFound)?;
        let stored = credentials.password_hash.unwrap_or_default();
        let typed = typed.clone();
        let verdict = crate::services::auth::verify_off_executor(typed, stored).await?;
        if !verdict {
            throttle.failed(self.store.as_ref(), now).await?;
            let event = self.event(
                Some(actor),
                Some(message.account_id),
                "message.password_refused",
                &public_id.to_hex(),
                Some(client),
            );
            self.store.record_audit(event).await?;
            return Err(DomainError::invalid("password", ValidationError::CurrentPasswordWrong).into());
        }
        throttle.succeeded(self.store.as_ref()).await?;
        Ok(PasswordConfirmed { user: actor.id() })
    }

    /// Reads a message the actor may open, with its unwrapped data key, and
    /// records nothing: for what follows a recorded view (an attachment, the reply
    /// or forward form), which must not count as another view nor unwrap again.
    pub(super) async fn read_message(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        posted: Option<&[u8]>,
    ) -> Result<(OpenedMessage, Key256), OpenFailure> {
        self.read_message_as(actor, public_id, posted, false).await
    }

    /// [`Self::read_message`]; `confirmed`: the actor typed their password in
    /// this request, which a recipient of a High profile's message must.
    async fn read_message_as(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        posted: Option<&[u8]>,
        confirmed: bool,
    ) -> Result<(OpenedMessage, Key256), OpenFailure> {
        let MessageToOpen {
            message,
            recipients,
            sender,
            viewer_locked,
        } = self.store.message_to_open(public_id, actor.id()).await?;
        let viewer_is_sender = self.access(actor, &message, &recipients)?;
        // An account administrator's lock: none of the account's messages open.
        if viewer_locked {
            return Err(DomainError::Forbidden.into());
        }
        if !viewer_is_sender && message.security == SecurityLevel::High && !confirmed {
            return Err(OpenFailure::PasswordRequired);
        }
        let dek = self.data_key(&message).await?.ok_or_else(|| {
            OpenFailure::Unavailable(Unavailable::Expired {
                at: message.expires_at.unwrap_or(self.clock.now()),
                sender: message.sender_email.clone(),
            })
        })?;
        let content = self.unseal_content(&message, &dek, posted).await?;
        Ok((
            OpenedMessage {
                message,
                content,
                recipients,
                sender,
                viewer_is_sender,
                inline_images: Vec::new(),
            },
            dek,
        ))
    }

    /// The content part of `message` opened under its data key: from its row (a
    /// small message), the blob store, or the `posted` envelope when the service
    /// keeps no copy.
    pub(super) async fn unseal_content(
        &self,
        message: &Message,
        dek: &Key256,
        posted: Option<&[u8]>,
    ) -> Result<Content, OpenFailure> {
        let public_id = &message.public_id;
        let sealed = if let Some(row) = &message.sealed_parts {
            match row_part(row, 0) {
                Some(sealed) => sealed,
                None => return Err(damaged(message, "its content part is missing from its row")),
            }
        } else if message.mode.stores_payload() {
            match self.read_blob(&blob_key(public_id, 0)).await {
                Ok(sealed) => sealed,
                Err(DomainError::NotFound) => {
                    return Err(damaged(message, "its content part is missing from the blob store"));
                }
                Err(error) => return Err(error.into()),
            }
        } else {
            let parts = posted.and_then(unpack_parts).unwrap_or_default();
            match parts.into_iter().find(|(part, _)| *part == 0) {
                Some((_, bytes)) => bytes,
                None => {
                    return Err(OpenFailure::Unavailable(Unavailable::NeedsEnvelope {
                        sender: message.sender_email.clone(),
                    }));
                }
            }
        };
        let plain = match envelope::open(dek, &context(message.account_id.0, public_id, 0), &sealed) {
            Ok(plain) => plain,
            Err(e) if !message.mode.stores_payload() => {
                tracing::warn!(message = %public_id, error = %e, "a posted envelope did not open: damaged, or another message's");
                return Err(OpenFailure::Unavailable(Unavailable::DamagedEnvelope {
                    sender: message.sender_email.clone(),
                }));
            }
            Err(error) => return Err(damaged(message, &format!("its content part does not open: {error}"))),
        };
        Content::decode(&plain).ok_or_else(|| damaged(message, "its content part opens but does not decode"))
    }

    /// Records the view of `opened` by its recipient `viewer` (the audit event and
    /// the opening), with the read receipt on the first one when the sender asked
    /// for it. `actor`: the viewer's user, `None` for a view by secret (No Password
    /// Required), which is audited as `message.opened_with_secret`.
    pub(super) async fn record_view(
        &self,
        actor: Option<&Actor>,
        viewer: &EmailAddress,
        opened: &OpenedMessage,
        client: Option<&str>,
    ) -> Result<(), DomainError> {
        let messaging = self.messaging();
        let (message, sender, public_id) = (&opened.message, &opened.sender, &opened.message.public_id);
        // Only a first opening can send a receipt (`mark_opened` decides that
        // atomically); later views skip rendering one.
        let first_view = opened
            .recipients
            .iter()
            .any(|r| r.email == *viewer && r.opened_at.is_none());
        // A receipt asked for before the account switched read receipts off is not sent.
        let receipt = if message.options.read_receipt
            && first_view
            && self
                .settings_of(message.account_id)
                .await?
                .allows(Feature::ReadReceipts)
        {
            let link = messaging.config.links.sent(public_id);
            let account = self.store.account(message.account_id).await?;
            let locale = sender.locale.unwrap_or(account.default_locale);
            Some(NewOutboxItem {
                kind: MailKind::ReadReceipt,
                to: sender.email.clone(),
                mail: messaging.notifier.read_receipt(
                    &sender.email,
                    locale,
                    sender.time_zone.as_ref(),
                    viewer,
                    message.created_at,
                    &link,
                )?,
                message: Some(message.id),
                bounce_to: None,
                created_at: self.clock.now(),
            })
        } else {
            None
        };
        let event = match actor {
            Some(actor) => self.event(
                Some(actor),
                Some(message.account_id),
                "message.opened",
                &public_id.to_hex(),
                client,
            ),
            None => self.event(
                None,
                Some(message.account_id),
                "message.opened_with_secret",
                &format!("{} {viewer}", public_id.to_hex()),
                client,
            ),
        };
        let first = self
            .store
            .mark_opened(message.id, viewer, self.clock.now(), receipt, event)
            .await?;
        if first && message.options.read_receipt {
            self.wake_outbox();
        }
        Ok(())
    }

    /// An attachment of a message the actor may open, verified whole before the
    /// first byte is handed out, so a damaged blob never yields partial plaintext.
    pub async fn open_attachment(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        part: u32,
        posted: Option<&[u8]>,
    ) -> Result<AttachmentDownload, OpenFailure> {
        self.open_attachment_confirmed(actor, public_id, part, posted, None)
            .await
    }

    /// [`Self::open_attachment`] after the actor typed their password (a High
    /// profile's message asks at every download too).
    pub async fn open_attachment_confirmed(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        part: u32,
        posted: Option<&[u8]>,
        confirmed: Option<&PasswordConfirmed>,
    ) -> Result<AttachmentDownload, OpenFailure> {
        let confirmed = confirmed.is_some_and(|c| c.user == actor.id());
        // Part of a view already recorded: no second record, no second unwrap.
        let (opened, dek) = self.read_message_as(actor, public_id, posted, confirmed).await?;
        self.download_part(&opened, dek, part, posted).await
    }

    /// Attachment `part` of a message already opened under `dek`, verified whole
    /// before the first byte is handed out.
    pub(super) async fn download_part(
        &self,
        opened: &OpenedMessage,
        dek: Key256,
        part: u32,
        posted: Option<&[u8]>,
    ) -> Result<AttachmentDownload, OpenFailure> {
        let public_id = &opened.message.public_id;
        let meta = opened
            .content
            .attachments
            .iter()
            .find(|a| a.part == part)
            .cloned()
            .ok_or(DomainError::NotFound)?;
        let ctx = context(opened.message.account_id.0, public_id, part);
        let messaging = self.messaging();
        if let Some(row) = &opened.message.sealed_parts {
            // A small message: its parts are in its row, read with it.
            let opens = row_part(row, part).and_then(|sealed| envelope::open(&dek, &ctx, &sealed).ok());
            return match opens {
                Some(plain) => Ok(AttachmentDownload {
                    meta,
                    source: Source::Plain(Some(plain)),
                }),
                None => Err(damaged(
                    &opened.message,
                    &format!("attachment part {part} in its row is missing or does not open"),
                )),
            };
        }
        if !opened.message.mode.stores_payload() {
            let parts = posted.and_then(unpack_parts).unwrap_or_default();
            let sealed = parts
                .into_iter()
                .find(|(p, _)| *p == part)
                .map(|(_, b)| b)
                .ok_or(DomainError::NotFound)?;
            let plain = envelope::open(&dek, &ctx, &sealed).map_err(|e| {
                tracing::warn!(message = %public_id, error = %e, part, "a posted envelope's attachment did not open");
                OpenFailure::Unavailable(Unavailable::DamagedEnvelope {
                    sender: opened.message.sender_email.clone(),
                })
            })?;
            return Ok(AttachmentDownload {
                meta,
                source: Source::Plain(Some(plain)),
            });
        }
        // Pass 1 verifies every segment and discards the plaintext; the download
        // (pass 2) decrypts again as it streams.
        let mut reader = match messaging.blobs.reader(&blob_key(public_id, part)).await {
            Ok(reader) => reader,
            Err(DomainError::NotFound) => {
                let reason = format!("attachment part {part} is missing from the blob store");
                return Err(damaged(&opened.message, &reason));
            }
            Err(error) => return Err(error.into()),
        };
        let (mut opener, mut header) = (None, Vec::new());
        while let Some(chunk) = reader.next_chunk().await? {
            if let Err(error) = feed(&mut opener, &mut header, &dek, &ctx, &chunk) {
                let reason = format!("attachment part {part} does not open: {}", cause(&error));
                return Err(damaged(&opened.message, &reason));
            }
        }
        let verified = match opener {
            Some(opener) => opener.finish().map(drop).map_err(|e| e.to_string()),
            None => Err("its header is missing".to_owned()),
        };
        if let Err(why) = verified {
            return Err(damaged(
                &opened.message,
                &format!("attachment part {part} does not open: {why}"),
            ));
        }
        let reader = messaging.blobs.reader(&blob_key(public_id, part)).await?;
        Ok(AttachmentDownload {
            meta,
            source: Source::Sealed {
                reader,
                opener: None,
                header: Vec::new(),
                dek,
                ctx,
            },
        })
    }
}

/// Sealed part `part` of the parts a message's row keeps (packed by
/// `pack_parts`); `None` if they do not unpack or lack it.
fn row_part(row: &[u8], part: u32) -> Option<Vec<u8>> {
    unpack_parts(row)?
        .into_iter()
        .find(|(p, _)| *p == part)
        .map(|(_, bytes)| bytes)
}
