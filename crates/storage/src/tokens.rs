//! Registration of recipients and single-use tokens (mailbox proof, password reset).
//!
//! A recipient who registers becomes a `pending` user with no password. Each
//! attempt keeps what it chose (names, language, password hash) in its own
//! `registrations` row with the hash of the link mailed for it; using that link
//! gives the user exactly that attempt's password, proves the mailbox and ends every
//! other attempt, so a second registration of the same address can never ride on
//! the first one's link. Tokens are stored only as hashes, with their purpose and
//! expiry, and are consumed by one conditional `UPDATE … RETURNING`, so of two
//! clicks on one link exactly one succeeds, on either backend.

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{Confirmation, RegistrationAttempt, TokenPurpose};
use sealpost_domain::model::{AuditEvent, User, UserStatus};
use sealpost_domain::ports::{StoreResult, TokenStore};
use sealpost_domain::types::{EmailAddress, Locale, Timestamp, UserId};
use sqlx::Row;

use crate::columns::Columns;
use crate::statements::{Fetch, Run};
use crate::users::{USER_COLUMNS, user_from_row};
use crate::{SqlStore, audit, db_error, insert_error, outbox};

#[async_trait]
impl TokenStore for SqlStore {
    /// Creates the pending user the first time (no password: it lives only in
    /// attempts), then stores the attempt and queues its mail with the event. A
    /// locked user, or one whose mailbox is proven, is left untouched:
    /// `Conflict { field: "email" }`. An existing user who never proved the mailbox
    /// (an administrator created them) may register: the link proves it.
    async fn begin_registration(
        &self,
        email: &EmailAddress,
        attempt: &RegistrationAttempt,
        at: Timestamp,
        event: AuditEvent,
    ) -> StoreResult<User> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO users (email, first_name, last_name, password_hash, status, \
                 must_change_password, locale, created_by, created_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5, $6, NULL, $7) ON CONFLICT (email) DO NOTHING",
            )
            .bind(email.as_str())
            .bind(&attempt.first_name)
            .bind(&attempt.last_name)
            .bind(UserStatus::Pending.as_str())
            .bind(false)
            .bind(attempt.locale.tag())
            .bind(at.0)
            .execute(&mut *tx)
            .await
            .map_err(insert_error("email"))?;
            let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"))
                .bind(email.as_str())
                .one(&mut *tx)
                .await?;
            let user = user_from_row(&row).map_err(db_error)?;
            if user.status == UserStatus::Locked || user.mailbox_proven() {
                return Err(DomainError::Conflict { field: "email" });
            }
            sqlx::query(
                "INSERT INTO registrations (token_hash, user_id, first_name, last_name, password_hash, \
                 locale, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&attempt.link.token_hash)
            .bind(user.id.0)
            .bind(&attempt.first_name)
            .bind(&attempt.last_name)
            .bind(&attempt.password_hash)
            .bind(attempt.locale.tag())
            .bind(attempt.link.expires_at.0)
            .bind(at.0)
            .execute(&mut *tx)
            .await
            .map_err(insert_error("token"))?;
            outbox::insert_item(&mut tx, &attempt.link.mail).await?;
            audit::insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(user)
        })
        .await
    }

    /// The user of a live registration attempt, without using it.
    async fn registration_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<UserId>> {
        self.watched(async {
            let user: Option<i64> =
                sqlx::query_scalar("SELECT user_id FROM registrations WHERE token_hash = $1 AND expires_at > $2")
                    .bind(token_hash)
                    .bind(now.0)
                    .optional(&self.pool)
                    .await?;
            Ok(user.map(UserId))
        })
        .await
    }

    /// Takes the attempt out (one `DELETE … RETURNING`, so two clicks cannot both use
    /// it), gives its password, names and language to the user with the mailbox
    /// proven, and ends the user's other attempts and sessions: one transaction.
    async fn complete_registration(
        &self,
        token_hash: &str,
        user: UserId,
        now: Timestamp,
        event: AuditEvent,
    ) -> StoreResult<bool> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query(
                "DELETE FROM registrations WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3 \
                 RETURNING first_name, last_name, password_hash, locale",
            )
            .bind(token_hash)
            .bind(user.0)
            .bind(now.0)
            .optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(false);
            };
            let first: String = row.col("first_name")?;
            let last: String = row.col("last_name")?;
            let hash: String = row.col("password_hash")?;
            let locale: Option<String> = row.col("locale")?;
            let updated = sqlx::query(
                "UPDATE users SET first_name = $2, last_name = $3, password_hash = $4, locale = $5, \
                 status = $6, must_change_password = $7, mailbox_verified_at = $8 WHERE id = $1 AND status <> $9",
            )
            .bind(user.0)
            .bind(first)
            .bind(last)
            .bind(hash)
            .bind(locale.as_deref().and_then(Locale::from_tag).map(Locale::tag))
            .bind(UserStatus::Active.as_str())
            .bind(false)
            .bind(now.0)
            .bind(UserStatus::Locked.as_str())
            .run(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(DomainError::Forbidden);
            }
            for sql in [
                "DELETE FROM registrations WHERE user_id = $1",
                "DELETE FROM sessions WHERE user_id = $1",
                "DELETE FROM remembered_devices WHERE user_id = $1",
                "DELETE FROM one_time_tokens WHERE user_id = $1 AND used_at IS NULL",
            ] {
                sqlx::query(sql).bind(user.0).run(&mut *tx).await?;
            }
            audit::insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(true)
        })
        .await
    }

    /// Stores the token's hash, queues the email carrying the token and records the
    /// event, together: a link is never mailed for a token that was not stored.
    /// `Conflict { field: "token" }` for a hash already stored, `NotFound` for an
    /// unknown user.
    async fn insert_token(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        session: Option<&str>,
        link: &Confirmation,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO one_time_tokens (hash, user_id, purpose, session_hash, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&link.token_hash)
            .bind(user.0)
            .bind(purpose.as_str())
            .bind(session)
            .bind(link.expires_at.0)
            .bind(link.mail.created_at.0)
            .execute(&mut *tx)
            .await
            .map_err(insert_error("token"))?;
            outbox::insert_item(&mut tx, &link.mail).await?;
            tx.commit_audited(&event).await
        })
        .await
    }

    /// Uses a token once: its user when the hash exists with this purpose, has not
    /// expired at `now`, was not used and, if it is bound to a session, `session` is
    /// that one; `None` otherwise. Checking and marking used are one statement, so a
    /// token cannot be used twice even by simultaneous requests. The link reached the
    /// mailbox, so the user's mailbox counts as proven from now on.
    async fn consume_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        session: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Option<UserId>> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query(
                "UPDATE one_time_tokens SET used_at = $3 \
                 WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
                 AND (session_hash IS NULL OR session_hash = $4) \
                 RETURNING user_id",
            )
            .bind(hash)
            .bind(purpose.as_str())
            .bind(now.0)
            .bind(session)
            .optional(&mut *tx)
            .await?;
            let user = row
                .map(|row| row.try_get::<i64, _>("user_id").map(UserId))
                .transpose()
                .map_err(db_error)?;
            if let Some(user) = user {
                sqlx::query("UPDATE users SET mailbox_verified_at = $2 WHERE id = $1 AND mailbox_verified_at IS NULL")
                    .bind(user.0)
                    .bind(now.0)
                    .run(&mut *tx)
                    .await?;
            }
            tx.commit().await.map_err(db_error)?;
            Ok(user)
        })
        .await
    }

    /// The user of a live token (this purpose, unused, not expired at `now`), without
    /// using it up; `None` otherwise.
    async fn token_user(&self, hash: &str, purpose: TokenPurpose, now: Timestamp) -> StoreResult<Option<UserId>> {
        self.watched(async {
            let user: Option<i64> = sqlx::query_scalar(
                "SELECT user_id FROM one_time_tokens \
                 WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(hash)
            .bind(purpose.as_str())
            .bind(now.0)
            .optional(&self.pool)
            .await?;
            Ok(user.map(UserId))
        })
        .await
    }
}
