//! Refused compose drafts waiting for their corrected form (migration 0027): one
//! row each, its state sealed with the draft's data key, so that whichever node
//! the corrected form reaches takes it back, once.

use async_trait::async_trait;
use sealpost_domain::messages::PublicId;
use sealpost_domain::ports::{KeptDraftRecord, KeptDraftStore, StoreResult};
use sealpost_domain::types::{AccountId, Timestamp, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::messages::{public_id_from_row, public_ids};
use crate::statements::{Fetch, Run};
use crate::{SqlStore, db_error};

fn kept_from_row(row: &AnyRow) -> Result<KeptDraftRecord, sqlx::Error> {
    Ok(KeptDraftRecord {
        token_hash: row.try_get("token_hash")?,
        public_id: public_id_from_row(row, "public_id")?,
        sender_id: UserId(row.try_get("sender_id")?),
        account_id: AccountId(row.try_get("account_id")?),
        key_version: row.try_get("key_version")?,
        wrapped_dek: row.try_get("wrapped_dek")?,
        sealed: row.try_get("sealed")?,
        kept_at: Timestamp(row.try_get("kept_at")?),
    })
}

#[async_trait]
impl KeptDraftStore for SqlStore {
    async fn keep_draft(&self, draft: KeptDraftRecord, expired_before: Timestamp) -> StoreResult<Vec<PublicId>> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query("DELETE FROM kept_drafts WHERE sender_id = $1 OR kept_at < $2 RETURNING public_id")
                .bind(draft.sender_id.0)
                .bind(expired_before.0)
                .all(&mut *tx)
                .await?;
            let removed = public_ids(&rows)?;
            sqlx::query(
                "INSERT INTO kept_drafts (token_hash, public_id, sender_id, account_id, key_version, wrapped_dek, \
                 sealed, kept_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(draft.token_hash)
            .bind(draft.public_id.0.to_vec())
            .bind(draft.sender_id.0)
            .bind(draft.account_id.0)
            .bind(draft.key_version)
            .bind(draft.wrapped_dek)
            .bind(draft.sealed)
            .bind(draft.kept_at.0)
            .run(&mut *tx)
            .await?;
            tx.commit().await.map_err(db_error)?;
            Ok(removed)
        })
        .await
    }

    async fn take_kept_draft(&self, token_hash: &str, sender: UserId) -> StoreResult<Option<KeptDraftRecord>> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query(
                "DELETE FROM kept_drafts WHERE token_hash = $1 AND sender_id = $2 RETURNING token_hash, public_id, \
                 sender_id, account_id, key_version, wrapped_dek, sealed, kept_at",
            )
            .bind(token_hash)
            .bind(sender.0)
            .optional(&mut *tx)
            .await?;
            let kept = row.as_ref().map(kept_from_row).transpose().map_err(db_error)?;
            tx.commit().await.map_err(db_error)?;
            Ok(kept)
        })
        .await
    }

    async fn purge_kept_drafts(&self, before: Timestamp) -> StoreResult<Vec<PublicId>> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let rows = sqlx::query("DELETE FROM kept_drafts WHERE kept_at < $1 RETURNING public_id")
                .bind(before.0)
                .all(&mut *tx)
                .await?;
            let removed = public_ids(&rows)?;
            tx.commit().await.map_err(db_error)?;
            Ok(removed)
        })
        .await
    }
}
