//! The security page's reads and "log out everywhere": a user's sessions (with the
//! client address their login came from) and remembered devices.

use async_trait::async_trait;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{SecurityStore, StoreResult};
use sealpost_domain::two_step::{DeviceSummary, SessionSummary};
use sealpost_domain::types::{Timestamp, UserId};
use sqlx::Row;

use crate::columns::from_rows;
use crate::statements::{Fetch, Run};
use crate::{SqlStore, audit, db_error};

#[async_trait]
impl SecurityStore for SqlStore {
    async fn note_session_client(&self, id_hash: &str, client: &str) -> StoreResult<()> {
        self.watched(async {
            sqlx::query("UPDATE sessions SET client = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(client)
                .run(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    async fn user_sessions(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<SessionSummary>> {
        self.watched(async {
            let rows = sqlx::query(
                "SELECT id_hash, created_at, last_seen_at, client FROM sessions \
                 WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id_hash LIMIT 100",
            )
            .bind(user.0)
            .bind(now.0)
            .all(&self.pool)
            .await?;
            from_rows(&rows, |row| {
                Ok(SessionSummary {
                    id_hash: row.try_get("id_hash")?,
                    created_at: Timestamp(row.try_get("created_at")?),
                    last_seen_at: Timestamp(row.try_get("last_seen_at")?),
                    client: row.try_get("client")?,
                })
            })
        })
        .await
    }

    async fn user_devices(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<DeviceSummary>> {
        self.watched(async {
            let rows = sqlx::query(
                "SELECT created_at, expires_at, last_used_at FROM remembered_devices \
                 WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 100",
            )
            .bind(user.0)
            .bind(now.0)
            .all(&self.pool)
            .await?;
            from_rows(&rows, |row| {
                Ok(DeviceSummary {
                    created_at: Timestamp(row.try_get("created_at")?),
                    expires_at: Timestamp(row.try_get("expires_at")?),
                    last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(Timestamp),
                })
            })
        })
        .await
    }

    async fn end_other_sessions(&self, user: UserId, keep: &str, audit: AuditEvent) -> StoreResult<u64> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user.0)
                .bind(keep)
                .run(&mut *tx)
                .await?;
            let devices = sqlx::query("DELETE FROM remembered_devices WHERE user_id = $1")
                .bind(user.0)
                .run(&mut *tx)
                .await?;
            audit::insert_event(&mut tx, &audit).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(sessions.rows_affected() + devices.rows_affected())
        })
        .await
    }
}
