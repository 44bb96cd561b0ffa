//! The settings port: per-account settings, a row per set setting.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::AccountKey;
use crate::model::{Account, AuditEvent};
use crate::settings::SettingChange;
use crate::types::AccountId;

/// What sending a message reads of its account, in one statement.
#[derive(Debug, Clone)]
pub struct SendingAccount {
    pub account: Account,
    /// The set settings as stored `(name, value)` rows.
    pub settings: Vec<(String, String)>,
    /// The account's newest key version; `None` before its first message.
    pub current_key: Option<AccountKey>,
}

/// Per-account settings (see [`crate::settings`]): a row per set setting.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The account's set settings as stored `(name, value)` rows.
    async fn account_settings(&self, account: AccountId) -> StoreResult<Vec<(String, String)>>;
    /// The account, its set settings and its current key, in one read (sending asks
    /// all three, on every message). `NotFound` when no account has this id.
    async fn account_with_settings(&self, account: AccountId) -> StoreResult<SendingAccount>;
    /// Writes each change (a `None` value deletes the row) with its audit event,
    /// all in one transaction. `NotFound`, and nothing written, when no account
    /// has this id.
    async fn change_account_settings(
        &self,
        account: AccountId,
        changes: Vec<(SettingChange, AuditEvent)>,
    ) -> StoreResult<()>;
}
