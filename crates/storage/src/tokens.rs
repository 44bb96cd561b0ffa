//! Registration of recipients and single-use tokens (activation, password reset).
//!
//! A recipient who registers becomes a `pending` user; the activation link proves
//! the mailbox and makes them `active`. Tokens are stored only as hashes, with their
//! purpose and expiry, and are consumed by one conditional `UPDATE … RETURNING`, so
//! of two clicks on one link exactly one succeeds, on either backend.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{NewOutboxItem, TokenPurpose};
use sealpost_domain::model::{AuditEvent, NewUser, User, UserStatus};
use sealpost_domain::ports::StoreResult;
use sealpost_domain::types::{Locale, Timestamp, UserId};
use sqlx::Row;

use crate::users::{USER_COLUMNS, user_from_row};
use crate::{SqlStore, audit, db_error, insert_error, outbox};

/// Inserts a pending user, or refreshes the names, language and password hash of the
/// pending user who already has the address, in one upsert (so two registrations
/// racing for one address both end with one pending user). An active or locked user
/// is left untouched: `Conflict { field: "email" }`. The status is always `pending`,
/// whatever `user.status` says.
pub(crate) async fn upsert_pending_user(store: &SqlStore, user: NewUser) -> StoreResult<User> {
    let mut tx = store.begin_write().await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (email, first_name, last_name, password_hash, status, \
         must_change_password, locale, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (email) DO UPDATE SET first_name = excluded.first_name, \
         last_name = excluded.last_name, locale = excluded.locale, \
         password_hash = excluded.password_hash \
         WHERE users.status = $5 RETURNING id",
    )
    .bind(user.email.as_str())
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(user.password_hash.as_deref())
    .bind(UserStatus::Pending.as_str())
    .bind(user.must_change_password)
    .bind(user.locale.map(Locale::tag))
    .bind(user.created_by.map(|u| u.0))
    .bind(user.created_at.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(insert_error("email"))?;
    let Some(id) = id else {
        return Err(DomainError::Conflict { field: "email" });
    };
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
    let stored = user_from_row(&row).map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(stored)
}

/// Stores the token's hash and queues the email carrying the token, together: a
/// link is never mailed for a token that was not stored. `Conflict { field: "token" }`
/// for a hash already stored, `NotFound` for an unknown user.
pub(crate) async fn insert_token(
    store: &SqlStore,
    hash: &str,
    user: UserId,
    purpose: TokenPurpose,
    expires_at: Timestamp,
    mail: NewOutboxItem,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO one_time_tokens (hash, user_id, purpose, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(user.0)
    .bind(purpose.as_str())
    .bind(expires_at.0)
    .bind(mail.created_at.0)
    .execute(&mut *tx)
    .await
    .map_err(insert_error("token"))?;
    outbox::insert_item(&mut tx, &mail).await?;
    tx.commit().await.map_err(db_error)
}

/// Uses a token once: its user when the hash exists with this purpose, has not
/// expired at `now` and was not used; `None` otherwise. Checking and marking used are
/// one statement, so a token cannot be used twice even by simultaneous requests.
pub(crate) async fn consume_token(
    store: &SqlStore,
    hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
) -> StoreResult<Option<UserId>> {
    let mut tx = store.begin_write().await?;
    let row = sqlx::query(
        "UPDATE one_time_tokens SET used_at = $3 \
         WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
         RETURNING user_id",
    )
    .bind(hash)
    .bind(purpose.as_str())
    .bind(now.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_error)?;
    let user = row
        .map(|row| row.try_get::<i64, _>("user_id").map(UserId))
        .transpose()
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(user)
}

/// The user of a live token (this purpose, unused, not expired at `now`), without
/// using it up; `None` otherwise.
pub(crate) async fn token_user(
    store: &SqlStore,
    hash: &str,
    purpose: TokenPurpose,
    now: Timestamp,
) -> StoreResult<Option<UserId>> {
    let user: Option<i64> = sqlx::query_scalar(
        "SELECT user_id FROM one_time_tokens \
         WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(hash)
    .bind(purpose.as_str())
    .bind(now.0)
    .fetch_optional(&store.pool)
    .await
    .map_err(db_error)?;
    Ok(user.map(UserId))
}

/// Makes a pending user active, with the audit event. Activating an active user
/// again changes nothing and records nothing (a link clicked twice); a locked user
/// stays locked (`Forbidden`); an unknown user is `NotFound`.
pub(crate) async fn activate_user(store: &SqlStore, user: UserId, event: AuditEvent) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let updated = sqlx::query("UPDATE users SET status = $2 WHERE id = $1 AND status = $3")
        .bind(user.0)
        .bind(UserStatus::Active.as_str())
        .bind(UserStatus::Pending.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    if updated.rows_affected() == 0 {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        return match status.as_deref().map(UserStatus::from_stored) {
            None => Err(DomainError::NotFound),
            Some(UserStatus::Active) => Ok(()),
            Some(_) => Err(DomainError::Forbidden),
        };
    }
    audit::insert_event(&mut tx, &event).await?;
    tx.commit().await.map_err(db_error)
}
