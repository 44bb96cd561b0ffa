//! The user page's port: one user in full, and what administrators do to them.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::NewOutboxItem;
use crate::model::{AuditEvent, LockNotice, UserDetail};
use crate::types::{AccountId, Timestamp, UserId};

/// Administering one user. Each method commits its change and the audit event
/// that records it in one transaction, or neither; an unknown or deleted user is
/// `NotFound`.
#[async_trait]
pub trait UserAdminStore: Send + Sync {
    /// Everything the user page shows; `None` for an unknown or deleted user.
    async fn user_detail(&self, id: UserId) -> StoreResult<Option<UserDetail>>;
    /// Whether `user` is a member of any group of `accounts`, a recipient of any of
    /// their messages, or was created by `creator`: whom an account administrator sees.
    async fn user_visible_in(&self, user: UserId, accounts: &[AccountId], creator: UserId) -> StoreResult<bool>;
    /// Remembers a successful login and the client it came from.
    async fn record_login_from(&self, id: UserId, at: Timestamp, ip: &str) -> StoreResult<()>;
    /// Why a (globally) locked user is locked and who locked them.
    async fn lock_notice(&self, id: UserId) -> StoreResult<Option<LockNotice>>;
    /// Changes the user's names.
    async fn set_user_names(&self, id: UserId, first: &str, last: &str, audit: AuditEvent) -> StoreResult<()>;
    /// Locks the user everywhere: status `locked`, the reason and who locked, and
    /// every session, remembered device and unused reset link ended.
    async fn lock_user(&self, id: UserId, reason: &str, by: UserId, audit: AuditEvent) -> StoreResult<()>;
    /// Ends a global lock: back to `active`, or `pending` for a user who never set
    /// a password. `NotFound` when the user is not locked.
    async fn unlock_user(&self, id: UserId, audit: AuditEvent) -> StoreResult<()>;
    /// The next login can only set a new password.
    async fn require_password_change(&self, id: UserId, audit: AuditEvent) -> StoreResult<()>;
    /// Removes the user's TOTP secret, passkeys, recovery codes and logins waiting
    /// for a second step: the password alone logs in again (or the login sets two-step
    /// verification up anew where an account requires it), and queues `notice`, the
    /// mail that tells the user, in the same write.
    async fn reset_second_factors(&self, id: UserId, notice: &NewOutboxItem, audit: AuditEvent) -> StoreResult<()>;
    /// Deletes the user: the row stays (their messages keep their sender and stay
    /// readable by their other recipients) without password, sessions, devices,
    /// links, memberships, account locks or operator rights, and lists pass over it.
    async fn delete_user(&self, id: UserId, at: Timestamp, audit: AuditEvent) -> StoreResult<()>;
}
