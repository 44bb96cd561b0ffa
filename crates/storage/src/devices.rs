//! Remembered devices, a row each: the hash of the cookie value, its user, until when.

use async_trait::async_trait;
use sealpost_domain::model::{AuditEvent, User};
use sealpost_domain::ports::{DeviceStore, StoreResult};
use sealpost_domain::types::{Timestamp, UserId};

use crate::columns::Columns;
use crate::statements::{Fetch, Run};
use crate::users::{USER_COLUMNS, user_from_row};
use crate::{SqlStore, audit, db_error, insert_error};

#[async_trait]
impl DeviceStore for SqlStore {
    async fn insert_device(
        &self,
        id_hash: &str,
        user: UserId,
        created_at: Timestamp,
        expires_at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO remembered_devices (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id_hash)
            .bind(user.0)
            .bind(created_at.0)
            .bind(expires_at.0)
            .execute(&mut *tx)
            .await
            .map_err(insert_error("device"))?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn device_user(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<(User, Timestamp)>> {
        self.watched(async {
            let row = sqlx::query(&format!(
                "SELECT {USER_COLUMNS}, d.created_at AS remembered_at FROM remembered_devices d \
                 JOIN users u ON u.id = d.user_id WHERE d.id_hash = $1 AND d.expires_at > $2"
            ))
            .bind(id_hash)
            .bind(now.0)
            .optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let user = user_from_row(&row).map_err(db_error)?;
            let at = row.at("remembered_at")?;
            let mut tx = self.begin_write().await?;
            sqlx::query("UPDATE remembered_devices SET last_used_at = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(now.0)
                .run(&mut *tx)
                .await?;
            tx.commit().await.map_err(db_error)?;
            Ok(Some((user, at)))
        })
        .await
    }

    async fn forget_device(&self, id_hash: &str, audit: AuditEvent) -> StoreResult<bool> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let gone = sqlx::query("DELETE FROM remembered_devices WHERE id_hash = $1")
                .bind(id_hash)
                .run(&mut *tx)
                .await?
                .rows_affected();
            if gone > 0 {
                audit::insert_event(&mut tx, &audit).await?;
            }
            tx.commit().await.map_err(db_error)?;
            Ok(gone > 0)
        })
        .await
    }
}
