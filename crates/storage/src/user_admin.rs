//! The user page's port: one user with their groups, locks and creator, and the
//! administrators' actions on them, each with its audit event in one transaction.
//!
//! Deleted users (`users.deleted_at`) keep their row, so that the messages they
//! sent keep a sender; every look-up here passes over them.

use async_trait::async_trait;
use sealpost_domain::error::{DomainError, ValidationError};
use sealpost_domain::messages::NewOutboxItem;
use sealpost_domain::model::{AccountUserLock, AuditEvent, LockNotice, UserDetail, UserGroup};
use sealpost_domain::ports::{AccountMemberStore, StoreResult, UserAdminStore};
use sealpost_domain::types::{AccountId, AccountNumber, EmailAddress, GroupId, Timestamp, UserId};
use sqlx::Row;

use crate::columns::Columns;
use crate::outbox::insert_item;
use crate::statements::{Fetch, Run};
use crate::users::{USER_COLUMNS, user_from_row};
use crate::{SqlStore, WriteTx, db_error, touched};

/// What ends when a user is locked everywhere or deleted: their ways in.
const WAYS_IN: &[&str] = &[
    "DELETE FROM sessions WHERE user_id = $1",
    "DELETE FROM remembered_devices WHERE user_id = $1",
    "DELETE FROM one_time_tokens WHERE user_id = $1 AND used_at IS NULL",
];

/// Membership of any group of an account, or receipt of one of its messages
/// (`$1` the user, `$2` the account).
const IN_ACCOUNT: &str = "EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id \
     WHERE gm.user_id = u.id AND g.account_id = {account}) \
     OR EXISTS (SELECT 1 FROM message_recipients mr JOIN messages m ON m.id = mr.message_id \
     WHERE mr.email = u.email AND m.account_id = {account})";

#[async_trait]
impl UserAdminStore for SqlStore {
    async fn user_detail(&self, id: UserId) -> StoreResult<Option<UserDetail>> {
        self.watched(async {
            let row = sqlx::query(&format!(
                "SELECT {USER_COLUMNS}, u.locked_reason, u.locked_at, u.last_login_ip, \
                 lb.email AS locked_by_email, cb.email AS created_by_email \
                 FROM users u LEFT JOIN users lb ON lb.id = u.locked_by \
                 LEFT JOIN users cb ON cb.id = u.created_by \
                 WHERE u.id = $1 AND u.deleted_at IS NULL"
            ))
            .bind(id.0)
            .optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let email = |column: &str| -> Result<Option<EmailAddress>, sqlx::Error> {
                Ok(row
                    .try_get::<Option<String>, _>(column)?
                    .map(EmailAddress::from_trusted))
            };
            let mut detail = UserDetail {
                user: user_from_row(&row).map_err(db_error)?,
                locked_reason: row.col("locked_reason")?,
                locked_by: email("locked_by_email").map_err(db_error)?,
                locked_at: row.at_opt("locked_at")?,
                last_login_ip: row.col("last_login_ip")?,
                created_by: email("created_by_email").map_err(db_error)?,
                groups: Vec::new(),
                account_locks: Vec::new(),
            };
            let groups = sqlx::query(
                "SELECT a.id AS account_id, a.number, a.name AS account_name, g.id AS group_id, \
                 g.name AS group_name, g.builtin FROM group_members gm \
                 JOIN groups g ON g.id = gm.group_id JOIN accounts a ON a.id = g.account_id \
                 WHERE gm.user_id = $1 AND a.deleted_at IS NULL ORDER BY a.number, g.builtin DESC, g.name",
            )
            .bind(id.0)
            .all(&self.pool)
            .await?;
            for row in &groups {
                detail.groups.push(UserGroup {
                    account_id: AccountId(row.col("account_id")?),
                    account_number: AccountNumber(row.col("number")?),
                    account_name: row.col("account_name")?,
                    group_id: GroupId(row.col("group_id")?),
                    group_name: row.col("group_name")?,
                    builtin: row.flag("builtin")?,
                });
            }
            let locks = sqlx::query(
                "SELECT a.id AS account_id, a.number, a.name AS account_name, l.reason, l.locked_at, \
                 lb.email AS locked_by_email FROM account_user_locks l \
                 JOIN accounts a ON a.id = l.account_id LEFT JOIN users lb ON lb.id = l.locked_by \
                 WHERE l.user_id = $1 AND a.deleted_at IS NULL ORDER BY a.number",
            )
            .bind(id.0)
            .all(&self.pool)
            .await?;
            for row in &locks {
                detail.account_locks.push(AccountUserLock {
                    account_id: AccountId(row.col("account_id")?),
                    account_number: AccountNumber(row.col("number")?),
                    account_name: row.col("account_name")?,
                    reason: row.col("reason")?,
                    locked_at: row.at("locked_at")?,
                    locked_by: row
                        .col::<Option<String>>("locked_by_email")?
                        .map(EmailAddress::from_trusted),
                });
            }
            Ok(Some(detail))
        })
        .await
    }

    async fn user_visible_in(&self, user: UserId, accounts: &[AccountId], creator: UserId) -> StoreResult<bool> {
        self.watched(async {
            let list = if accounts.is_empty() {
                "NULL".to_owned()
            } else {
                crate::placeholders(3, 1, accounts.len())
            };
            let sql = format!(
                "SELECT 1 FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL AND (u.created_by = $2 OR {})",
                IN_ACCOUNT.replace("= {account}", &format!("IN ({list})"))
            );
            let mut query = sqlx::query(&sql).bind(user.0).bind(creator.0);
            for account in accounts {
                query = query.bind(account.0);
            }
            query.exists(&self.pool).await
        })
        .await
    }

    async fn record_login_from(&self, id: UserId, at: Timestamp, ip: &str) -> StoreResult<()> {
        self.watched(async {
            let done = sqlx::query("UPDATE users SET last_login_at = $2, last_login_ip = $3 WHERE id = $1")
                .bind(id.0)
                .bind(at.0)
                .bind(ip)
                .run(&self.pool)
                .await?;
            touched(&done)?;
            Ok(())
        })
        .await
    }

    async fn lock_notice(&self, id: UserId) -> StoreResult<Option<LockNotice>> {
        self.watched(async {
            let row = sqlx::query(
                "SELECT u.locked_reason, lb.email AS contact FROM users u \
                 LEFT JOIN users lb ON lb.id = u.locked_by AND lb.deleted_at IS NULL \
                 WHERE u.id = $1 AND u.status = 'locked' AND u.deleted_at IS NULL \
                 AND u.locked_reason IS NOT NULL",
            )
            .bind(id.0)
            .optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            Ok(Some(LockNotice {
                reason: row.col("locked_reason")?,
                contact: row.col::<Option<String>>("contact")?.map(EmailAddress::from_trusted),
            }))
        })
        .await
    }

    async fn set_user_names(&self, id: UserId, first: &str, last: &str, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done =
                sqlx::query("UPDATE users SET first_name = $2, last_name = $3 WHERE id = $1 AND deleted_at IS NULL")
                    .bind(id.0)
                    .bind(first)
                    .bind(last)
                    .run(&mut *tx)
                    .await?;
            finish(tx, done.rows_affected(), &event).await
        })
        .await
    }

    async fn lock_user(&self, id: UserId, reason: &str, by: UserId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE users SET status = 'locked', locked_reason = $2, locked_by = $3, locked_at = $4 \
                 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .bind(reason)
            .bind(by.0)
            .bind(event.at.0)
            .run(&mut *tx)
            .await?;
            touched(&done)?;
            end_ways_in(&mut tx, id).await?;
            finish(tx, 1, &event).await
        })
        .await
    }

    async fn unlock_user(&self, id: UserId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE users SET status = CASE WHEN password_hash IS NULL THEN 'pending' ELSE 'active' END, \
                 locked_reason = NULL, locked_by = NULL, locked_at = NULL \
                 WHERE id = $1 AND status = 'locked' AND deleted_at IS NULL",
            )
            .bind(id.0)
            .run(&mut *tx)
            .await?;
            finish(tx, done.rows_affected(), &event).await
        })
        .await
    }

    async fn require_password_change(&self, id: UserId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query("UPDATE users SET must_change_password = $2 WHERE id = $1 AND deleted_at IS NULL")
                .bind(id.0)
                .bind(true)
                .run(&mut *tx)
                .await?;
            finish(tx, done.rows_affected(), &event).await
        })
        .await
    }

    async fn reset_second_factors(&self, id: UserId, notice: &NewOutboxItem, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let known = sqlx::query("SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL")
                .bind(id.0)
                .exists(&mut *tx)
                .await?;
            for table in [
                "totp_secrets",
                "recovery_codes",
                "passkeys",
                "passkey_ceremonies",
                "two_step_challenges",
            ] {
                sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                    .bind(id.0)
                    .run(&mut *tx)
                    .await?;
            }
            if known {
                insert_item(&mut tx, notice).await?;
            }
            finish(tx, u64::from(known), &event).await
        })
        .await
    }

    async fn delete_user(&self, id: UserId, at: Timestamp, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE users SET deleted_at = $2, status = 'locked', password_hash = NULL, \
                 locked_reason = NULL, locked_by = NULL, locked_at = $2 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(id.0)
            .bind(at.0)
            .run(&mut *tx)
            .await?;
            touched(&done)?;
            end_ways_in(&mut tx, id).await?;
            for sql in [
                "DELETE FROM group_members WHERE user_id = $1",
                "DELETE FROM account_user_locks WHERE user_id = $1",
                "DELETE FROM operators WHERE user_id = $1",
                "DELETE FROM registrations WHERE user_id = $1",
            ] {
                sqlx::query(sql).bind(id.0).run(&mut *tx).await?;
            }
            finish(tx, 1, &event).await
        })
        .await
    }
}

#[async_trait]
impl AccountMemberStore for SqlStore {
    async fn user_in_account(&self, user: UserId, account: AccountId) -> StoreResult<bool> {
        self.watched(async {
            let sql = format!(
                "SELECT 1 FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL AND ({})",
                IN_ACCOUNT.replace("{account}", "$2")
            );
            sqlx::query(&sql).bind(user.0).bind(account.0).exists(&self.pool).await
        })
        .await
    }

    async fn lock_in_account(
        &self,
        account: AccountId,
        user: UserId,
        reason: &str,
        by: UserId,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO account_user_locks (account_id, user_id, reason, locked_by, locked_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, user_id) \
                 DO UPDATE SET reason = excluded.reason, locked_by = excluded.locked_by, locked_at = excluded.locked_at",
            )
            .bind(account.0)
            .bind(user.0)
            .bind(reason)
            .bind(by.0)
            .bind(event.at.0)
            .run(&mut *tx)
            .await?;
            finish(tx, 1, &event).await
        })
        .await
    }

    async fn unlock_in_account(&self, account: AccountId, user: UserId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query("DELETE FROM account_user_locks WHERE account_id = $1 AND user_id = $2")
                .bind(account.0)
                .bind(user.0)
                .run(&mut *tx)
                .await?;
            finish(tx, done.rows_affected(), &event).await
        })
        .await
    }

    async fn locked_in_account(&self, account: AccountId, user: UserId) -> StoreResult<bool> {
        self.watched(async {
            sqlx::query("SELECT 1 FROM account_user_locks WHERE account_id = $1 AND user_id = $2")
                .bind(account.0)
                .bind(user.0)
                .exists(&self.pool)
                .await
        })
        .await
    }

    async fn remove_from_account(&self, account: AccountId, user: UserId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let removed = sqlx::query(
                "DELETE FROM group_members WHERE user_id = $1 \
                 AND group_id IN (SELECT id FROM groups WHERE account_id = $2)",
            )
            .bind(user.0)
            .bind(account.0)
            .run(&mut *tx)
            .await?;
            touched(&removed)?;
            let admins_left: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                 WHERE g.account_id = $1 AND g.builtin",
            )
            .bind(account.0)
            .one(&mut *tx)
            .await?;
            if admins_left == 0 {
                tx.rollback().await.map_err(db_error)?;
                return Err(ValidationError::LastAdministrator.into());
            }
            finish(tx, 1, &event).await
        })
        .await
    }
}

/// Ends every session, remembered device and unused link of the user.
async fn end_ways_in(tx: &mut WriteTx, id: UserId) -> StoreResult<()> {
    for sql in WAYS_IN {
        sqlx::query(sql).bind(id.0).run(&mut **tx).await?;
    }
    Ok(())
}

/// `NotFound` (and nothing written) when no row changed; else the event, committed.
async fn finish(tx: WriteTx, changed: u64, event: &AuditEvent) -> StoreResult<()> {
    if changed == 0 {
        return Err(DomainError::NotFound);
    }
    tx.commit_audited(event).await
}
