//! Secure messages, one concern a file:
//! - `compose`: drafts, attachments streaming in, validation, sealing, sending;
//! - `reply`: replies and forwards (who they go to, what they quote and carry);
//! - `open`: who may read a message, reading it, recording each view, downloads;
//! - `manage`: the sender's, recipient's and administrators' lists, lock, expiry,
//!   and shredding expired messages' keys;
//! - `kept`: refused drafts kept for their corrected form;
//! - `gateway`: messages the SMTP gateway hands over, sent as drafts are;
//!   `gateway_senders` (who may author them), `gateway_profile` (the profile a
//!   header or subject tag chooses).
//! - `search`: the filtered lists (the Messages tab, the mailboxes' search);
//! - `secret`: No Password Required, opening by a recipient's secret.
//!
//! The recipient's way in (registration, activation, password reset, mailbox
//! proof) is in [`super::registration`].
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
    DeliveryMode, INLINE_PARTS_MAX, MailKind, Message, MessageOptions, NewMessage, NewOutboxItem, PublicId, Recipient,
    RecipientKind, SecureMessageNotice,
};
use crate::model::{Account, User};
use crate::policy::Actor;
use crate::ports::{BlobReader, BlobStore, BlobWriter, Notifier};
use crate::profiles::{EnvelopeProfile, ProfileId};
use crate::settings::{AccountSettings, Feature};
use crate::types::{AccountNumber, EmailAddress, Timestamp};

mod compose;
mod gateway;
mod gateway_profile;
mod gateway_senders;
mod kept;
mod manage;
mod open;
mod reply;
mod search;
mod secret;
pub use kept::DRAFT_KEEP_SECONDS;

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

    /// The account's switch that allows this kind of answer.
    pub fn feature(self) -> Feature {
        match self {
            Self::Reply => Feature::SecureReply,
            Self::ReplyAll => Feature::SecureReplyAll,
            Self::Forward => Feature::SecureForward,
        }
    }
}

pub use compose::{AttachmentUpload, ComposeRequest, Draft};
pub use gateway::{GatewayAttachment, GatewayControls, GatewayOutcome, GatewaySubmission};
pub use gateway_profile::find_tag;
pub use gateway_senders::{GATEWAY_SENDERS_GROUP, GatewaySender, from_header_matches};
pub use manage::MessageSummary;
pub use open::{
    AttachmentDownload, InlineImage, OpenFailure, OpenedMessage, PasswordConfirmed, RetypeRefusal, Unavailable,
};
pub use reply::ReplyDraft;
pub use search::{FILTER_MAX_CHARS, MessageListing, SUBJECT_SEARCH_MAX, clean_filter_text};
pub use secret::{GRANT_SECONDS, SecretOpening, SecretRefusal};

fn blob_key(id: &PublicId, part: u32) -> String {
    format!("{}/{part}", id.to_hex())
}

/// `YYYY-MM-DD` → the end of that day, UTC.
pub(crate) fn parse_expiry(raw: &str, now: Timestamp) -> Result<Option<Timestamp>, ValidationError> {
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
    /// The messaging settings.
    pub fn messaging_config(&self) -> &MessagingConfig {
        &self.messaging.config
    }

    pub(crate) fn messaging(&self) -> &Messaging {
        &self.messaging
    }

    /// How a message was delivered (an envelope's "Open Online" needs to know
    /// whether the service keeps a copy). Reveals nothing else.
    pub async fn message_mode(&self, public_id: &PublicId) -> Result<DeliveryMode, DomainError> {
        Ok(self.store.message(public_id).await?.mode)
    }

    /// The accounts `actor` may send from (any group membership).
    pub async fn sending_accounts(&self, actor: &Actor) -> Result<Vec<Account>, DomainError> {
        self.store.member_accounts(actor.id()).await
    }

    /// The switches of the account a message from `actor` would be sent from, so
    /// the compose form can show what is switched off (the server still refuses
    /// and clamps at sending): the original's account for an answer (only to its
    /// sender or a recipient: `NotFound` otherwise), else `account` or the actor's
    /// first. Defaults when the actor belongs to no account.
    pub async fn compose_settings(
        &self,
        actor: &Actor,
        account: Option<AccountNumber>,
        answering: Option<&PublicId>,
    ) -> Result<AccountSettings, DomainError> {
        let account_id = match answering {
            Some(original) => {
                let message = self.store.message(original).await?;
                let recipients = self.store.recipients(message.id).await?;
                if message.sender_id != actor.id() && !recipients.iter().any(|r| r.email == actor.user.email) {
                    return Err(DomainError::NotFound);
                }
                message.account_id
            }
            None => {
                let accounts = self.sending_accounts(actor).await?;
                let chosen = account
                    .and_then(|number| accounts.iter().find(|a| a.number == number))
                    .or(accounts.first());
                match chosen {
                    Some(a) => a.id,
                    None => return Ok(AccountSettings::default()),
                }
            }
        };
        self.settings_of(account_id).await
    }

    pub(crate) fn wake_outbox(&self) {
        self.messaging.outbox_waker.notify_one();
    }
}

/// Where a `next` link may send the browser: see [`crate::redirect`].
pub use crate::redirect::safe_next;

#[cfg(test)]
mod tests {
    use super::*;

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
}
