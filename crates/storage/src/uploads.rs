//! Uploads in progress: a draft notes its public id before writing its first blob,
//! so blobs of drafts that never became a message (the browser went away, the
//! process stopped) can be found and deleted later.

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::PublicId;
use sealpost_domain::ports::{StoreResult, UploadStore};
use sealpost_domain::types::Timestamp;

use crate::columns::Columns;
use crate::statements::{Fetch, Run};
use crate::{SqlStore, db_error};

#[async_trait]
impl UploadStore for SqlStore {
    /// Notes an upload about to write blobs; noting it again is harmless.
    async fn begin_upload(&self, public_id: &PublicId, at: Timestamp) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO pending_uploads (public_id, started_at) VALUES ($1, $2) ON CONFLICT (public_id) DO NOTHING",
            )
            .bind(public_id.0.to_vec())
            .bind(at.0)
            .run(&mut *tx)
            .await?;
            tx.commit().await.map_err(db_error)
        })
        .await
    }

    /// Forgets an upload.
    async fn end_upload(&self, public_id: &PublicId) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            sqlx::query("DELETE FROM pending_uploads WHERE public_id = $1")
                .bind(public_id.0.to_vec())
                .run(&mut *tx)
                .await?;
            tx.commit().await.map_err(db_error)
        })
        .await
    }

    /// Uploads begun before `before`, oldest first; those of kept drafts wait for
    /// the draft (taken back or purged with it).
    async fn stale_uploads(&self, before: Timestamp) -> StoreResult<Vec<PublicId>> {
        self.watched(async {
            let rows = sqlx::query(
                "SELECT public_id FROM pending_uploads p WHERE started_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM kept_drafts k WHERE k.public_id = p.public_id) ORDER BY started_at",
            )
            .bind(before.0)
            .all(&self.pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let bytes: Vec<u8> = row.col("public_id")?;
                    let id: [u8; 16] = bytes.try_into().map_err(|_| {
                        DomainError::internal(std::io::Error::other("a stored public id is not 16 bytes"))
                    })?;
                    Ok(PublicId(id))
                })
                .collect()
        })
        .await
    }
}
