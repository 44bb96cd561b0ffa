//! The port of a user's standing in one account: whether they belong to it, its
//! lock on them, and their removal from it (an account administrator's actions on
//! the user page; the user-wide ones are [`super::UserAdminStore`]'s).

use async_trait::async_trait;

use super::StoreResult;
use crate::model::AuditEvent;
use crate::types::{AccountId, UserId};

/// A user in one account. Each change commits with its audit event, or neither.
#[async_trait]
pub trait AccountMemberStore: Send + Sync {
    /// Whether `user` is a member of a group of `account` or a recipient of one
    /// of its messages.
    async fn user_in_account(&self, user: UserId, account: AccountId) -> StoreResult<bool>;
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
}
