//! The users port: who can log in, and how.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::NewOutboxItem;
use crate::model::{AuditEvent, Credentials, NewUser, OwnProfile, User, UserPage, UserQuery};
use crate::types::{EmailAddress, Locale, Timestamp, UserId};

/// The people known to the service, their passwords and their rights.
///
/// Each method is one unit of work: it commits its change *and* the audit event
/// that records it in one transaction, or neither.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user; `Conflict { field: "email" }` when the address is taken.
    async fn insert_user(&self, user: NewUser, audit: Option<AuditEvent>) -> StoreResult<User>;
    /// `NotFound` when there is no such user.
    async fn user_by_id(&self, id: UserId) -> StoreResult<User>;
    /// `None` when nobody has this address.
    async fn user_by_email(&self, email: &EmailAddress) -> StoreResult<Option<User>>;
    /// The user and their password hash, for logging in.
    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>>;
    /// Sets a new password hash, marks the user active, and ends all their sessions;
    /// queues `notice`, the mail that tells the user, in the same write.
    async fn set_password(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
        notice: Option<&NewOutboxItem>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Replaces the hash `replaced` with a stronger one of the same password;
    /// sessions stay. `NotFound` if the user is gone or their hash is no longer
    /// `replaced`: a password changed meanwhile must not be overwritten.
    async fn upgrade_password_hash(&self, id: UserId, replaced: &str, hash: &str) -> StoreResult<()>;
    /// Remembers a successful login.
    async fn record_login(&self, id: UserId, at: Timestamp) -> StoreResult<()>;
    /// Sets (or clears) the user's own language.
    async fn set_user_locale(&self, id: UserId, locale: Option<Locale>) -> StoreResult<()>;
    /// Saves the user's own names, language and time zone, with its audit event.
    async fn set_own_profile(&self, id: UserId, profile: &OwnProfile, audit: AuditEvent) -> StoreResult<()>;
    /// Grants or revokes operator rights.
    async fn set_operator(&self, id: UserId, operator: bool, audit: AuditEvent) -> StoreResult<()>;
    /// How many users exist at all (first start creates the operator when zero).
    async fn count_users(&self) -> StoreResult<i64>;
    /// A page of the users list.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<UserPage>;
}
