//! Passkeys (their credentials as JSON, nothing secret) and the ceremonies
//! between their two requests. Taking a ceremony is one `DELETE … RETURNING`, so
//! two requests racing with the same answer cannot both get it.

use async_trait::async_trait;
use sealpost_domain::messages::NewOutboxItem;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::passkeys::{Ceremony, CeremonyKind, PasskeyRecord};
use sealpost_domain::ports::{PasskeyStore, StoreResult};
use sealpost_domain::types::{Timestamp, UserId};

use crate::columns::Columns;
use crate::outbox::insert_item;
use crate::statements::{Fetch, Run};
use crate::two_step::drop_unneeded_recovery_codes;
use crate::{SqlStore, audit, db_error, insert_error, touched};

/// How many ceremonies of one kind a user may have under way at once (a few tabs);
/// starting another drops the oldest.
const CEREMONIES_KEPT: u32 = 5;

#[async_trait]
impl PasskeyStore for SqlStore {
    async fn passkeys(&self, user: UserId) -> StoreResult<Vec<PasskeyRecord>> {
        self.watched(async {
            let rows = sqlx::query(
                "SELECT id, name, credential, created_at, last_used_at FROM passkeys \
                 WHERE user_id = $1 ORDER BY created_at, id",
            )
            .bind(user.0)
            .all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|row| {
                    Ok(PasskeyRecord {
                        id: row.col("id")?,
                        user_id: user,
                        name: row.col("name")?,
                        credential: row.col("credential")?,
                        created_at: row.at("created_at")?,
                        last_used_at: row.at_opt("last_used_at")?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn has_passkey(&self, user: UserId) -> StoreResult<bool> {
        self.watched(async {
            sqlx::query("SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1")
                .bind(user.0)
                .exists(&self.pool)
                .await
        })
        .await
    }

    async fn add_passkey(
        &self,
        user: UserId,
        name: &str,
        credential: &str,
        at: Timestamp,
        notice: &NewOutboxItem,
        audit: AuditEvent,
    ) -> StoreResult<i64> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO passkeys (user_id, name, credential, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user.0)
            .bind(name)
            .bind(credential)
            .bind(at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(insert_error("passkey"))?;
            insert_item(&mut tx, notice).await?;
            audit::insert_event(&mut tx, &audit).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(id)
        })
        .await
    }

    async fn remove_passkey(&self, user: UserId, id: i64, audit: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.0)
                .run(&mut *tx)
                .await?;
            touched(&done)?;
            drop_unneeded_recovery_codes(&mut tx, user).await?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn rename_passkey(&self, user: UserId, id: i64, name: &str, audit: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query("UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.0)
                .bind(name)
                .run(&mut *tx)
                .await?;
            touched(&done)?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn passkey_used(&self, user: UserId, id: i64, credential: &str, at: Timestamp) -> StoreResult<()> {
        self.watched(async {
            sqlx::query("UPDATE passkeys SET credential = $3, last_used_at = $4 WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.0)
                .bind(credential)
                .bind(at.0)
                .run(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    async fn insert_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            // The user's ceremonies of this kind beyond the newest few go first, so
            // starting ceremonies over and over keeps a bounded number of rows.
            sqlx::query(
                "DELETE FROM passkey_ceremonies WHERE id_hash IN (SELECT id_hash FROM passkey_ceremonies \
                 WHERE user_id = $1 AND kind = $2 ORDER BY expires_at DESC, id_hash LIMIT 1000000 OFFSET $3)",
            )
            .bind(ceremony.user_id.0)
            .bind(ceremony.kind.as_str())
            .bind(i64::from(CEREMONIES_KEPT - 1))
            .run(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO passkey_ceremonies (id_hash, user_id, kind, state, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&ceremony.id_hash)
            .bind(ceremony.user_id.0)
            .bind(ceremony.kind.as_str())
            .bind(&ceremony.state)
            .bind(ceremony.expires_at.0)
            .execute(&mut *tx)
            .await
            .map_err(insert_error("ceremony"))?;
            tx.commit().await.map_err(db_error)
        })
        .await
    }

    async fn take_ceremony(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Ceremony>> {
        self.watched(async {
            let row = sqlx::query(
                "DELETE FROM passkey_ceremonies WHERE id_hash = $1 RETURNING user_id, kind, state, expires_at",
            )
            .bind(id_hash)
            .optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let expires_at = row.at("expires_at")?;
            if expires_at <= now {
                return Ok(None);
            }
            Ok(Some(Ceremony {
                id_hash: id_hash.to_owned(),
                user_id: UserId(row.col("user_id")?),
                kind: CeremonyKind::from_stored(&row.col::<String>("kind")?),
                state: row.col("state")?,
                expires_at,
            }))
        })
        .await
    }
}
