//! Accounts (tenants) and the questions "who administers / belongs to which account".
//!
//! An account is created together with its built-in Account Administrators group
//! (and, when given, its first member) so that no account ever exists without the
//! group that administers it.

use async_trait::async_trait;
use sealpost_domain::DomainError;
use sealpost_domain::messages::Confirmation;
use sealpost_domain::model::{Account, AuditEvent, User};
use sealpost_domain::ports::{AccountStore, StoreResult};
use sealpost_domain::types::{
    AccountId, AccountName, AccountNumber, EmailAddress, GroupId, GroupName, Locale, Timestamp, UserId,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::columns::from_rows;
use crate::statements::{Fetch, Run};
use crate::users::{USER_COLUMNS, user_from_row};
use crate::{AnyQuery, SqlStore, audit, db_error, get_bool, groups, insert_error, outbox, touched};

/// The columns [`account_from_row`] reads, for queries that alias `accounts` as `a`.
pub(crate) const ACCOUNT_COLUMNS: &str = "a.id, a.number, a.name, a.default_locale, a.created_at, a.sending_address, \
     a.pending_sending_address, a.suspended_at, a.deleted_at";

/// Whether `{user}` is a member of the account `a`: in one of its groups, not
/// locked out of it, the account not deleted (what [`AccountStore::member_accounts`]
/// and [`AccountStore::member_by_email`] both mean by a member).
const MEMBER: &str = "a.deleted_at IS NULL \
     AND EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id \
     WHERE gm.user_id = {user} AND g.account_id = a.id) \
     AND NOT EXISTS (SELECT 1 FROM account_user_locks l WHERE l.account_id = a.id AND l.user_id = {user})";

/// The one account `condition` (on `accounts a`, with `$1` bound to `value`)
/// selects; `NotFound` when none does.
pub(crate) async fn one_account(store: &SqlStore, condition: &str, value: i64) -> StoreResult<Account> {
    let row = sqlx::query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {condition}"))
        .bind(value)
        .one(&store.pool)
        .await?;
    account_from_row(&row).map_err(db_error)
}

/// `NotFound` unless an account has this id, read inside the write `tx` so that
/// what follows is written for an account that exists.
pub(crate) async fn ensure_account(tx: &mut crate::WriteTx, account: AccountId) -> StoreResult<()> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
        .bind(account.0)
        .optional(&mut **tx)
        .await?;
    exists.map(|_| ()).ok_or(DomainError::NotFound)
}

/// Builds an [`Account`] from a row holding [`ACCOUNT_COLUMNS`]; an unknown stored
/// language reads as the default one.
pub(crate) fn account_from_row(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: AccountId(row.try_get("id")?),
        number: AccountNumber(row.try_get("number")?),
        name: row.try_get("name")?,
        default_locale: Locale::from_tag(row.try_get("default_locale")?).unwrap_or_default(),
        created_at: Timestamp(row.try_get("created_at")?),
        sending_address: row
            .try_get::<Option<String>, _>("sending_address")?
            .map(EmailAddress::from_trusted),
        pending_sending_address: row
            .try_get::<Option<String>, _>("pending_sending_address")?
            .map(EmailAddress::from_trusted),
        suspended_at: row.try_get::<Option<i64>, _>("suspended_at")?.map(Timestamp),
        deleted_at: row.try_get::<Option<i64>, _>("deleted_at")?.map(Timestamp),
    })
}

#[async_trait]
impl AccountStore for SqlStore {
    /// Account, built-in group, first administrator and audit event in one transaction.
    /// The event's `account_id` is filled in with the new account when the caller left it
    /// empty (it cannot know the id beforehand), so the account's own trail starts with
    /// its creation.
    async fn create_account(
        &self,
        number: AccountNumber,
        name: &AccountName,
        default_locale: Locale,
        admin: Option<UserId>,
        mut event: AuditEvent,
    ) -> StoreResult<Account> {
        self.watched(async {
            let created_at = event.at;
            let mut tx = self.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accounts (number, name, default_locale, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(number.0)
            .bind(name.as_str())
            .bind(default_locale.tag())
            .bind(created_at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(insert_error("number"))?;
            let group_id: i64 = sqlx::query_scalar(
                "INSERT INTO groups (account_id, name, builtin, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(id)
            .bind(GroupName::ACCOUNT_ADMINISTRATORS)
            .bind(true)
            .bind(created_at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(insert_error("group_name"))?;
            if let Some(admin) = admin {
                groups::insert_member(&mut tx, GroupId(group_id), admin, event.actor, created_at).await?;
            }
            event.account_id = event.account_id.or(Some(AccountId(id)));
            audit::insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(Account {
                id: AccountId(id),
                number,
                name: name.as_str().to_owned(),
                default_locale,
                created_at,
                sending_address: None,
                pending_sending_address: None,
                suspended_at: None,
                deleted_at: None,
            })
        })
        .await
    }

    /// Clears the account's sending address, and any address still waiting for its
    /// confirmation, with the audit event.
    async fn clear_sending_address(&self, account: AccountId, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            update_account(
                self,
                "UPDATE accounts SET sending_address = NULL, pending_sending_address = $2, \
                 sending_confirm_hash = NULL, sending_confirm_expires_at = NULL WHERE id = $1",
                account,
                None,
                event,
            )
            .await
        })
        .await
    }

    /// Notes `address` as waiting for confirmation (replacing any earlier one and its
    /// link) and queues the mail carrying the link, with the audit event: one
    /// transaction, so no link is mailed that was not stored. The address in effect
    /// stays until the link is used.
    async fn request_sending_address(
        &self,
        account: AccountId,
        address: &EmailAddress,
        confirmation: &Confirmation,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE accounts SET pending_sending_address = $2, sending_confirm_hash = $3, \
                 sending_confirm_expires_at = $4 WHERE id = $1",
            )
            .bind(account.0)
            .bind(address.as_str())
            .bind(&confirmation.token_hash)
            .bind(confirmation.expires_at.0)
            .run(&mut *tx)
            .await?;
            touched(&updated)?;
            outbox::insert_item(&mut tx, &confirmation.mail).await?;
            tx.commit_audited(&event).await
        })
        .await
    }

    /// The account and address a live sending-address link confirms, without using it.
    async fn sending_confirmation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(AccountId, EmailAddress)>> {
        self.watched(async {
            let row = sqlx::query(
                "SELECT id, pending_sending_address FROM accounts \
                 WHERE sending_confirm_hash = $1 AND sending_confirm_expires_at > $2 \
                 AND pending_sending_address IS NOT NULL",
            )
            .bind(token_hash)
            .bind(now.0)
            .optional(&self.pool)
            .await?;
            row.map(|row| {
                Ok((
                    AccountId(row.try_get("id")?),
                    EmailAddress::from_trusted(row.try_get("pending_sending_address")?),
                ))
            })
            .transpose()
            .map_err(db_error)
        })
        .await
    }

    /// Uses a sending-address link: the waiting address of `account` takes effect if
    /// the link is still the live one; `false` otherwise (used, replaced, expired).
    async fn confirm_sending_address(
        &self,
        account: AccountId,
        token_hash: &str,
        now: Timestamp,
        event: AuditEvent,
    ) -> StoreResult<bool> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE accounts SET sending_address = pending_sending_address, pending_sending_address = NULL, \
                 sending_confirm_hash = NULL, sending_confirm_expires_at = NULL \
                 WHERE id = $1 AND sending_confirm_hash = $2 AND sending_confirm_expires_at > $3 \
                 AND pending_sending_address IS NOT NULL",
            )
            .bind(account.0)
            .bind(token_hash)
            .bind(now.0)
            .run(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Ok(false);
            }
            audit::insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(true)
        })
        .await
    }

    /// `NotFound` when no account has this id.
    async fn account(&self, id: AccountId) -> StoreResult<Account> {
        self.watched(async { one_account(self, "a.id = $1", id.0).await }).await
    }

    /// `NotFound` when no account has this number.
    async fn account_by_number(&self, number: AccountNumber) -> StoreResult<Account> {
        self.watched(async { one_account(self, "a.number = $1 AND a.deleted_at IS NULL", number.0).await })
            .await
    }

    /// Every account, by number.
    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        self.watched(async {
            let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.deleted_at IS NULL ORDER BY a.number");
            fetch_accounts(self, sqlx::query(&sql)).await
        })
        .await
    }

    /// The accounts whose built-in Account Administrators group holds `user`, by number.
    async fn administered_accounts(&self, user: UserId) -> StoreResult<Vec<Account>> {
        self.watched(async {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.deleted_at IS NULL AND EXISTS (\
                 SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                 WHERE gm.user_id = $1 AND g.account_id = a.id AND g.builtin AND g.name = $2) \
                 ORDER BY a.number"
            );
            let query = sqlx::query(&sql).bind(user.0).bind(GroupName::ACCOUNT_ADMINISTRATORS);
            fetch_accounts(self, query).await
        })
        .await
    }

    /// The accounts in any of whose groups `user` is a member (and that did not
    /// lock them out), by number.
    async fn member_accounts(&self, user: UserId) -> StoreResult<Vec<Account>> {
        self.watched(async {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {} ORDER BY a.number",
                MEMBER.replace("{user}", "$1")
            );
            fetch_accounts(self, sqlx::query(&sql).bind(user.0)).await
        })
        .await
    }

    async fn member_by_email(&self, account: AccountId, email: &EmailAddress) -> StoreResult<Option<(User, bool)>> {
        self.watched(async {
            let sql = format!(
                "SELECT {USER_COLUMNS}, EXISTS (SELECT 1 FROM accounts a WHERE a.id = $2 AND {}) AS member \
                 FROM users u WHERE u.email = $1",
                MEMBER.replace("{user}", "u.id")
            );
            let row = sqlx::query(&sql)
                .bind(email.as_str())
                .bind(account.0)
                .optional(&self.pool)
                .await?;
            row.map(|row| Ok((user_from_row(&row)?, get_bool(&row, "member")?)))
                .transpose()
                .map_err(db_error)
        })
        .await
    }

    /// Whether `user` is in the account's Account Administrators group.
    async fn is_account_admin(&self, account: AccountId, user: UserId) -> StoreResult<bool> {
        self.watched(async {
            sqlx::query(
                "SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                 WHERE gm.user_id = $1 AND g.account_id = $2 AND g.builtin AND g.name = $3",
            )
            .bind(user.0)
            .bind(account.0)
            .bind(GroupName::ACCOUNT_ADMINISTRATORS)
            .exists(&self.pool)
            .await
        })
        .await
    }
}

/// Runs `sql` (an update of one account setting, `$1` the account, `$2` the value)
/// and records `event`, in one transaction. `NotFound` when no account has this id.
pub(crate) async fn update_account(
    store: &SqlStore,
    sql: &str,
    account: AccountId,
    value: Option<String>,
    event: AuditEvent,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let done = sqlx::query(sql).bind(account.0).bind(value).run(&mut *tx).await?;
    touched(&done)?;
    tx.commit_audited(&event).await
}

/// Reads every row of an account query.
pub(crate) async fn fetch_accounts(store: &SqlStore, query: AnyQuery<'_>) -> StoreResult<Vec<Account>> {
    let rows = query.all(&store.pool).await?;
    from_rows(&rows, account_from_row)
}
