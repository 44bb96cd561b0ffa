//! The accounts port: the organisations that send secure mail.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::Confirmation;
use crate::model::{Account, AuditEvent, User};
use crate::types::{AccountId, AccountName, AccountNumber, EmailAddress, Locale, Timestamp, UserId};

/// Accounts, their settings and who administers or belongs to them.
///
/// Each method is one unit of work: it commits its change *and* the audit event
/// that records it in one transaction, or neither.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account with its built-in Account Administrators group and, when
    /// given, puts `admin` into it. `Conflict { field: "number" }` on a taken number.
    async fn create_account(
        &self,
        number: AccountNumber,
        name: &AccountName,
        default_locale: Locale,
        admin: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<Account>;
    /// `NotFound` when no account has this number.
    async fn account_by_number(&self, number: AccountNumber) -> StoreResult<Account>;
    /// Clears the address the account's notifications come from (and any address
    /// still waiting for confirmation).
    async fn clear_sending_address(&self, account: AccountId, audit: AuditEvent) -> StoreResult<()>;
    /// Notes `address` as the account's sending address once the link in
    /// `confirmation` is used, and queues that link's mail, together.
    async fn request_sending_address(
        &self,
        account: AccountId,
        address: &EmailAddress,
        confirmation: &Confirmation,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// The account and waiting address a live sending-address link confirms.
    async fn sending_confirmation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(AccountId, EmailAddress)>>;
    /// Uses a sending-address link of `account`: its waiting address takes effect.
    /// `false` when the link is no longer live.
    async fn confirm_sending_address(
        &self,
        account: AccountId,
        token_hash: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Every account, by number (operators).
    async fn list_accounts(&self) -> StoreResult<Vec<Account>>;
    /// The accounts whose Account Administrators group holds `user`, by number.
    async fn administered_accounts(&self, user: UserId) -> StoreResult<Vec<Account>>;
    /// The accounts in any of whose groups `user` is a member (and that did not
    /// lock them out: `account_user_locks`), by number.
    async fn member_accounts(&self, user: UserId) -> StoreResult<Vec<Account>>;
    /// The user with this address, if any, and whether they are a member of
    /// `account` as [`Self::member_accounts`] counts it, in one read (the SMTP
    /// gateway asks at every `MAIL FROM`).
    async fn member_by_email(&self, account: AccountId, email: &EmailAddress) -> StoreResult<Option<(User, bool)>>;
    /// Whether `user` is in the account's Account Administrators group.
    async fn is_account_admin(&self, account: AccountId, user: UserId) -> StoreResult<bool>;
    /// The account a message belongs to (replies are sent from the original's
    /// account even by a replier who is not its member).
    async fn account(&self, id: AccountId) -> StoreResult<Account>;
}
