//! The account-token port: tokens for machines, stored as hashes.

use async_trait::async_trait;

use super::StoreResult;
use crate::account_tokens::{AccountToken, NewAccountToken};
use crate::model::AuditEvent;
use crate::types::{AccountId, Timestamp};

/// Account tokens (see [`crate::account_tokens`]).
#[async_trait]
pub trait AccountTokenStore: Send + Sync {
    /// Stores a new token with its audit event. `Conflict { field: "public_id" }`
    /// when the public id is taken (the caller draws another).
    async fn insert_account_token(&self, token: &NewAccountToken, audit: AuditEvent) -> StoreResult<AccountToken>;
    /// The account's tokens, newest first, revoked ones too.
    async fn account_tokens(&self, account: AccountId) -> StoreResult<Vec<AccountToken>>;
    /// The token with this public id and its stored secret hash, if any.
    async fn account_token_by_public_id(&self, public_id: &str) -> StoreResult<Option<(AccountToken, String)>>;
    /// Revokes a live token of this account, with its audit event. `NotFound`
    /// when the account has no such token or it is already revoked.
    async fn revoke_account_token(
        &self,
        account: AccountId,
        id: i64,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Notes a use of the token: when, and from which client address.
    async fn note_account_token_use(&self, id: i64, at: Timestamp, from: &str) -> StoreResult<()>;
}
