//! Renaming, suspending and deleting accounts, and the Accounts list a page at a time.
//!
//! Deleting keeps the account's row (marked `deleted_at`) and its audit trail; what
//! made the account work goes in the same transaction as the audit event: the data
//! keys of its messages (so no copy of any envelope opens again), its account keys,
//! groups with their members, settings, tokens and waiting notifications.

use async_trait::async_trait;
use sealpost_domain::messages::PublicId;
use sealpost_domain::model::{Account, AuditEvent};
use sealpost_domain::ports::{AccountAdminStore, AccountPage, AccountQuery, AccountSort, StoreResult};
use sealpost_domain::types::{AccountId, AccountName, AccountNumber, GroupName, Timestamp};

use crate::accounts::{ACCOUNT_COLUMNS, fetch_accounts, one_account, update_account};
use crate::messages::public_ids;
use crate::params::{Params, containing};
use crate::statements::{Fetch, Run};
use crate::{SqlStore, audit, db_error, limit, touched};

/// What a deletion removes outright, in order (members before their groups, waiting
/// notifications before nothing refers to the messages' keys any more).
const DELETED_WITH_THE_ACCOUNT: &[&str] = &[
    "DELETE FROM outbox WHERE status = 'pending' AND message_id IN (SELECT id FROM messages WHERE account_id = $1)",
    "DELETE FROM group_members WHERE group_id IN (SELECT id FROM groups WHERE account_id = $1)",
    "DELETE FROM groups WHERE account_id = $1",
    "DELETE FROM account_settings WHERE account_id = $1",
    "DELETE FROM account_tokens WHERE account_id = $1",
    "DELETE FROM account_logos WHERE account_id = $1",
    "DELETE FROM envelope_profiles WHERE account_id = $1",
    "DELETE FROM account_keys WHERE account_id = $1",
    "DELETE FROM account_user_locks WHERE account_id = $1",
];

#[async_trait]
impl AccountAdminStore for SqlStore {
    async fn rename_account(&self, account: AccountId, name: &AccountName, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            update_account(
                self,
                "UPDATE accounts SET name = $2 WHERE id = $1 AND deleted_at IS NULL",
                account,
                Some(name.as_str().to_owned()),
                event,
            )
            .await
        })
        .await
    }

    async fn set_account_suspended(
        &self,
        account: AccountId,
        since: Option<Timestamp>,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let status = if since.is_some() { "suspended" } else { "active" };
            let done =
                sqlx::query("UPDATE accounts SET suspended_at = $2, status = $3 WHERE id = $1 AND deleted_at IS NULL")
                    .bind(account.0)
                    .bind(since.map(|t| t.0))
                    .bind(status)
                    .run(&mut *tx)
                    .await?;
            touched(&done)?;
            tx.commit_audited(&event).await
        })
        .await
    }

    async fn delete_account(&self, account: AccountId, at: Timestamp, event: AuditEvent) -> StoreResult<Vec<PublicId>> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE accounts SET deleted_at = $2, pending_sending_address = NULL, \
                 sending_confirm_hash = NULL, sending_confirm_expires_at = NULL \
                 WHERE id = $1 AND deleted_at IS NULL",
            )
            .bind(account.0)
            .bind(at.0)
            .run(&mut *tx)
            .await?;
            touched(&done)?;
            let rows = sqlx::query(
                "UPDATE messages SET wrapped_dek = NULL, sealed_parts = NULL WHERE account_id = $1 RETURNING public_id",
            )
            .bind(account.0)
            .all(&mut *tx)
            .await?;
            let shredded = public_ids(&rows)?;
            for sql in DELETED_WITH_THE_ACCOUNT {
                sqlx::query(sql).bind(account.0).run(&mut *tx).await?;
            }
            audit::insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(db_error)?;
            Ok(shredded)
        })
        .await
    }

    async fn deleted_account(&self, number: AccountNumber) -> StoreResult<Account> {
        self.watched(async { one_account(self, "a.number = $1 AND a.deleted_at IS NOT NULL", number.0).await })
            .await
    }

    /// The filter is built once and bound twice (the count and the page); the page
    /// reads `accounts_by_name` (or the number's unique index) in order and stops
    /// after `limit` rows past `offset`.
    async fn search_accounts(&self, query: &AccountQuery) -> StoreResult<AccountPage> {
        self.watched(async {
            let mut filter = Filter::of(query);
            let count_sql = format!("SELECT COUNT(*) FROM accounts a WHERE {}", filter.sql);
            let total: i64 = filter
                .params
                .bind(sqlx::query_scalar(&count_sql))
                .one(&self.pool)
                .await?;
            let order = match query.sort {
                AccountSort::Name => "lower(a.name), a.number",
                AccountSort::Number => "a.number",
            };
            let limit_at = filter.params.int(limit(query.limit));
            let offset_at = filter.params.int(i64::from(query.offset));
            let page_sql = format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {} ORDER BY {order} LIMIT {limit_at} OFFSET {offset_at}",
                filter.sql
            );
            let accounts = fetch_accounts(self, filter.params.bind(sqlx::query(&page_sql))).await?;
            Ok(AccountPage {
                accounts,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
        .await
    }
}

/// The `WHERE` of the Accounts list and its parameters (`$1`, `$2`, … in order).
struct Filter {
    sql: String,
    params: Params,
}

impl Filter {
    fn of(query: &AccountQuery) -> Self {
        let mut sql = String::from("a.deleted_at IS NULL");
        let mut params = Params::default();
        if let Some(user) = query.administered_by {
            let user = params.int(user.0);
            let group = params.text(GroupName::ACCOUNT_ADMINISTRATORS);
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                 WHERE gm.user_id = {user} AND g.account_id = a.id AND g.builtin AND g.name = {group})"
            ));
        }
        let search = query.search.trim();
        if !search.is_empty() {
            // `lower` folds ASCII only on both backends (SQLite; PostgreSQL's "C" collation).
            let name = params.text(containing(&search.to_ascii_lowercase()));
            if search.bytes().all(|b| b.is_ascii_digit()) {
                let number = params.text(format!("{search}%"));
                sql.push_str(&format!(
                    " AND (lower(a.name) LIKE {name} ESCAPE '!' OR CAST(a.number AS TEXT) LIKE {number})"
                ));
            } else {
                sql.push_str(&format!(" AND lower(a.name) LIKE {name} ESCAPE '!'"));
            }
        }
        Self { sql, params }
    }
}
