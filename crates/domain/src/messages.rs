//! Secure messages: their records.
//!
//! What is secret never appears here in clear: the subject, body, attachment names
//! and contents travel only as sealed bytes (see `sealpost_crypto::envelope`). The
//! database keeps the wrapped data key and the sealed subject; the blob store keeps
//! the sealed parts; the outbox keeps notifications that say *that* a message
//! arrived, never what it says.
//!
//! The ports that keep, store and announce them live in [`crate::ports`]
//! ([`MessageStore`](crate::ports::MessageStore), [`KeyStore`](crate::ports::KeyStore),
//! [`OutboxStore`](crate::ports::OutboxStore), [`BlobStore`](crate::ports::BlobStore),
//! [`Notifier`](crate::ports::Notifier), …); this module imports no port, so
//! records and ports do not depend on each other both ways.

use std::fmt;

use crate::profiles::{ProfileId, SecurityLevel};
use crate::types::{AccountId, EmailAddress, Locale, Timestamp, UserId};

/// A message's database id; never shown (people see the [`PublicId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A message's random 128-bit public id: in links, envelopes and the sealed
/// header's associated data. Unguessable, so a link reveals nothing about others.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicId(pub [u8; 16]);

impl PublicId {
    /// 32 lower-case hex digits, as in URLs.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads 32 hex digits; anything else is `None`.
    pub fn parse(hex: &str) -> Option<Self> {
        let hex = hex.trim();
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicId({})", self.to_hex())
    }
}

/// To, Cc or Bcc (a recipient the others are never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientKind {
    To,
    Cc,
    Bcc,
}

impl RecipientKind {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::To => "to",
            Self::Cc => "cc",
            Self::Bcc => "bcc",
        }
    }

    /// Reads the stored value.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "cc" => Self::Cc,
            "bcc" => Self::Bcc,
            _ => Self::To,
        }
    }
}

/// Where the sealed payload lives (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryMode {
    /// In the blob store, and also attached to the envelope: link and attachment both work.
    #[default]
    Stored,
    /// Only in the envelope attachment; the service keeps nothing but keys.
    Envelope,
    /// Only in the blob store; the notification carries a link and no payload.
    Link,
}

impl DeliveryMode {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Envelope => "envelope",
            Self::Link => "link",
        }
    }

    /// Every mode, in the order a choice offers them.
    pub const ALL: [Self; 3] = [Self::Stored, Self::Envelope, Self::Link];

    /// The mode with this stored value, if it is one.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// Reads the stored value; unknown values mean the default.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "envelope" => Self::Envelope,
            "link" => Self::Link,
            _ => Self::Stored,
        }
    }

    /// Whether the sealed parts go to the blob store.
    pub fn stores_payload(self) -> bool {
        self != Self::Envelope
    }

    /// Whether the envelope attachment carries the sealed parts.
    pub fn attaches_payload(self) -> bool {
        self != Self::Link
    }
}

/// What the sender allows recipients to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageOptions {
    pub allow_reply: bool,
    pub allow_reply_all: bool,
    pub allow_forward: bool,
    /// Tell the sender when each recipient first opens the message.
    pub read_receipt: bool,
}

impl MessageOptions {
    /// Packed into one integer column: bit 0 reply, 1 reply all, 2 forward, 3 receipt.
    pub fn to_bits(self) -> i64 {
        i64::from(self.allow_reply)
            | i64::from(self.allow_reply_all) << 1
            | i64::from(self.allow_forward) << 2
            | i64::from(self.read_receipt) << 3
    }

    /// Unpacks [`MessageOptions::to_bits`].
    pub fn from_bits(bits: i64) -> Self {
        Self {
            allow_reply: bits & 1 != 0,
            allow_reply_all: bits & 2 != 0,
            allow_forward: bits & 4 != 0,
            read_receipt: bits & 8 != 0,
        }
    }
}

/// A secure message as stored: keys and sealed bytes, no plaintext.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: MessageId,
    pub public_id: PublicId,
    pub account_id: AccountId,
    pub sender_id: UserId,
    pub sender_email: EmailAddress,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub locked_at: Option<Timestamp>,
    /// What the recipient is told when the message is locked.
    pub lock_reason: Option<String>,
    pub options: MessageOptions,
    pub mode: DeliveryMode,
    /// The data key wrapped under the account key `key_version`; `None` once
    /// destroyed (crypto-shredding), after which no copy can be opened.
    pub wrapped_dek: Option<Vec<u8>>,
    pub key_version: i64,
    /// The subject, sealed as part [`SUMMARY_PART`], for lists.
    pub sealed_subject: Vec<u8>,
    /// How many sealed parts the payload has (content + attachments).
    pub part_count: i64,
    /// Total sealed payload size in bytes.
    pub payload_len: i64,
    /// The message this one replies to or forwards.
    pub in_reply_to: Option<MessageId>,
    /// The envelope profile it was sent with (`None`: before profiles, or deleted since).
    pub profile_id: Option<ProfileId>,
    /// What its recipients must show to open it, recorded when it was sent.
    pub security: SecurityLevel,
    /// The sealed parts (content and attachments, packed as
    /// `services::content::pack_parts` packs them) when the message's row keeps
    /// them (a small message, see [`INLINE_PARTS_MAX`]) rather than the blob store.
    /// Read only where the content is opened (`MessageStore::message_to_read`);
    /// `None` in lists, which never open content.
    pub sealed_parts: Option<Vec<u8>>,
}

/// The most bytes of sealed parts, packed, that a message's row keeps instead of
/// the blob store: such a message commits in one synced write, with no blob file,
/// folder or upload note to sync before it (the SMTP gateway's throughput rests on
/// this). Larger messages keep their parts as blobs, so rows stay small.
pub const INLINE_PARTS_MAX: usize = 64 * 1024;

impl Message {
    /// Whether the message has expired at `now`.
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// The sealed-part index of the subject summary.
pub const SUMMARY_PART: u32 = u32::MAX;
/// The sealed-part index of the content (subject, body, attachment list).
pub const CONTENT_PART: u32 = 0;

/// One recipient of a message.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: EmailAddress,
    pub kind: RecipientKind,
    pub opened_at: Option<Timestamp>,
    pub notified_at: Option<Timestamp>,
    /// Why the notification could not be delivered, when the outbox gave up on it:
    /// the relay's reply as it wrote it (what the sender's bounce quotes).
    pub delivery_error: Option<String>,
}

/// What a new message row is made of.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub public_id: PublicId,
    pub account_id: AccountId,
    pub sender_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub options: MessageOptions,
    pub mode: DeliveryMode,
    pub wrapped_dek: Vec<u8>,
    pub key_version: i64,
    pub sealed_subject: Vec<u8>,
    pub part_count: i64,
    pub payload_len: i64,
    pub in_reply_to: Option<MessageId>,
    pub recipients: Vec<(EmailAddress, RecipientKind)>,
    /// The envelope profile it is sent with (`None`: the built-in default).
    pub profile_id: Option<ProfileId>,
    /// The profile's security level, kept with the message.
    pub security: SecurityLevel,
    /// One more audit event committed with the message: the SMTP gateway's
    /// `gateway.submission`, so that its 250 waits for one synced write, not two.
    pub also_audited: Option<crate::model::AuditEvent>,
    /// No Password Required: per recipient, what the service keeps of their
    /// secret (stored with the message, in its transaction); empty otherwise.
    pub secrets: Vec<StoredRecipientSecret>,
    /// The sealed parts, packed, kept in the row (at most [`INLINE_PARTS_MAX`]
    /// bytes); `None` when they are blobs or travel only in the envelope.
    pub sealed_parts: Option<Vec<u8>>,
}

/// What the service keeps of one recipient's secret (No Password Required, see
/// `sealpost_crypto::secret`): never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecipientSecret {
    pub email: EmailAddress,
    /// Recognises the secret: HKDF of it with the message id.
    pub verifier: Vec<u8>,
    /// The message's data key wrapped under a key derived from the secret.
    pub wrapped_dek: Vec<u8>,
}

/// A version of an account's key, wrapped under the master key.
#[derive(Debug, Clone)]
pub struct AccountKey {
    pub account_id: AccountId,
    pub version: i64,
    pub wrapped: Vec<u8>,
    pub created_at: Timestamp,
}

/// A message's data key as wrapped, for re-wrapping under a newer account key.
#[derive(Debug, Clone)]
pub struct WrappedDataKey {
    pub message: MessageId,
    pub key_version: i64,
    pub wrapped: Vec<u8>,
}

/// Why an email is sent (decides what happens when it cannot be delivered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A recipient's notification of a secure message.
    Notification,
    /// The link that proves a registering recipient owns the mailbox.
    Activation,
    /// A single-use password reset link.
    PasswordReset,
    /// Tells a sender that a recipient opened their message.
    ReadReceipt,
    /// Tells a sender that a notification could not be delivered.
    Bounce,
    /// Tells a user of a change to how they log in ([`SecurityNotice`]), so that
    /// one they did not make does not go unnoticed.
    SecurityNotice,
}

impl MailKind {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notification => "notification",
            Self::Activation => "activation",
            Self::PasswordReset => "password_reset",
            Self::ReadReceipt => "read_receipt",
            Self::Bounce => "bounce",
            Self::SecurityNotice => "security_notice",
        }
    }

    /// Reads the stored value.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "activation" => Self::Activation,
            "password_reset" => Self::PasswordReset,
            "read_receipt" => Self::ReadReceipt,
            "bounce" => Self::Bounce,
            "security_notice" => Self::SecurityNotice,
            _ => Self::Notification,
        }
    }
}

/// An email rendered and ready to queue.
#[derive(Debug, Clone)]
pub struct RenderedMail {
    /// The `Message-ID` header value (without angle brackets): stable across retries,
    /// so a relay that saw it before can tell a redelivery apart.
    pub message_id: String,
    /// The whole RFC 5322 message, CRLF line endings.
    pub raw: Vec<u8>,
}

/// A row to add to the outbox.
#[derive(Debug, Clone)]
pub struct NewOutboxItem {
    pub kind: MailKind,
    pub to: EmailAddress,
    pub mail: RenderedMail,
    /// The secure message this email belongs to, if any.
    pub message: Option<MessageId>,
    /// Who hears about a permanent failure, and in which language.
    pub bounce_to: Option<(EmailAddress, Locale)>,
    pub created_at: Timestamp,
}

/// A claimed outbox row.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: MailKind,
    pub to: EmailAddress,
    pub message_id_header: String,
    pub raw: Vec<u8>,
    pub message: Option<MessageId>,
    pub bounce_to: Option<(EmailAddress, Locale)>,
    /// How many times the row has been claimed, this claim included (a crash
    /// between claim and outcome counts as an attempt).
    pub attempts: i64,
    pub created_at: Timestamp,
}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Proves the mailbox of an existing user (one an administrator created):
    /// bound to the session that asked for it.
    Activation,
    /// Sets a new password; using it also proves the mailbox.
    PasswordReset,
}

/// The mails whose point is one link to the address they go to. Each proves,
/// when used, that whoever used it reads that mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMail {
    /// Finishes a registration.
    Activation,
    /// Sets a new password.
    PasswordReset,
    /// Proves the mailbox of an existing user (one an administrator created);
    /// works only in the browser that asked for it.
    MailboxProof,
    /// Someone tried to register an address that has an account already: tells
    /// the owner, with a password-reset link in case they forgot it.
    AlreadyRegistered,
    /// Confirms an account's new sending address.
    SendingAddress,
}

impl LinkMail {
    /// The prefix of the mail's Fluent messages (`-subject`, `-heading`, `-intro`,
    /// `-button`, `-expiry`, `-ignore`).
    pub fn messages(self) -> &'static str {
        match self {
            Self::Activation => "mail-activation",
            Self::PasswordReset => "mail-reset",
            Self::MailboxProof => "mail-proof",
            Self::AlreadyRegistered => "mail-known",
            Self::SendingAddress => "mail-sender",
        }
    }
}

/// A change to how a user logs in that they hear of by mail (outbox kind
/// [`MailKind::SecurityNotice`]), so that one they did not make does not go unnoticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityNotice<'a> {
    /// An administrator reset the user's two-step verification.
    TwoStepReset,
    /// The user's own password was changed (on their page or by a reset link).
    PasswordChanged,
    /// The user turned off two-step verification by authenticator app.
    TwoStepOff,
    /// A passkey was added to the user's login: its name.
    PasskeyAdded(&'a str),
    /// One of the user's recovery codes logged them in.
    RecoveryCodeUsed,
}

impl<'a> SecurityNotice<'a> {
    /// The prefix of the mail's Fluent messages (`-subject`, `-heading`, `-intro`,
    /// `-button`, `-advice`).
    pub fn messages(self) -> &'static str {
        match self {
            Self::TwoStepReset => "mail-two-step-reset",
            Self::PasswordChanged => "mail-password-changed",
            Self::TwoStepOff => "mail-two-step-off",
            Self::PasskeyAdded(_) => "mail-passkey-added",
            Self::RecoveryCodeUsed => "mail-recovery-code-used",
        }
    }

    /// The name of what the notice is about (the passkey added), for its `$name`;
    /// empty where there is none.
    pub fn name(self) -> &'a str {
        match self {
            Self::PasskeyAdded(name) => name,
            _ => "",
        }
    }
}

/// A link about to be mailed: the hash of its token, when it stops working, and
/// the mail that carries it (stored together, so no link is mailed that was not
/// stored).
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub token_hash: String,
    pub expires_at: Timestamp,
    pub mail: NewOutboxItem,
}

/// One registration attempt: what the person chose, kept with the link mailed to
/// the address until that link is used. Nothing of it reaches the user before.
#[derive(Debug, Clone)]
pub struct RegistrationAttempt {
    pub first_name: String,
    pub last_name: String,
    /// PHC string of the password chosen in this attempt.
    pub password_hash: String,
    pub locale: Locale,
    pub link: Confirmation,
}

impl TokenPurpose {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// What a recipient's notification says.
#[derive(Debug, Clone)]
pub struct SecureMessageNotice<'a> {
    pub locale: Locale,
    /// The recipient's time zone for the dates the mail writes, when they have an
    /// account and chose one; `None`: UTC, named as such.
    pub time_zone: Option<&'a crate::types::TimeZoneName>,
    /// `From:` of the notification: the account's sending address.
    pub from: &'a str,
    pub sender_name: &'a str,
    pub sender_email: &'a EmailAddress,
    pub recipient: &'a EmailAddress,
    pub sent_at: Timestamp,
    pub public_id: PublicId,
    /// The direct link to the message.
    pub open_url: &'a str,
    /// Where the envelope's "Open Online" button posts.
    pub envelope_action: &'a str,
    /// Where the envelope's "Register" button goes (its fields become the query).
    pub register_action: &'a str,
    /// The path registering returns to: the message's page.
    pub register_next: &'a str,
    /// The sealed payload for the envelope to carry, when the delivery mode attaches it.
    pub payload: Option<&'a [u8]>,
    /// Whether to attach the Registered Envelope at all (not in link-only mode).
    pub attach_envelope: bool,
    /// The sending account's display name, colour and logo (the Images tab), so
    /// the recipient recognises the organisation.
    pub branding: &'a crate::branding::Branding,
    /// The envelope attachment's file name template (from the message's profile:
    /// `${date}` and `${time}` become the sending time, see
    /// [`crate::profiles::render_file_name`]).
    pub file_name: &'a str,
    /// The notification's subject line, when the profile sets one.
    pub subject: Option<&'a str>,
    /// A help page the envelope links to (https), from the profile.
    pub help_url: Option<&'a str>,
    /// An address the envelope names for questions, from the profile.
    pub contact: Option<&'a EmailAddress>,
    /// No Password Required: this recipient's secret, which the envelope's
    /// "Open Online" posts (`open_url` carries it too). Never logged or stored.
    pub secret: Option<&'a str>,
}
