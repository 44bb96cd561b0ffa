//! Per-account settings, a row each (see `sealpost_domain::settings`).

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::AccountKey;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{SendingAccount, SettingsStore, StoreResult};
use sealpost_domain::settings::SettingChange;
use sealpost_domain::types::AccountId;
use sqlx::Row;

use crate::accounts::{ACCOUNT_COLUMNS, account_from_row};
use crate::columns::{Columns, from_rows};
use crate::statements::{Fetch, Run};
use crate::{SqlStore, accounts, audit, db_error};

#[async_trait]
impl SettingsStore for SqlStore {
    async fn account_settings(&self, account: AccountId) -> StoreResult<Vec<(String, String)>> {
        self.watched(async {
            let rows = sqlx::query("SELECT name, value FROM account_settings WHERE account_id = $1 ORDER BY name")
                .bind(account.0)
                .all(&self.pool)
                .await?;
            from_rows(&rows, |row| Ok((row.try_get("name")?, row.try_get("value")?)))
        })
        .await
    }

    async fn account_with_settings(&self, account: AccountId) -> StoreResult<SendingAccount> {
        self.watched(async {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS}, s.name AS setting_name, s.value AS setting_value, \
                 k.version AS key_version, k.wrapped AS key_wrapped, k.created_at AS key_created_at \
                 FROM accounts a \
                 LEFT JOIN account_keys k ON k.account_id = a.id \
                 AND k.version = (SELECT MAX(version) FROM account_keys WHERE account_id = a.id) \
                 LEFT JOIN account_settings s ON s.account_id = a.id WHERE a.id = $1 ORDER BY s.name"
            );
            let rows = sqlx::query(&sql).bind(account.0).all(&self.pool).await?;
            let first = rows.first().ok_or(DomainError::NotFound)?;
            let found = account_from_row(first).map_err(db_error)?;
            let current_key = match first.col::<Option<i64>>("key_version")? {
                Some(version) => Some(AccountKey {
                    account_id: found.id,
                    version,
                    wrapped: first.col("key_wrapped")?,
                    created_at: first.at("key_created_at")?,
                }),
                None => None,
            };
            let mut settings = Vec::with_capacity(rows.len());
            for row in &rows {
                let name: Option<String> = row.col("setting_name")?;
                let value: Option<String> = row.col("setting_value")?;
                if let (Some(name), Some(value)) = (name, value) {
                    settings.push((name, value));
                }
            }
            Ok(SendingAccount {
                account: found,
                settings,
                current_key,
            })
        })
        .await
    }

    /// Every change and its audit event, in one transaction. `NotFound` (and nothing
    /// written) when no account has this id.
    async fn change_account_settings(
        &self,
        account: AccountId,
        changes: Vec<(SettingChange, AuditEvent)>,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            accounts::ensure_account(&mut tx, account).await?;
            for (change, event) in &changes {
                let query = match &change.value {
                    Some(value) => sqlx::query(
                        "INSERT INTO account_settings (account_id, name, value) VALUES ($1, $2, $3) \
                         ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value",
                    )
                    .bind(account.0)
                    .bind(change.name)
                    .bind(value.as_str()),
                    None => sqlx::query("DELETE FROM account_settings WHERE account_id = $1 AND name = $2")
                        .bind(account.0)
                        .bind(change.name),
                };
                query.run(&mut *tx).await?;
                audit::insert_event(&mut tx, event).await?;
            }
            tx.commit().await.map_err(db_error)
        })
        .await
    }
}
