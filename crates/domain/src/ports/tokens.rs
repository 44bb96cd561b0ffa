//! The tokens port: registration attempts and one-time links.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::{Confirmation, RegistrationAttempt, TokenPurpose};
use crate::model::{AuditEvent, User};
use crate::types::{EmailAddress, Timestamp, UserId};

/// Registration attempts and one-time tokens (activation, password reset,
/// mailbox proof), stored as hashes.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a registration attempt for `email` (creating the pending user the
    /// first time) and queues its activation mail, with the audit event, in one
    /// transaction. The user's names and password stay untouched until the attempt's
    /// link is used. `Conflict { field: "email" }` for a locked user or one whose
    /// mailbox is proven already (they log in, or reset their password).
    async fn begin_registration(
        &self,
        email: &EmailAddress,
        attempt: &RegistrationAttempt,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<User>;
    /// The user whose live registration attempt (unexpired at `now`) has this link.
    async fn registration_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<UserId>>;
    /// Uses a registration link of `user`: the password, names and language of
    /// that attempt become the user's, who is active with the mailbox proven at
    /// `now`; every other attempt and every session of the user end, all in one
    /// transaction with the audit event. `false` when the link is no longer live
    /// (used, ended by another attempt's link, or expired); `Forbidden` for a
    /// locked user.
    async fn complete_registration(
        &self,
        token_hash: &str,
        user: UserId,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Stores a token's hash and queues the email that carries it, with the audit
    /// event, together. `session` binds the token to the session that asked for
    /// it: then only a request of that session can use it.
    async fn insert_token(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        session: Option<&str>,
        link: &Confirmation,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Uses a token once: returns its user if it exists, has this purpose, is not
    /// expired, was not used and (when bound to a session) `session` is that one;
    /// marks it used and the user's mailbox proven in the same transaction (the
    /// link reached the mailbox).
    async fn consume_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        session: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Option<UserId>>;
    /// The user a live token (unused, unexpired, of this purpose) belongs to,
    /// without using it up: a form can check a new password before spending the link.
    async fn token_user(&self, hash: &str, purpose: TokenPurpose, now: Timestamp) -> StoreResult<Option<UserId>>;
}
