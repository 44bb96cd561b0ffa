//! Who may read what: the recipient's way in (registration and activation), the
//! forgotten password, and proof of a mailbox.
//!
//! The right to read what was sent to an address comes only from proof of that
//! mailbox: a link mailed to it and used. Creating a user or choosing its password
//! proves nothing (an administrator of any account may do both), so a user whose
//! mailbox is not proven sees none of the messages addressed to them until they
//! ask for a proof link and use it in the same browser, register through a link,
//! or reset their password through one.
//!
//! Strangers learn nothing here: registering and "forgot password" answer the same
//! in every case, after the same work (one password hash for registrations, one
//! rendered mail and one write transaction for both), and the mailbox owner is told
//! by mail what happened. Link mails are limited per address and per client.

use sealpost_crypto::token;

use super::Services;
use super::messages::{ACTIVATION_SECONDS, RESET_SECONDS};
use crate::error::{DomainError, ValidationError};
use crate::messages::{
    Confirmation, LinkMail, MailKind, NewOutboxItem, PublicId, RegistrationAttempt, SecurityNotice, TokenPurpose,
};
use crate::model::{AuditEvent, SessionKind, User, UserStatus};
use crate::policy::Actor;
use crate::services::auth::{OpenedSession, hash_password, new_password};
use crate::types::{EmailAddress, Locale, PersonName, Timestamp};

/// How long a mailbox-proof link lives.
pub const PROOF_SECONDS: i64 = 60 * 60;
/// How long a sending-address confirmation link lives.
pub const SENDER_CONFIRM_SECONDS: i64 = 48 * 60 * 60;
/// Link mails (activation, reset, proof, "already registered") one address gets
/// per [`LINK_MAIL_WINDOW_SECONDS`].
pub const LINK_MAILS_PER_ADDRESS: i64 = 3;
/// Link mails one client may cause per [`LINK_MAIL_WINDOW_SECONDS`].
pub const LINK_MAILS_PER_CLIENT: i64 = 20;
/// The window of the link-mail limits: it starts again an hour after the last
/// counted mail.
pub const LINK_MAIL_WINDOW_SECONDS: i64 = 60 * 60;

/// What the registration form submits.
#[derive(Debug, Clone)]
pub struct RegisterRequest {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
    pub confirm_password: String,
    pub locale: Locale,
    /// Where to go after activation (a same-site path, e.g. the message).
    pub next: String,
}

/// What became of a mailbox-proof link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofOutcome {
    /// The mailbox is proven: its messages open for the signed-in user.
    Proven,
    /// A live link, used from a browser other than the one that asked for it: it
    /// proves nothing there (the person who asked may not own the mailbox).
    OtherBrowser,
    /// Unknown, used or expired.
    Invalid,
}

/// Why a mail was not sent, for the audit trail (never for the visitor).
#[derive(Debug, Clone, Copy)]
enum Withheld {
    RateLimited,
    NotInvited,
    Locked,
    NoActiveUser,
}

impl Withheld {
    fn outcome(self) -> &'static str {
        match self {
            Self::RateLimited => "refused: rate limited",
            Self::NotInvited => "refused: not invited",
            Self::Locked => "refused: locked",
            Self::NoActiveUser => "refused: no active user",
        }
    }
}

/// A one-time link to mail, for [`Services::send_link`].
pub(crate) struct LinkToSend<'a> {
    /// Whose it is: the mail goes to their address.
    pub(crate) user: &'a User,
    /// What using it does.
    pub(crate) purpose: TokenPurpose,
    /// The session (its id hash) it only works in; `None`: any.
    pub(crate) session: Option<&'a str>,
    /// How many seconds it works.
    pub(crate) lifetime: i64,
    /// The audit event's action, such as `user.password_reset_requested`.
    pub(crate) action: &'a str,
}

impl Services {
    /// Registers a recipient. Form mistakes (names, password) are refused with
    /// their message; otherwise the answer is the same whoever the address
    /// belongs to, and the mailbox owner hears by mail: an activation link when the
    /// address received a secure message (or was created by an administrator and
    /// never proved its mailbox), "you already have an account" with a reset link
    /// when it did, nothing for a stranger's or a locked address.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, request: &RegisterRequest, client: Option<&str>) -> Result<(), DomainError> {
        let email = EmailAddress::parse(&request.email).map_err(|e| DomainError::invalid("email", e))?;
        let first = PersonName::parse(&request.first_name).map_err(|e| DomainError::invalid("first_name", e))?;
        let last = PersonName::parse(&request.last_name).map_err(|e| DomainError::invalid("last_name", e))?;
        let password = new_password("password", &request.password, &request.confirm_password, &email)?;
        // The same work for every address from here on.
        let password_hash = hash_password(&password).await?;
        let messaging = self.messaging();
        let raw = token::random_token(32).map_err(DomainError::internal)?;
        let link = messaging.config.links.activation(&raw, &request.next);
        let mail = messaging.notifier.activation(&email, request.locale, &link)?;
        let existing = self.store.user_by_email(&email).await?;
        let invited = existing.is_some() || !self.store.received_messages(&email, None, 1).await?.is_empty();
        let withheld = if !self.take_link_mail_slot(&email, client).await? {
            Some(Withheld::RateLimited)
        } else {
            match &existing {
                Some(user) if user.status == UserStatus::Locked => Some(Withheld::Locked),
                Some(user) if user.mailbox_proven() => {
                    return self.send_known_address_notice(user, request.locale, client).await;
                }
                _ if !invited => Some(Withheld::NotInvited),
                _ => None,
            }
        };
        if let Some(why) = withheld {
            return self.record_withheld("user.registered", &email, why, client).await;
        }
        let now = self.clock.now();
        let attempt = RegistrationAttempt {
            first_name: first.as_str().to_owned(),
            last_name: last.as_str().to_owned(),
            password_hash,
            locale: request.locale,
            link: Confirmation {
                token_hash: token::hash_token(&raw),
                expires_at: now.plus_seconds(ACTIVATION_SECONDS),
                mail: NewOutboxItem {
                    kind: MailKind::Activation,
                    to: email.clone(),
                    mail,
                    message: None,
                    bounce_to: None,
                    created_at: now,
                },
            },
        };
        let event = self.event(None, None, "user.registered", email.as_str(), client);
        match self.store.begin_registration(&email, &attempt, now, event).await {
            Ok(_) => {}
            // Proven or locked since we looked: tell the owner as above.
            Err(DomainError::Conflict { field: "email" }) => {
                if let Some(user) = self.store.user_by_email(&email).await?
                    && user.status != UserStatus::Locked
                {
                    return self.send_known_address_notice(&user, request.locale, client).await;
                }
                return self
                    .record_withheld("user.registered", &email, Withheld::Locked, client)
                    .await;
            }
            Err(other) => return Err(other),
        }
        self.wake_outbox();
        Ok(())
    }

    /// Someone asked to register an address whose owner has an account: tell the
    /// owner, with a password-reset link in case that was them and they forgot.
    async fn send_known_address_notice(
        &self,
        user: &User,
        locale: Locale,
        client: Option<&str>,
    ) -> Result<(), DomainError> {
        let messaging = self.messaging();
        let locale = user.locale.unwrap_or(locale);
        let links = &messaging.config.links;
        let link = LinkToSend {
            user,
            purpose: TokenPurpose::PasswordReset,
            session: None,
            lifetime: RESET_SECONDS,
            action: "user.registration_known",
        };
        self.send_link(link, None, client, |raw| {
            messaging.notifier.link_mail(
                LinkMail::AlreadyRegistered,
                &user.email,
                locale,
                &links.password_reset(raw),
                None,
            )
        })
        .await
    }

    /// Whether a visitor who holds the link of message `public_id` and says they
    /// are `email` should be offered registration rather than login: `email` is a
    /// recipient of that very message and has no account that proved its mailbox
    /// (nor a locked one). Any other address or id gets the login page, so this
    /// tells nobody whether an address was written to elsewhere.
    pub async fn offers_registration(&self, public_id: &PublicId, email: &EmailAddress) -> Result<bool, DomainError> {
        let message = match self.store.message(public_id).await {
            Ok(message) => message,
            Err(DomainError::NotFound) => return Ok(false),
            Err(other) => return Err(other),
        };
        let recipients = self.store.recipients(message.id).await?;
        if !recipients.iter().any(|r| &r.email == email) {
            return Ok(false);
        }
        Ok(match self.store.user_by_email(email).await? {
            None => true,
            Some(user) => user.status != UserStatus::Locked && !user.mailbox_proven(),
        })
    }

    /// Follows an activation link: the user gets the password chosen in that very
    /// registration attempt, the mailbox is proven, every other attempt and session
    /// ends, and the user is logged in.
    pub async fn activate(&self, raw_token: &str, client: Option<&str>) -> Result<OpenedSession, DomainError> {
        let hash = token::hash_token(raw_token);
        let now = self.clock.now();
        let user_id = self
            .store
            .registration_user(&hash, now)
            .await?
            .ok_or(DomainError::invalid("token", ValidationError::LinkInvalid))?;
        let user = self.store.user_by_id(user_id).await?;
        let actor = Actor::acting(user.clone());
        let event = self.event(Some(&actor), None, "user.activated", user.email.as_str(), client);
        if !self.store.complete_registration(&hash, user_id, now, event).await? {
            return Err(DomainError::invalid("token", ValidationError::LinkInvalid));
        }
        let user = self.store.user_by_id(user_id).await?;
        self.open_session(user, SessionKind::Full).await
    }

    /// "Forgot password": the same answer whoever the address belongs to; an
    /// active user, or a pending member of an account, gets a single-use reset
    /// link (using it also proves the mailbox and activates the user).
    pub async fn request_password_reset(
        &self,
        email: &str,
        locale: Locale,
        client: Option<&str>,
    ) -> Result<(), DomainError> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(());
        };
        let user = self.store.user_by_email(&email).await?;
        if !self.take_link_mail_slot(&email, client).await? {
            return self
                .record_withheld("user.password_reset_requested", &email, Withheld::RateLimited, client)
                .await;
        }
        let messaging = self.messaging();
        let links = &messaging.config.links;
        let locale = user.as_ref().and_then(|u| u.locale).unwrap_or(locale);
        let render = |raw: &str| {
            messaging
                .notifier
                .password_reset(&email, locale, &links.password_reset(raw))
        };
        // A pending member (an address the SMTP gateway admitted through an allowed
        // sender domain) has no password yet: the reset link is how they set one.
        let pending_member = match &user {
            Some(user) if user.status == UserStatus::Pending => !self.store.member_accounts(user.id).await?.is_empty(),
            _ => false,
        };
        match user {
            Some(user) if user.status == UserStatus::Active || pending_member => {
                let link = LinkToSend {
                    user: &user,
                    purpose: TokenPurpose::PasswordReset,
                    session: None,
                    lifetime: RESET_SECONDS,
                    action: "user.password_reset_requested",
                };
                self.send_link(link, None, client, render).await
            }
            _ => {
                // Render it all the same: the answer takes as long as for a user.
                let _unsent = render("-")?;
                self.record_withheld("user.password_reset_requested", &email, Withheld::NoActiveUser, client)
                    .await
            }
        }
    }

    /// Whether a reset link is still good (to show its form or say it expired).
    pub async fn reset_link_valid(&self, raw_token: &str) -> Result<bool, DomainError> {
        Ok(self
            .store
            .token_user(
                &token::hash_token(raw_token),
                TokenPurpose::PasswordReset,
                self.clock.now(),
            )
            .await?
            .is_some())
    }

    /// Sets a new password through a reset link. The password is checked before the
    /// link is used up, so a refused password leaves the link working. Using it
    /// proves the mailbox, ends every session and every other reset link; the user
    /// is told by mail (in their language, else `locale`).
    pub async fn reset_password(
        &self,
        raw_token: &str,
        new: &str,
        confirmation: &str,
        locale: Locale,
        client: Option<&str>,
    ) -> Result<OpenedSession, DomainError> {
        let hash = token::hash_token(raw_token);
        let now = self.clock.now();
        let user_id = self
            .store
            .token_user(&hash, TokenPurpose::PasswordReset, now)
            .await?
            .ok_or(DomainError::invalid("token", ValidationError::LinkInvalid))?;
        let user = self.store.user_by_id(user_id).await?;
        let password = new_password("new_password", new, confirmation, &user.email)?;
        let new_hash = hash_password(&password).await?;
        let used = self
            .store
            .consume_token(&hash, TokenPurpose::PasswordReset, None, now)
            .await?;
        if used != Some(user_id) {
            return Err(DomainError::invalid("token", ValidationError::LinkInvalid));
        }
        let actor = Actor::acting(user.clone());
        let event = self.event(Some(&actor), None, "user.password_reset", user.email.as_str(), client);
        let notice = self.security_notice(SecurityNotice::PasswordChanged, &user, locale)?;
        self.store
            .set_password(user.id, &new_hash, false, Some(&notice), event)
            .await?;
        self.messaging().outbox_waker.notify_one();
        let user = self.store.user_by_id(user_id).await?;
        self.open_session(user, SessionKind::Full).await
    }

    /// Mails the signed-in user a link that proves their mailbox when used in this
    /// session (`session` is its id hash). `false` when the link-mail limit for the
    /// address or client is reached (nothing sent).
    pub async fn request_mailbox_proof(
        &self,
        actor: &Actor,
        session: &str,
        next: &str,
        locale: Locale,
        client: Option<&str>,
    ) -> Result<bool, DomainError> {
        let user = &actor.user;
        if user.mailbox_proven() {
            return Ok(true);
        }
        if !self.take_link_mail_slot(&user.email, client).await? {
            self.record_withheld(
                "user.mailbox_proof_requested",
                &user.email,
                Withheld::RateLimited,
                client,
            )
            .await?;
            return Ok(false);
        }
        let messaging = self.messaging();
        let links = &messaging.config.links;
        let locale = user.locale.unwrap_or(locale);
        let link = LinkToSend {
            user,
            purpose: TokenPurpose::Activation,
            session: Some(session),
            lifetime: PROOF_SECONDS,
            action: "user.mailbox_proof_requested",
        };
        self.send_link(link, None, client, |raw| {
            messaging.notifier.link_mail(
                LinkMail::MailboxProof,
                &user.email,
                locale,
                &links.mailbox_proof(raw, next),
                None,
            )
        })
        .await?;
        Ok(true)
    }

    /// Uses a mailbox-proof link in the session `session` (its id hash; `None`
    /// when not logged in).
    pub async fn prove_mailbox(
        &self,
        raw_token: &str,
        session: Option<&str>,
        client: Option<&str>,
    ) -> Result<ProofOutcome, DomainError> {
        let hash = token::hash_token(raw_token);
        let now = self.clock.now();
        let Some(owner) = self.store.token_user(&hash, TokenPurpose::Activation, now).await? else {
            return Ok(ProofOutcome::Invalid);
        };
        let user = self.store.user_by_id(owner).await?;
        let actor = Actor::acting(user);
        match self
            .store
            .consume_token(&hash, TokenPurpose::Activation, session, now)
            .await?
        {
            Some(_) => {
                self.store
                    .record_audit(self.event(
                        Some(&actor),
                        None,
                        "user.mailbox_proven",
                        actor.user.email.as_str(),
                        client,
                    ))
                    .await?;
                Ok(ProofOutcome::Proven)
            }
            None => {
                let mut event = self.event(None, None, "user.mailbox_proven", actor.user.email.as_str(), client);
                event.outcome = "refused: another browser".to_owned();
                self.store.record_audit(event).await?;
                Ok(ProofOutcome::OtherBrowser)
            }
        }
    }

    /// Counts one link mail against `email` and the client, unless either limit is
    /// reached (then `false`, and nothing is counted).
    async fn take_link_mail_slot(&self, email: &EmailAddress, client: Option<&str>) -> Result<bool, DomainError> {
        let mut keys = vec![(format!("mail-address:{email}"), LINK_MAILS_PER_ADDRESS)];
        if let Some(client) = client {
            keys.push((format!("mail-client:{client}"), LINK_MAILS_PER_CLIENT));
        }
        self.take_hourly_slots(&keys).await
    }

    /// Counts one use against every `(key, limit)` (the throttle table's counters,
    /// a window of [`LINK_MAIL_WINDOW_SECONDS`] after the last counted use), unless
    /// any limit is reached: then `false`, and nothing is counted.
    pub(crate) async fn take_hourly_slots(&self, keys: &[(String, i64)]) -> Result<bool, DomainError> {
        let now = self.clock.now();
        for (key, limit) in keys {
            if let Some((count, last)) = self.store.throttle_state(key).await? {
                let window_over = now.0 - last.0 >= LINK_MAIL_WINDOW_SECONDS * 1000;
                if window_over {
                    self.store.throttle_clear(key).await?;
                } else if count >= *limit {
                    return Ok(false);
                }
            }
        }
        for (key, _) in keys {
            self.store.throttle_failure(key, now).await?;
        }
        Ok(true)
    }

    /// Records that `action` was asked for `email` and nothing was mailed, and why.
    async fn record_withheld(
        &self,
        action: &str,
        email: &EmailAddress,
        why: Withheld,
        client: Option<&str>,
    ) -> Result<(), DomainError> {
        let mut event: AuditEvent = self.event(None, None, action, email.as_str(), client);
        why.outcome().clone_into(&mut event.outcome);
        self.store.record_audit(event).await
    }

    /// Issues the one-time link `link`: a random token whose hash is stored with its
    /// purpose for its lifetime (bound to its session when given), together with
    /// the email `render` makes around the raw token and the audit event of its
    /// action, in one transaction; then wakes the outbox. `actor` is the audit
    /// event's actor: an administrator who sent it (the user page's "Send password
    /// reset link"), `None` when the user asked for it.
    pub(crate) async fn send_link(
        &self,
        link: LinkToSend<'_>,
        actor: Option<&Actor>,
        client: Option<&str>,
        render: impl FnOnce(&str) -> Result<crate::messages::RenderedMail, DomainError>,
    ) -> Result<(), DomainError> {
        let LinkToSend {
            user,
            purpose,
            session,
            lifetime,
            action,
        } = link;
        let (raw, token_hash, expires_at) = self.new_link_token(lifetime)?;
        let now = self.clock.now();
        let kind = match purpose {
            TokenPurpose::Activation => MailKind::Activation,
            TokenPurpose::PasswordReset => MailKind::PasswordReset,
        };
        let link = Confirmation {
            token_hash,
            expires_at,
            mail: NewOutboxItem {
                kind,
                to: user.email.clone(),
                mail: render(&raw)?,
                message: None,
                bounce_to: None,
                created_at: now,
            },
        };
        let event = self.event(actor, None, action, user.email.as_str(), client);
        self.store.insert_token(user.id, purpose, session, &link, event).await?;
        self.wake_outbox();
        Ok(())
    }

    /// A new random link token, its hash, and when it stops working.
    pub(crate) fn new_link_token(&self, lifetime: i64) -> Result<(String, String, Timestamp), DomainError> {
        let raw = token::random_token(32).map_err(DomainError::internal)?;
        let hash = token::hash_token(&raw);
        Ok((raw, hash, self.clock.now().plus_seconds(lifetime)))
    }
}
