//! Two-step verification: TOTP secrets (sealed by the domain), recovery codes
//! (hashed) and logins waiting for their second step (hashed cookie value).
//! Using a code is one guarded `UPDATE` each, so two requests racing with the same
//! code cannot both succeed.

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::NewOutboxItem;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{StoreResult, TwoStepStore};
use sealpost_domain::two_step::{Challenge, ChallengePurpose, TotpRecord};
use sealpost_domain::types::{Timestamp, UserId};

use crate::columns::Columns;
use crate::outbox::insert_item;
use crate::statements::{Fetch, Run};
use crate::{SqlStore, WriteTx, db_error, insert_error, touched};

/// Removes the recovery codes of `user` inside `tx` when no second factor is left
/// (neither TOTP turned on nor a passkey): they stand in for a lost factor, so
/// they go with the last one. A passkey-only user keeps theirs when TOTP is
/// turned off, and the reverse.
pub(crate) async fn drop_unneeded_recovery_codes(tx: &mut WriteTx, user: UserId) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM totp_secrets WHERE user_id = $1 AND enabled_at IS NOT NULL)",
    )
    .bind(user.0)
    .run(&mut **tx)
    .await?;
    Ok(())
}

/// Replaces every recovery code of `user` inside `tx`.
async fn put_recovery_codes(tx: &mut WriteTx, user: UserId, hashes: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.0)
        .run(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user.0)
            .bind(hash)
            .execute(&mut **tx)
            .await
            .map_err(insert_error("recovery_code"))?;
    }
    Ok(())
}

#[async_trait]
impl TwoStepStore for SqlStore {
    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpRecord>> {
        self.watched(async {
            let row = sqlx::query("SELECT sealed, enabled_at FROM totp_secrets WHERE user_id = $1")
                .bind(user.0)
                .optional(&self.pool)
                .await?;
            row.map(|row| {
                Ok(TotpRecord {
                    sealed: row.col("sealed")?,
                    enabled_at: row.at_opt("enabled_at")?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn two_step_enabled(&self, user: UserId) -> StoreResult<bool> {
        self.watched(async {
            sqlx::query("SELECT 1 FROM totp_secrets WHERE user_id = $1 AND enabled_at IS NOT NULL")
                .bind(user.0)
                .exists(&self.pool)
                .await
        })
        .await
    }

    async fn start_totp(&self, user: UserId, sealed: &[u8], at: Timestamp) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let enabled = sqlx::query("SELECT 1 FROM totp_secrets WHERE user_id = $1 AND enabled_at IS NOT NULL")
                .bind(user.0)
                .exists(&mut *tx)
                .await?;
            if enabled {
                return Err(DomainError::Conflict { field: "totp" });
            }
            sqlx::query("DELETE FROM totp_secrets WHERE user_id = $1")
                .bind(user.0)
                .run(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO totp_secrets (user_id, sealed, created_at) VALUES ($1, $2, $3)")
                .bind(user.0)
                .bind(sealed.to_vec())
                .bind(at.0)
                .execute(&mut *tx)
                .await
                .map_err(insert_error("totp"))?;
            tx.commit().await.map_err(db_error)
        })
        .await
    }

    async fn enable_totp(
        &self,
        user: UserId,
        step: i64,
        at: Timestamp,
        recovery_hashes: &[String],
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE totp_secrets SET enabled_at = $2, last_step = $3 WHERE user_id = $1 AND enabled_at IS NULL",
            )
            .bind(user.0)
            .bind(at.0)
            .bind(step)
            .run(&mut *tx)
            .await?;
            touched(&done)?;
            put_recovery_codes(&mut tx, user, recovery_hashes).await?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn disable_totp(&self, user: UserId, notice: &NewOutboxItem, audit: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let removed = sqlx::query("DELETE FROM totp_secrets WHERE user_id = $1 AND enabled_at IS NOT NULL")
                .bind(user.0)
                .run(&mut *tx)
                .await?;
            // A set-up never finished is no change to report.
            sqlx::query("DELETE FROM totp_secrets WHERE user_id = $1")
                .bind(user.0)
                .run(&mut *tx)
                .await?;
            if removed.rows_affected() > 0 {
                insert_item(&mut tx, notice).await?;
            }
            drop_unneeded_recovery_codes(&mut tx, user).await?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn use_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        self.watched(async {
            let done = sqlx::query(
                "UPDATE totp_secrets SET last_step = $2 WHERE user_id = $1 AND enabled_at IS NOT NULL \
                 AND (last_step IS NULL OR last_step < $2)",
            )
            .bind(user.0)
            .bind(step)
            .run(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        at: Timestamp,
        notice: &NewOutboxItem,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(user.0)
            .bind(code_hash)
            .bind(at.0)
            .run(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                tx.commit().await.map_err(db_error)?;
                return Ok(false);
            }
            insert_item(&mut tx, notice).await?;
            tx.commit_audited(&audit).await?;
            Ok(true)
        })
        .await
    }

    async fn replace_recovery_codes(&self, user: UserId, hashes: &[String], audit: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            put_recovery_codes(&mut tx, user, hashes).await?;
            tx.commit_audited(&audit).await
        })
        .await
    }

    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<i64> {
        self.watched(async {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
                .bind(user.0)
                .one(&self.pool)
                .await?;
            row.col::<i64>("n")
        })
        .await
    }

    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()> {
        self.watched(async {
            sqlx::query(
                "INSERT INTO two_step_challenges (id_hash, user_id, purpose, password_hash, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&challenge.id_hash)
            .bind(challenge.user_id.0)
            .bind(challenge.purpose.as_str())
            .bind(&challenge.password_hash)
            .bind(challenge.expires_at.0)
            .execute(&self.pool)
            .await
            .map_err(insert_error("challenge"))?;
            Ok(())
        })
        .await
    }

    async fn challenge(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Challenge>> {
        self.watched(async {
            let row = sqlx::query(
                "SELECT id_hash, user_id, purpose, password_hash, expires_at FROM two_step_challenges \
                 WHERE id_hash = $1 AND expires_at > $2",
            )
            .bind(id_hash)
            .bind(now.0)
            .optional(&self.pool)
            .await?;
            row.map(|row| {
                Ok(Challenge {
                    id_hash: row.col("id_hash")?,
                    user_id: UserId(row.col("user_id")?),
                    purpose: ChallengePurpose::from_stored(&row.col::<String>("purpose")?),
                    password_hash: row.col("password_hash")?,
                    expires_at: row.at("expires_at")?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn take_challenge(&self, id_hash: &str) -> StoreResult<bool> {
        self.watched(async {
            let done = sqlx::query("DELETE FROM two_step_challenges WHERE id_hash = $1")
                .bind(id_hash)
                .run(&self.pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }
}
