//! The key hierarchy's stored half: account keys (wrapped under the master key),
//! the rotation of messages' data keys to a newer account key, and shredding (the
//! data keys of expired messages destroyed, which makes their blobs unreadable).

use async_trait::async_trait;
use sealpost_domain::messages::{AccountKey, MessageId, PublicId, WrappedDataKey};
use sealpost_domain::ports::{KeyStore, StoreResult};
use sealpost_domain::types::{AccountId, Timestamp};
use sqlx::Row;

use crate::columns::from_rows;
use crate::messages::public_ids;
use crate::statements::{Fetch, Run};
use crate::{SqlStore, db_error, insert_error, limit};

#[async_trait]
impl KeyStore for SqlStore {
    /// The key of `version`, or the newest one.
    async fn account_key(&self, account: AccountId, version: Option<i64>) -> StoreResult<Option<AccountKey>> {
        self.watched(async {
            let query = match version {
                Some(version) => sqlx::query(
                    "SELECT account_id, version, wrapped, created_at FROM account_keys \
                     WHERE account_id = $1 AND version = $2",
                )
                .bind(account.0)
                .bind(version),
                None => sqlx::query(
                    "SELECT account_id, version, wrapped, created_at FROM account_keys \
                     WHERE account_id = $1 ORDER BY version DESC LIMIT 1",
                )
                .bind(account.0),
            };
            let row = query.optional(&self.pool).await?;
            row.as_ref().map(account_key_from_row).transpose().map_err(db_error)
        })
        .await
    }

    /// Stores a key version. The primary key `(account_id, version)` makes a version
    /// that another process stored first a `Conflict { field: "key_version" }`; an
    /// unknown account is `NotFound`.
    async fn insert_account_key(&self, key: &AccountKey) -> StoreResult<()> {
        self.watched(async {
            sqlx::query("INSERT INTO account_keys (account_id, version, wrapped, created_at) VALUES ($1, $2, $3, $4)")
                .bind(key.account_id.0)
                .bind(key.version)
                .bind(key.wrapped.clone())
                .bind(key.created_at.0)
                .execute(&self.pool)
                .await
                .map_err(insert_error("key_version"))?;
            Ok(())
        })
        .await
    }

    /// Data keys still under a key version older than `current`, oldest message first.
    async fn stale_data_keys(&self, account: AccountId, current: i64, page: u32) -> StoreResult<Vec<WrappedDataKey>> {
        self.watched(async {
            let rows = sqlx::query(
                "SELECT id, key_version, wrapped_dek FROM messages \
                 WHERE account_id = $1 AND key_version < $2 AND wrapped_dek IS NOT NULL ORDER BY id LIMIT $3",
            )
            .bind(account.0)
            .bind(current)
            .bind(limit(page))
            .all(&self.pool)
            .await?;
            from_rows(&rows, |row| {
                Ok(WrappedDataKey {
                    message: MessageId(row.try_get("id")?),
                    key_version: row.try_get("key_version")?,
                    wrapped: row.try_get("wrapped_dek")?,
                })
            })
        })
        .await
    }

    /// Replaces one wrapped data key if it is still under `from_version`.
    async fn rewrap_data_key(
        &self,
        message: MessageId,
        from_version: i64,
        to_version: i64,
        wrapped: &[u8],
    ) -> StoreResult<bool> {
        self.watched(async {
            let done = sqlx::query(
                "UPDATE messages SET wrapped_dek = $4, key_version = $3 \
                 WHERE id = $1 AND key_version = $2 AND wrapped_dek IS NOT NULL",
            )
            .bind(message.0)
            .bind(from_version)
            .bind(to_version)
            .bind(wrapped.to_vec())
            .run(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// Destroys, in one statement, the data keys of up to `page` messages that expired
    /// before `cutoff` (oldest expiry first) and returns their public ids. The outer
    /// `wrapped_dek IS NOT NULL` is checked again on the locked row, so two shredders
    /// running at once never report one message twice; on PostgreSQL each skips the rows
    /// the other is shredding.
    async fn shred_expired(&self, cutoff: Timestamp, page: u32) -> StoreResult<Vec<PublicId>> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query(&format!(
                "UPDATE messages SET wrapped_dek = NULL, sealed_parts = NULL WHERE wrapped_dek IS NOT NULL AND id IN (\
                 SELECT id FROM messages WHERE expires_at < $1 AND wrapped_dek IS NOT NULL \
                 ORDER BY expires_at, id LIMIT $2{}) RETURNING public_id",
                self.skip_locked()
            ))
            .bind(cutoff.0)
            .bind(limit(page))
            .all(&mut *tx)
            .await?;
            let shredded = public_ids(&rows)?;
            tx.commit().await.map_err(db_error)?;
            Ok(shredded)
        })
        .await
    }

    /// The one recorded check, if any.
    async fn master_key_check(&self) -> StoreResult<Option<Vec<u8>>> {
        self.watched(async {
            sqlx::query_scalar("SELECT wrapped FROM master_key_check WHERE id = 1")
                .optional(&self.pool)
                .await
        })
        .await
    }

    /// Inserts the check unless a row exists (two nodes starting at once: the first
    /// wins, the other reads it back and is checked against it).
    async fn keep_master_key_check(&self, wrapped: &[u8], at: Timestamp) -> StoreResult<Vec<u8>> {
        self.watched(async {
            sqlx::query(
                "INSERT INTO master_key_check (id, wrapped, created_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(wrapped.to_vec())
            .bind(at.0)
            .run(&self.pool)
            .await?;
            sqlx::query_scalar("SELECT wrapped FROM master_key_check WHERE id = 1")
                .one(&self.pool)
                .await
        })
        .await
    }

    /// The newest account key of all accounts.
    async fn newest_account_key(&self) -> StoreResult<Option<AccountKey>> {
        self.watched(async {
            let row = sqlx::query(
                "SELECT account_id, version, wrapped, created_at FROM account_keys \
                 ORDER BY created_at DESC, account_id DESC, version DESC LIMIT 1",
            )
            .optional(&self.pool)
            .await?;
            row.as_ref().map(account_key_from_row).transpose().map_err(db_error)
        })
        .await
    }
}

fn account_key_from_row(row: &sqlx::any::AnyRow) -> Result<AccountKey, sqlx::Error> {
    Ok(AccountKey {
        account_id: AccountId(row.try_get("account_id")?),
        version: row.try_get("version")?,
        wrapped: row.try_get("wrapped")?,
        created_at: Timestamp(row.try_get("created_at")?),
    })
}
