//! The account-administration port: what operators (and, for the name, account
//! administrators) change about an account as a whole, and the Accounts list.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::PublicId;
use crate::model::{Account, AuditEvent};
use crate::types::{AccountId, AccountName, AccountNumber, Timestamp, UserId};

/// How the Accounts list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountSort {
    /// By name, case-folded (then by number, so equal names keep one order).
    #[default]
    Name,
    /// By number.
    Number,
}

/// One page of the Accounts list: what to look for, in which order, from where.
#[derive(Debug, Clone, Default)]
pub struct AccountQuery {
    /// Part of the name (any case), or the leading digits of the number; empty for all.
    pub search: String,
    pub sort: AccountSort,
    /// Rows to pass over (the page times the page size).
    pub offset: u32,
    pub limit: u32,
    /// Only the accounts this user administers (`None`: every account, for operators).
    pub administered_by: Option<UserId>,
}

/// A page of accounts and how many match in all.
#[derive(Debug, Clone, Default)]
pub struct AccountPage {
    pub accounts: Vec<Account>,
    pub total: u64,
}

/// Renaming, suspending, deleting accounts and listing them a page at a time.
///
/// Each method commits its change and its audit event in one transaction, or neither.
#[async_trait]
pub trait AccountAdminStore: Send + Sync {
    /// Renames a live account. `NotFound` when it is deleted or unknown.
    async fn rename_account(&self, account: AccountId, name: &AccountName, audit: AuditEvent) -> StoreResult<()>;
    /// Suspends (`Some(since)`) or resumes (`None`) a live account.
    async fn set_account_suspended(
        &self,
        account: AccountId,
        since: Option<Timestamp>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Deletes a live account: marks it deleted, destroys its messages' data keys
    /// and its account keys, drops its groups (and so its memberships), settings,
    /// tokens, waiting sending address and not yet delivered notifications, and
    /// writes `audit` (the trail itself stays). Returns the public ids of its
    /// messages, whose stored blobs the caller deletes next.
    async fn delete_account(&self, account: AccountId, at: Timestamp, audit: AuditEvent) -> StoreResult<Vec<PublicId>>;
    /// A deleted account by number (operators reading its audit trail); `NotFound`
    /// when no deleted account has it.
    async fn deleted_account(&self, number: AccountNumber) -> StoreResult<Account>;
    /// One page of live accounts matching `query`, with the number of all matches.
    async fn search_accounts(&self, query: &AccountQuery) -> StoreResult<AccountPage>;
}
