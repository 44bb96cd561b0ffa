//! Secure messages: composing and sealing, notifying, opening, replying, and the
//! sender's and administrators' control (lock, expire), plus the recipient's way
//! in (registration, activation, password reset).
//!
//! Sealing: every message gets a fresh data key. Its content (subject, body,
//! attachment list) is sealed as part 0, each attachment as part 1.., the subject
//! again as a small summary for lists. Parts go to the blob store unless the
//! delivery mode keeps them only in the envelope. The message row, its recipients
//! and one notification per recipient commit in one transaction.

use std::sync::Arc;

use sealpost_crypto::envelope::{self, Context, Opener, Sealer};
use sealpost_crypto::keys::Key256;

use super::Services;
use super::content::{AttachmentMeta, Content, pack_parts, unpack_parts};
use super::keys::NewDataKey;
use crate::error::{DomainError, ValidationError};
use crate::links::Links;
use crate::messages::{
    DeliveryMode, MailKind, Message, MessageOptions, NewMessage, NewOutboxItem, PublicId, Recipient, RecipientKind,
    SecureMessageNotice,
};
use crate::model::{Account, User};
use crate::policy::Actor;
use crate::ports::{BlobReader, BlobStore, BlobWriter, Notifier};
use crate::types::{AccountNumber, EmailAddress, Timestamp, has_stray_control_characters};

mod kept;
pub use kept::DRAFT_KEEP_SECONDS;
pub(crate) use kept::KeptDrafts;

/// The most recipients one message may have (To and Cc together).
pub const MAX_RECIPIENTS: usize = 100;
/// The longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 255;
/// The longest body, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Messages listed per page.
pub const MESSAGES_PER_PAGE: u32 = 50;
/// The most addresses someone outside the sending account may forward one
/// message to (members of the account forward like they compose).
pub const MAX_OUTSIDE_FORWARD_RECIPIENTS: usize = 5;
/// Replies and forwards one person outside the sending account may send per hour.
pub const OUTSIDE_ANSWERS_PER_HOUR: i64 = 20;
/// How long an activation link lives.
pub const ACTIVATION_SECONDS: i64 = 48 * 60 * 60;
/// How long a password reset link lives.
pub const RESET_SECONDS: i64 = 60 * 60;

/// Settings of the messaging service.
#[derive(Debug, Clone)]
pub struct MessagingConfig {
    /// Every link mail carries, under the address people reach Sealpost at.
    pub links: Links,
    /// `From:` of every email Sealpost sends.
    pub from_address: String,
    /// The most attachment bytes one message may carry.
    pub max_attachment_bytes: u64,
    /// Envelopes carry the sealed payload only up to this size (mail systems refuse
    /// huge messages); larger stored messages are opened through the link.
    pub max_envelope_payload: u64,
    /// Where payloads live (DESIGN §5).
    pub delivery_mode: DeliveryMode,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        Self {
            links: Links::new("http://127.0.0.1:8080"),
            from_address: "sealpost@example.com".to_owned(),
            max_attachment_bytes: 100 * 1024 * 1024,
            max_envelope_payload: 10 * 1024 * 1024,
            delivery_mode: DeliveryMode::Stored,
        }
    }
}

/// What messaging needs beyond the core services.
pub struct Messaging {
    pub blobs: Arc<dyn BlobStore>,
    pub notifier: Arc<dyn Notifier>,
    /// The root of the key hierarchy; wraps the account keys.
    pub master_key: Arc<Key256>,
    pub config: MessagingConfig,
    /// Poked after queueing mail, so the outbox worker sends at once.
    pub outbox_waker: Arc<tokio::sync::Notify>,
}

/// How a new message relates to an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Reply,
    ReplyAll,
    Forward,
}

impl ReplyKind {
    /// Reads `reply`, `reply_all` or `forward`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "reply" => Some(Self::Reply),
            "reply_all" => Some(Self::ReplyAll),
            "forward" => Some(Self::Forward),
            _ => None,
        }
    }

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::ReplyAll => "reply_all",
            Self::Forward => "forward",
        }
    }
}

/// A message being composed: its key exists, its attachments stream in.
pub struct Draft {
    public_id: PublicId,
    account: Account,
    sender: Actor,
    key: NewDataKey,
    mode: DeliveryMode,
    attachments: Vec<AttachmentMeta>,
    /// Sealed attachment parts kept in memory (envelope mode only).
    in_memory: Vec<(u32, Vec<u8>)>,
    sealed_len: u64,
    plain_len: u64,
    reply: Option<(Message, ReplyKind)>,
    /// The original's recipients, for reply-all.
    reply_recipients: Vec<EmailAddress>,
    /// Whether the store knows this draft writes blobs (see
    /// [`UploadStore::begin_upload`](crate::ports::UploadStore::begin_upload)).
    upload_noted: bool,
    /// For a forward: the original, quoted below the forwarder's note. Its
    /// attachments are copied into the draft when it starts; nobody adds others.
    forwarded: Option<Forwarded>,
}

/// What a forward carries of its original, besides the attachments.
#[derive(Debug, Clone)]
struct Forwarded {
    subject: String,
    from: String,
    date: String,
    body: String,
}

impl Draft {
    /// The account the message will be sent from.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// What this draft replies to or forwards, if anything.
    pub fn reply_kind(&self) -> Option<ReplyKind> {
        self.reply.as_ref().map(|(_, kind)| *kind)
    }
}

/// One attachment streaming into a draft: sealed as it arrives, never whole in memory.
pub struct AttachmentUpload {
    meta: AttachmentMeta,
    /// `None` once finished.
    sealer: Option<Sealer>,
    writer: Option<Box<dyn BlobWriter>>,
    memory: Option<Vec<u8>>,
    sealed_len: u64,
    limit: u64,
}

impl AttachmentUpload {
    async fn emit(&mut self, sealed: Vec<u8>) -> Result<(), DomainError> {
        self.sealed_len += sealed.len() as u64;
        if let Some(writer) = self.writer.as_mut() {
            if !sealed.is_empty() {
                writer.write(sealed).await?;
            }
        } else if let Some(memory) = self.memory.as_mut() {
            memory.extend_from_slice(&sealed);
        }
        Ok(())
    }

    /// Seals and stores the next chunk; refuses once the message's limit is passed.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), DomainError> {
        self.meta.size += chunk.len() as u64;
        if self.meta.size > self.limit {
            return Err(DomainError::invalid(
                "attachments",
                ValidationError::AttachmentsTooLarge,
            ));
        }
        let sealed = self.sealer.as_mut().map(|s| s.push(chunk)).unwrap_or_default();
        self.emit(sealed).await
    }

    /// Finishes the attachment and adds it to the draft.
    pub async fn finish(mut self, draft: &mut Draft) -> Result<(), DomainError> {
        if let Some(sealer) = self.sealer.take() {
            let last = sealer.finish().map_err(DomainError::internal)?;
            self.emit(last).await?;
        }
        if let Some(writer) = self.writer.take() {
            writer.finish().await?;
        }
        if let Some(memory) = self.memory.take() {
            draft.in_memory.push((self.meta.part, memory));
        }
        draft.sealed_len += self.sealed_len;
        draft.plain_len += self.meta.size;
        draft.attachments.push(self.meta);
        Ok(())
    }

    /// Drops a half-uploaded attachment.
    pub async fn abort(mut self) {
        if let Some(writer) = self.writer.take() {
            writer.abort().await;
        }
    }
}

/// What the compose form submits besides attachments.
#[derive(Debug, Clone, Default)]
pub struct ComposeRequest {
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub body: String,
    pub options: MessageOptions,
    /// `YYYY-MM-DD`, or empty for no expiration.
    pub expires_on: String,
    /// Whether the body is HTML (sanitized when shown) rather than plain text.
    pub html: bool,
}

/// Validated recipients in order, with their kind.
type Recipients = Vec<(EmailAddress, RecipientKind)>;

/// A message as its sender, a recipient or an administrator sees it in a list.
#[derive(Debug, Clone)]
pub struct MessageSummary {
    pub message: Message,
    /// `None` for administrators, who see who and when, never what.
    pub subject: Option<String>,
    pub recipients: Vec<Recipient>,
}

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
    Domain(DomainError),
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
}

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

/// The fields a reply or forward starts with.
#[derive(Debug, Clone)]
pub struct ReplyDraft {
    pub to: String,
    pub cc: String,
    pub subject: String,
    pub body: String,
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

fn blob_key(id: &PublicId, part: u32) -> String {
    format!("{}/{part}", id.to_hex())
}

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

/// `YYYY-MM-DD` → the end of that day, UTC.
fn parse_expiry(raw: &str, now: Timestamp) -> Result<Option<Timestamp>, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw, &format).map_err(|_| ValidationError::ExpiryMalformed)?;
    let end = date
        .with_hms(23, 59, 59)
        .map_err(|_| ValidationError::ExpiryMalformed)?
        .assume_utc();
    let at =
        Timestamp(i64::try_from(end.unix_timestamp_nanos() / 1_000_000).map_err(|_| ValidationError::ExpiryMalformed)?);
    if at <= now {
        return Err(ValidationError::ExpiryInPast);
    }
    Ok(Some(at))
}

/// The expiration as the date field shows it.
pub fn expiry_field(at: Option<Timestamp>) -> String {
    at.and_then(|at| time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000).ok())
        .and_then(|t| {
            t.format(&time::macros::format_description!("[year]-[month]-[day]"))
                .ok()
        })
        .unwrap_or_default()
}

fn context(message_account: i64, id: &PublicId, part: u32) -> Context {
    Context {
        account_id: message_account,
        message_id: id.0,
        part,
    }
}

impl Services {
    /// Adds messaging to the services.
    pub fn with_messaging(mut self, messaging: Messaging) -> Self {
        self.messaging = Some(Arc::new(messaging));
        self
    }

    /// The messaging settings, when messaging is configured.
    pub fn messaging_config(&self) -> Option<&MessagingConfig> {
        self.messaging.as_deref().map(|m| &m.config)
    }

    pub(crate) fn messaging(&self) -> Result<&Messaging, DomainError> {
        self.messaging
            .as_deref()
            .ok_or_else(|| DomainError::internal(std::io::Error::other("messaging is not configured")))
    }

    /// How a message was delivered (an envelope's "Open Online" needs to know
    /// whether the service keeps a copy). Reveals nothing else.
    pub async fn message_mode(&self, public_id: &PublicId) -> Result<DeliveryMode, DomainError> {
        self.messaging()?;
        Ok(self.store.message(public_id).await?.mode)
    }

    /// The accounts `actor` may send from (any group membership).
    pub async fn sending_accounts(&self, actor: &Actor) -> Result<Vec<Account>, DomainError> {
        self.store.member_accounts(actor.id()).await
    }

    pub(crate) fn wake_outbox(&self) {
        if let Ok(messaging) = self.messaging() {
            messaging.outbox_waker.notify_one();
        }
    }

    /// Starts a new message from `account` (or the actor's only/first account).
    pub async fn start_draft(&self, actor: &Actor, account: Option<AccountNumber>) -> Result<Draft, DomainError> {
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
        self.draft_for(actor, account, None).await
    }

    /// Starts a reply, reply-all or forward of a message the actor received.
    pub async fn start_reply(
        &self,
        actor: &Actor,
        original: &PublicId,
        kind: ReplyKind,
    ) -> Result<(Draft, ReplyDraft), DomainError> {
        let opened = match self.read_message(actor, original, None).await {
            Ok((opened, _key)) => opened,
            Err(OpenFailure::Domain(e)) => return Err(e),
            Err(OpenFailure::Unavailable(_)) => return Err(ValidationError::NotAllowedByMessage.into()),
        };
        if !opened.allows(kind) {
            return Err(ValidationError::NotAllowedByMessage.into());
        }
        let account = self.store.account(opened.message.account_id).await?;
        let prefill = reply_fields(&opened, actor, kind);
        let mut draft = self
            .draft_for(actor, account, Some((opened.message.clone(), kind)))
            .await?;
        draft.reply_recipients = opened.recipients.iter().map(|r| r.email.clone()).collect();
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
                    Err(OpenFailure::Unavailable(_)) => return Err(ValidationError::NotAllowedByMessage.into()),
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
        let opened = match self.read_message(actor, original, None).await {
            Ok((opened, _key)) => opened,
            Err(OpenFailure::Domain(e)) => return Err(e),
            Err(OpenFailure::Unavailable(_)) => return Err(ValidationError::NotAllowedByMessage.into()),
        };
        if !opened.allows(kind) {
            return Err(ValidationError::NotAllowedByMessage.into());
        }
        Ok(reply_fields(&opened, actor, kind))
    }

    async fn draft_for(
        &self,
        actor: &Actor,
        account: Account,
        reply: Option<(Message, ReplyKind)>,
    ) -> Result<Draft, DomainError> {
        let messaging = self.messaging()?;
        let random = Key256::generate().map_err(DomainError::internal)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(&random.expose()[..16]);
        let key = self.new_data_key(account.id).await?;
        let mode = account.delivery_mode.unwrap_or(messaging.config.delivery_mode);
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
        let messaging = self.messaging()?;
        // After the highest part so far: a kept draft may have had some removed.
        let part = draft.attachments.iter().map(|a| a.part).max().unwrap_or(0) + 1;
        let ctx = context(draft.account.id.0, &draft.public_id, part);
        let (sealer, header) = Sealer::new(&draft.key.dek, &ctx).map_err(DomainError::internal)?;
        let mut upload = AttachmentUpload {
            meta: AttachmentMeta {
                part,
                name: sanitize_file_name(name),
                content_type: sanitize_content_type(content_type),
                size: 0,
            },
            sealer: Some(sealer),
            writer: None,
            memory: None,
            sealed_len: 0,
            limit: messaging.config.max_attachment_bytes.saturating_sub(draft.plain_len),
        };
        if draft.mode.stores_payload() {
            self.note_upload(draft).await?;
            upload.writer = Some(messaging.blobs.writer(&blob_key(&draft.public_id, part)).await?);
        } else {
            upload.memory = Some(Vec::new());
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
    async fn note_upload(&self, draft: &mut Draft) -> Result<(), DomainError> {
        if !draft.upload_noted {
            self.messaging()?;
            self.store.begin_upload(&draft.public_id, self.clock.now()).await?;
            draft.upload_noted = true;
        }
        Ok(())
    }

    /// Deletes the blobs of an upload that will not become a message, then the
    /// note of it (kept if the blobs could not be deleted, to try again later).
    async fn forget_upload(&self, public_id: &PublicId) -> bool {
        let Ok(messaging) = self.messaging() else {
            return false;
        };
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
        self.messaging()?;
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
        if draft.mode.stores_payload()
            && let Err(error) = self.note_upload(&mut draft).await
        {
            return Err((draft, error));
        }
        let checked = match self.validate(&draft, request) {
            Ok((recipients, expires_at)) => match self.check_outside_answer(&draft, &recipients).await {
                Ok(outsider) => Ok((recipients, expires_at, outsider)),
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        };
        match checked {
            Ok((recipients, expires_at, outsider)) => match self
                .seal_and_store(&draft, request, recipients, expires_at, outsider, client)
                .await
            {
                Ok(message) => Ok(message),
                Err(error) => Err((draft, error)),
            },
            Err(error) => Err((draft, error)),
        }
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
        if to.is_empty() {
            return Err(DomainError::invalid("to", ValidationError::NoRecipients));
        }
        let mut recipients: Vec<(EmailAddress, RecipientKind)> =
            to.into_iter().map(|a| (a, RecipientKind::To)).collect();
        for address in cc {
            if !recipients.iter().any(|(a, _)| *a == address) {
                recipients.push((address, RecipientKind::Cc));
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
        let messaging = self.messaging()?;
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
        draft: &Draft,
        request: &ComposeRequest,
        recipients: Vec<(EmailAddress, RecipientKind)>,
        expires_at: Option<Timestamp>,
        outsider: bool,
        client: Option<&str>,
    ) -> Result<Message, DomainError> {
        let messaging = self.messaging()?;
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
                format: super::content::BodyFormat::Text,
                attachments: draft.attachments.clone(),
            },
            None => Content {
                subject: request.subject.trim().to_owned(),
                body: request.body.clone(),
                format: if request.html {
                    super::content::BodyFormat::Html
                } else {
                    super::content::BodyFormat::Text
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
        if draft.mode.stores_payload() {
            let mut writer = messaging.blobs.writer(&blob_key(&draft.public_id, 0)).await?;
            writer.write(sealed_content.clone()).await?;
            writer.finish().await?;
        }
        let payload_len = draft.sealed_len + sealed_content.len() as u64;
        let payload = if draft.mode.attaches_payload() && payload_len <= messaging.config.max_envelope_payload {
            let mut parts = vec![(0u32, sealed_content)];
            if draft.mode.stores_payload() {
                for meta in &draft.attachments {
                    parts.push((meta.part, self.read_blob(&blob_key(&draft.public_id, meta.part)).await?));
                }
            } else {
                parts.extend(draft.in_memory.iter().cloned());
            }
            Some(pack_parts(&parts))
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
        let open_url = links.message(&draft.public_id);
        let envelope_action = links.envelope_open();
        let register_action = links.register();
        let register_next = Links::message_path(&draft.public_id);
        let mut outbox = Vec::with_capacity(recipients.len());
        for (address, _) in &recipients {
            let locale = match self.store.user_by_email(address).await? {
                Some(user) => user.locale.unwrap_or(draft.account.default_locale),
                None => draft.account.default_locale,
            };
            let notice = SecureMessageNotice {
                locale,
                from: &from,
                sender_name: &sender_name,
                sender_email: &sender.email,
                recipient: address,
                sent_at: now,
                public_id: draft.public_id,
                open_url: &open_url,
                envelope_action: &envelope_action,
                register_action: &register_action,
                register_next: &register_next,
                payload: payload.as_deref(),
                attach_envelope: draft.mode != DeliveryMode::Link,
            };
            outbox.push(NewOutboxItem {
                kind: MailKind::Notification,
                to: address.clone(),
                mail: messaging.notifier.secure_message(&notice)?,
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
            options: request.options,
            mode: draft.mode,
            wrapped_dek: draft.key.wrapped.clone(),
            key_version: draft.key.key_version,
            sealed_subject,
            part_count: i64::try_from(draft.attachments.len() + 1).unwrap_or(i64::MAX),
            payload_len: i64::try_from(payload_len).unwrap_or(i64::MAX),
            in_reply_to: draft.reply.as_ref().map(|(m, _)| m.id),
            recipients,
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

    async fn read_blob(&self, key: &str) -> Result<Vec<u8>, DomainError> {
        let mut reader = self.messaging()?.blobs.reader(key).await?;
        let mut out = Vec::new();
        while let Some(chunk) = reader.next_chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// Checks who may see `message` and whether it can be shown now.
    async fn access(&self, actor: &Actor, message: &Message) -> Result<(bool, Vec<Recipient>), OpenFailure> {
        self.messaging()?;
        let recipients = self.store.recipients(message.id).await?;
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
        Ok((is_sender, recipients))
    }

    /// Opens a message for its sender or one of its recipients. `posted` is the
    /// payload an envelope carried (needed when the service keeps no copy). Every
    /// view by a recipient is recorded (one access record); the first one, when
    /// asked for, sends the sender a read receipt.
    #[tracing::instrument(skip_all, fields(message = %public_id))]
    pub async fn open_message(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        posted: Option<&[u8]>,
        client: Option<&str>,
    ) -> Result<OpenedMessage, OpenFailure> {
        let (opened, _key) = self.read_message(actor, public_id, posted).await?;
        if !opened.viewer_is_sender {
            self.record_view(actor, &opened, client).await?;
        }
        Ok(opened)
    }

    /// Reads a message the actor may open, with its unwrapped data key, and
    /// records nothing: for what follows a recorded view (an attachment, the reply
    /// or forward form), which must not count as another view nor unwrap again.
    async fn read_message(
        &self,
        actor: &Actor,
        public_id: &PublicId,
        posted: Option<&[u8]>,
    ) -> Result<(OpenedMessage, Key256), OpenFailure> {
        self.messaging()?;
        let message = self.store.message(public_id).await?;
        let (viewer_is_sender, recipients) = self.access(actor, &message).await?;
        let dek = self.data_key(&message).await?.ok_or_else(|| {
            OpenFailure::Unavailable(Unavailable::Expired {
                at: message.expires_at.unwrap_or(self.clock.now()),
                sender: message.sender_email.clone(),
            })
        })?;
        let sealed = if message.mode.stores_payload() {
            match self.read_blob(&blob_key(public_id, 0)).await {
                Ok(sealed) => sealed,
                Err(DomainError::NotFound) => {
                    return Err(damaged(&message, "its content part is missing from the blob store"));
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
        let plain = match envelope::open(&dek, &context(message.account_id.0, public_id, 0), &sealed) {
            Ok(plain) => plain,
            Err(e) if !message.mode.stores_payload() => {
                tracing::warn!(message = %public_id, error = %e, "a posted envelope did not open: damaged, or another message's");
                return Err(OpenFailure::Unavailable(Unavailable::DamagedEnvelope {
                    sender: message.sender_email.clone(),
                }));
            }
            Err(error) => return Err(damaged(&message, &format!("its content part does not open: {error}"))),
        };
        let Some(content) = Content::decode(&plain) else {
            return Err(damaged(&message, "its content part opens but does not decode"));
        };
        let sender = self.store.user_by_id(message.sender_id).await?;
        Ok((
            OpenedMessage {
                message,
                content,
                recipients,
                sender,
                viewer_is_sender,
            },
            dek,
        ))
    }

    /// Records a recipient's view of `opened` (the audit event and the opening),
    /// with the read receipt on the first one when the sender asked for it.
    async fn record_view(
        &self,
        actor: &Actor,
        opened: &OpenedMessage,
        client: Option<&str>,
    ) -> Result<(), DomainError> {
        let messaging = self.messaging()?;
        let (message, sender, public_id) = (&opened.message, &opened.sender, &opened.message.public_id);
        // Only a first opening can send a receipt (`mark_opened` decides that
        // atomically); later views skip rendering one.
        let first_view = opened
            .recipients
            .iter()
            .any(|r| r.email == actor.user.email && r.opened_at.is_none());
        let receipt = if message.options.read_receipt && first_view {
            let link = messaging.config.links.sent(public_id);
            let account = self.store.account(message.account_id).await?;
            let locale = sender.locale.unwrap_or(account.default_locale);
            Some(NewOutboxItem {
                kind: MailKind::ReadReceipt,
                to: sender.email.clone(),
                mail: messaging.notifier.read_receipt(
                    &sender.email,
                    locale,
                    &actor.user.email,
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
        let event = self.event(
            Some(actor),
            Some(message.account_id),
            "message.opened",
            &public_id.to_hex(),
            client,
        );
        let first = self
            .store
            .mark_opened(message.id, &actor.user.email, self.clock.now(), receipt, event)
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
        // Part of a view already recorded: no second record, no second unwrap.
        let (opened, dek) = self.read_message(actor, public_id, posted).await?;
        let meta = opened
            .content
            .attachments
            .iter()
            .find(|a| a.part == part)
            .cloned()
            .ok_or(DomainError::NotFound)?;
        let ctx = context(opened.message.account_id.0, public_id, part);
        let messaging = self.messaging()?;
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

    /// A page of the messages the actor sent, newest first, with subjects.
    pub async fn sent_messages(
        &self,
        actor: &Actor,
        before: Option<crate::messages::MessageId>,
    ) -> Result<Vec<MessageSummary>, DomainError> {
        self.messaging()?;
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
        self.messaging()?;
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
        self.messaging()?;
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
        self.messaging()?;
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

    async fn summaries(&self, messages: Vec<Message>, with_subject: bool) -> Result<Vec<MessageSummary>, DomainError> {
        self.messaging()?;
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
    async fn subject(&self, message: &Message) -> Result<Option<String>, DomainError> {
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
        self.messaging()?;
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
        self.messaging()?;
        let lock = match reason {
            Some(reason) => {
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(DomainError::invalid("reason", ValidationError::LockReasonRequired));
                }
                if reason.chars().count() > 500 {
                    return Err(DomainError::invalid("reason", ValidationError::NameTooLong));
                }
                if has_stray_control_characters(reason) {
                    return Err(DomainError::invalid("reason", ValidationError::ControlCharacters));
                }
                Some((self.clock.now(), reason.to_owned()))
            }
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
        self.messaging()?;
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
        let messaging = self.messaging()?;
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

/// Where a `next` link may send the browser: see [`crate::redirect`].
pub use crate::redirect::safe_next;

/// Who a reply goes to: the original sender (reply), or the sender and every other
/// recipient but the replier (reply all).
fn reply_addresses(
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
    let everyone: Vec<EmailAddress> = opened.recipients.iter().map(|r| r.email.clone()).collect();
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

/// A file name safe to show and to send in `Content-Disposition`.
fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && !is_bidi_control(*c))
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

/// The invisible characters that reorder text: in a file name they make
/// `invoice\u{202e}fdp.exe` look like `invoiceexe.pdf`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A content type of the form `type/subtype`, else `application/octet-stream`.
fn sanitize_content_type(content_type: &str) -> String {
    let value = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let ok = value.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "/+-.".contains(c))
    });
    if ok {
        value
    } else {
        "application/octet-stream".to_owned()
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

    #[test]
    fn expiry_is_the_end_of_the_chosen_day_and_never_in_the_past() {
        let now = Timestamp(1_800_000_000_000);
        assert_eq!(parse_expiry("", now), Ok(None));
        assert_eq!(
            parse_expiry("2027-01-15", now).map(expiry_field),
            Ok("2027-01-15".to_owned())
        );
        assert_eq!(parse_expiry("2020-01-01", now), Err(ValidationError::ExpiryInPast));
        assert_eq!(parse_expiry("15.01.2027", now), Err(ValidationError::ExpiryMalformed));
    }

    #[test]
    fn attachment_names_and_types_are_tamed() {
        assert_eq!(
            sanitize_file_name("C:\\\\Users\\\\x\\\\report \"final\".pdf"),
            "report final.pdf"
        );
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name(""), "attachment");
        assert_eq!(sanitize_content_type("text/plain; charset=utf-8"), "text/plain");
        assert_eq!(sanitize_content_type("<script>"), "application/octet-stream");
        assert_eq!(safe_next("//evil.example"), "/portal");
        assert_eq!(safe_next("/m/abc"), "/m/abc");
    }

    #[test]
    fn attachment_names_lose_the_characters_that_reorder_text() {
        assert_eq!(sanitize_file_name("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
        assert_eq!(sanitize_file_name("\u{2067}a\u{2069}\u{200f}b.txt\u{061c}"), "ab.txt");
        assert_eq!(sanitize_file_name("Zürich – été.pdf"), "Zürich – été.pdf");
    }
}
