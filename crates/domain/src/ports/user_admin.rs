//! The user page's port: one user in full, and what administrators do to them.

use async_trait::async_trait;

use super::StoreResult;
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
    /// Whether `user` is a member of a group of `account` or a recipient of one
    /// of its messages.
    async fn user_in_account(&self, user: UserId, account: AccountId) -> StoreResult<bool>;
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
    /// Locks the user out of one account (its messages and membership).
    async fn lock_in_account(
        &self,
        account: AccountId,
        user: UserId,
        reason: &str,
        by: UserId,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Ends an account's lock; `NotFound` when there is none.
    async fn unlock_in_account(&self, account: AccountId, user: UserId, audit: AuditEvent) -> StoreResult<()>;
    /// Whether `account` locked `user` out.
    async fn locked_in_account(&self, account: AccountId, user: UserId) -> StoreResult<bool>;
    /// Removes the user from every group of `account`; `NotFound` when they were in none.
    async fn remove_from_account(&self, account: AccountId, user: UserId, audit: AuditEvent) -> StoreResult<()>;
    /// Deletes the user: the row stays (their messages keep their sender and stay
    /// readable by their other recipients) without password, sessions, devices,
    /// links, memberships, account locks or operator rights, and lists pass over it.
    async fn delete_user(&self, id: UserId, at: Timestamp, audit: AuditEvent) -> StoreResult<()>;
}
