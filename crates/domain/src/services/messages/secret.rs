//! No Password Required: a message opened by the per-recipient secret its
//! envelope or link carries, without registration or login.
//!
//! Sealing ([`Secrets`]) gives each recipient 256 random bits; the service
//! keeps their verifier and the data key wrapped under a key derived from them
//! (`sealpost_crypto::secret`), never the secret. Opening
//! ([`Services::open_with_secret`]) finds the recipient by the verifier, unwraps
//! the data key with the presented secret (the account key is not used), records
//! the view as that recipient, and hands back a short-lived **download grant**:
//! the secret and an expiry sealed under a key derived from the master key, bound
//! to the message, which the web layer keeps in a cookie scoped to the message so
//! attachment downloads carry no secret in their URL. A wrong secret is refused
//! with nothing unwrapped or shown, audited (`message.secret_refused`, no secret
//! in it) and throttled per (message, client) and per client, as logins are.

use sealpost_crypto::secret::{RecipientSecret, derive_key};

use super::*;
use crate::messages::{RenderedMail, StoredRecipientSecret};
use crate::profiles::SecurityLevel;
use crate::sealed_mail::MailSeal;
use crate::services::auth::RetypeThrottle;

/// How long a download grant lasts after the opening that issued it.
pub const GRANT_SECONDS: i64 = 60 * 60;
/// The part number a grant is sealed as (no payload part has it).
const GRANT_PART: u32 = u32::MAX - 1;
/// The purpose the grant key is derived for.
const GRANT_PURPOSE: &str = "secret download grant";

/// Why a secret did not open a message.
#[derive(Debug)]
pub enum SecretRefusal {
    /// The secret (or grant) does not open this message: nothing was unwrapped.
    Wrong,
    /// Too many wrong secrets from this client: try again after this many
    /// seconds; the secret was not even checked.
    Throttled(i64),
    /// Opened by a right secret, but locked, expired or damaged.
    Unavailable(Unavailable),
    /// An unknown message (`NotFound`) or the storage failing.
    Domain(DomainError),
}

impl From<DomainError> for SecretRefusal {
    fn from(error: DomainError) -> Self {
        Self::Domain(error)
    }
}

impl From<OpenFailure> for SecretRefusal {
    fn from(failure: OpenFailure) -> Self {
        match failure {
            OpenFailure::Unavailable(why) => Self::Unavailable(why),
            // No level asks a password of a secret's holder; a failure to say so is a refusal.
            OpenFailure::PasswordRequired => Self::Wrong,
            OpenFailure::Domain(error) => Self::Domain(error),
        }
    }
}

/// A message opened by a recipient's secret.
#[derive(Debug)]
pub struct SecretOpening {
    /// The message, offering no answer (those need a login).
    pub opened: OpenedMessage,
    /// The recipient the secret belongs to.
    pub recipient: EmailAddress,
    /// The download grant (URL-safe base64), valid for [`GRANT_SECONDS`].
    pub grant: String,
}

/// The secrets of a message being sealed: for a No Password Required one, a
/// fresh secret per recipient (its encoded form goes into their mail only, what
/// is stored into the database) and its notifications sealed for the outbox.
pub(super) struct Secrets {
    /// `None` at any other level: nothing is issued or sealed.
    seal: Option<MailSeal>,
    stored: Vec<StoredRecipientSecret>,
}

impl Secrets {
    /// The secrets a message of `level` gets.
    pub(super) fn for_level(level: SecurityLevel, master: &Key256) -> Result<Self, DomainError> {
        let seal = match level {
            SecurityLevel::NoPasswordRequired => Some(MailSeal::from_master(master)?),
            _ => None,
        };
        Ok(Self {
            seal,
            stored: Vec::new(),
        })
    }

    /// A fresh secret for `recipient` of `public_id`, with the data key `dek`
    /// wrapped under it; its encoded form (`None` at other levels).
    pub(super) fn issue(
        &mut self,
        public_id: &PublicId,
        recipient: &EmailAddress,
        dek: &Key256,
    ) -> Result<Option<String>, DomainError> {
        if self.seal.is_none() {
            return Ok(None);
        }
        let secret = RecipientSecret::generate().map_err(DomainError::internal)?;
        self.stored.push(StoredRecipientSecret {
            email: recipient.clone(),
            verifier: secret.verifier(&public_id.0).map_err(DomainError::internal)?.to_vec(),
            wrapped_dek: secret
                .wrap(&public_id.0, recipient.as_str(), dek)
                .map_err(DomainError::internal)?,
        });
        Ok(Some(secret.encode()))
    }

    /// Seals a notification carrying a secret for its rest in the outbox.
    pub(super) fn seal(&self, mail: &mut RenderedMail) -> Result<(), DomainError> {
        if let Some(seal) = &self.seal {
            mail.raw = seal.seal(&mail.raw)?;
        }
        Ok(())
    }

    /// What the database keeps of the secrets issued.
    pub(super) fn into_stored(self) -> Vec<StoredRecipientSecret> {
        self.stored
    }
}

impl Services {
    /// Opens a No Password Required message for whoever presents a recipient's
    /// `secret` (as typed in the envelope or link), without a user: the view is
    /// recorded as that recipient's. `posted`: the envelope's payload, for a
    /// message the service keeps no copy of.
    #[tracing::instrument(skip_all, fields(message = %public_id))]
    pub async fn open_with_secret(
        &self,
        public_id: &PublicId,
        secret: &str,
        posted: Option<&[u8]>,
        client: &str,
    ) -> Result<SecretOpening, SecretRefusal> {
        let (message, recipients, sender) = self.store.message_to_read(public_id).await?;
        let throttle = RetypeThrottle::for_secret(&public_id.to_hex(), client);
        let now = self.clock.now();
        let wait = throttle.wait(self.store.as_ref(), now).await?;
        if wait > 0 {
            return Err(SecretRefusal::Throttled(wait));
        }
        let unlocked = match RecipientSecret::parse(secret.trim()) {
            Some(secret) => self
                .unlock(&message, &secret)
                .await?
                .map(|(email, dek)| (email, dek, secret)),
            None => None,
        };
        let Some((recipient, dek, secret)) = unlocked else {
            throttle.failed(self.store.as_ref(), now).await?;
            let mut event = self.event(
                None,
                Some(message.account_id),
                "message.secret_refused",
                &public_id.to_hex(),
                Some(client),
            );
            event.outcome = "refused".to_owned();
            self.store.record_audit(event).await?;
            return Err(SecretRefusal::Wrong);
        };
        throttle.succeeded(self.store.as_ref()).await?;
        // A recipient the sending account locked out reads none of its messages,
        // by secret no more than by session.
        if let Some(user) = self.store.user_by_email(&recipient).await? {
            self.ensure_not_locked_in(message.account_id, user.id).await?;
        }
        let mut opened = self
            .open_for_holder((message, recipients, sender), &dek, posted)
            .await?;
        self.record_view(None, &recipient, &opened, Some(client)).await?;
        self.read_inline_images(&mut opened, &dek, posted).await;
        // Answers are written as a user: offered only after logging in.
        opened.message.options = MessageOptions {
            read_receipt: opened.message.options.read_receipt,
            ..MessageOptions::default()
        };
        let grant = self.seal_grant(&opened.message, &secret)?;
        Ok(SecretOpening {
            opened,
            recipient,
            grant,
        })
    }

    /// Attachment `part` of a No Password Required message, for the holder of a
    /// download grant [`Self::open_with_secret`] issued for it (part of that
    /// recorded view: nothing is recorded again). An expired, damaged or foreign
    /// grant is [`SecretRefusal::Wrong`].
    pub async fn open_attachment_with_grant(
        &self,
        public_id: &PublicId,
        grant: &str,
        part: u32,
        posted: Option<&[u8]>,
    ) -> Result<AttachmentDownload, SecretRefusal> {
        let (message, recipients, sender) = self.store.message_to_read(public_id).await?;
        let Some(secret) = self.open_grant(&message, grant)? else {
            return Err(SecretRefusal::Wrong);
        };
        let Some((_, dek)) = self.unlock(&message, &secret).await? else {
            return Err(SecretRefusal::Wrong);
        };
        let opened = self
            .open_for_holder((message, recipients, sender), &dek, posted)
            .await?;
        Ok(self.download_part(&opened, dek, part, posted).await?)
    }

    /// The message `message_to_read` gave, as the holder of a recipient's secret
    /// sees it (never as its sender): refused when locked, expired or damaged,
    /// else its content unsealed under `dek`.
    async fn open_for_holder(
        &self,
        (message, recipients, sender): (Message, Vec<Recipient>, User),
        dek: &Key256,
        posted: Option<&[u8]>,
    ) -> Result<OpenedMessage, OpenFailure> {
        self.availability(&message, false)?;
        let content = self.unseal_content(&message, dek, posted).await?;
        Ok(OpenedMessage {
            message,
            content,
            recipients,
            sender,
            viewer_is_sender: false,
            inline_images: Vec::new(),
        })
    }

    /// The recipient `secret` belongs to and the data key it unwraps; `None`
    /// when it is no recipient's secret for `message`.
    async fn unlock(
        &self,
        message: &Message,
        secret: &RecipientSecret,
    ) -> Result<Option<(EmailAddress, Key256)>, DomainError> {
        let verifier = secret.verifier(&message.public_id.0).map_err(DomainError::internal)?;
        let Some(stored) = self.store.recipient_secret(message.id, &verifier).await? else {
            return Ok(None);
        };
        match secret.unwrap(&message.public_id.0, stored.email.as_str(), &stored.wrapped_dek) {
            Ok(dek) => Ok(Some((stored.email, dek))),
            Err(error) => {
                tracing::warn!(message = %message.public_id, %error, "a recipient's wrapped data key does not unwrap under their secret");
                Ok(None)
            }
        }
    }

    fn grant_key(&self) -> Result<Key256, DomainError> {
        derive_key(&self.messaging().master_key, GRANT_PURPOSE).map_err(DomainError::internal)
    }

    /// The secret and its expiry, sealed under the grant key for this message.
    fn seal_grant(&self, message: &Message, secret: &RecipientSecret) -> Result<String, DomainError> {
        use base64::Engine as _;
        let until = self.clock.now().plus_seconds(GRANT_SECONDS);
        let mut plain = until.0.to_be_bytes().to_vec();
        plain.extend_from_slice(secret.encode().as_bytes());
        let ctx = context(message.account_id.0, &message.public_id, GRANT_PART);
        let sealed = envelope::seal(&self.grant_key()?, &ctx, &plain).map_err(DomainError::internal)?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The secret inside a grant for this message that has not expired.
    fn open_grant(&self, message: &Message, grant: &str) -> Result<Option<RecipientSecret>, DomainError> {
        use base64::Engine as _;
        let Ok(sealed) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(grant.trim()) else {
            return Ok(None);
        };
        let ctx = context(message.account_id.0, &message.public_id, GRANT_PART);
        let Ok(plain) = envelope::open(&self.grant_key()?, &ctx, &sealed) else {
            return Ok(None);
        };
        let Some((until, encoded)) = plain.split_first_chunk::<8>() else {
            return Ok(None);
        };
        if Timestamp(i64::from_be_bytes(*until)) <= self.clock.now() {
            return Ok(None);
        }
        Ok(std::str::from_utf8(encoded).ok().and_then(RecipientSecret::parse))
    }
}
