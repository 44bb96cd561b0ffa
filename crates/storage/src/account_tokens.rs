//! Account tokens, a row each; the secret only as its hash.

use async_trait::async_trait;
use sealpost_domain::account_tokens::{AccountToken, Network, NewAccountToken, TokenScope};
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{AccountTokenStore, StoreResult};
use sealpost_domain::types::{AccountId, EmailAddress, Timestamp, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::columns::from_rows;
use crate::statements::{Fetch, Run};
use crate::{DATABASE, SqlStore, audit, db_error, insert_error, touched};

const COLUMNS: &str = "t.id, t.account_id, t.public_id, t.secret_hash, t.name, t.scopes, t.networks, t.expires_at, \
     t.created_by, u.email AS created_by_email, t.created_at, t.last_used_at, t.last_used_from, t.revoked_at, t.relay_untagged";

const FROM: &str = "FROM account_tokens t LEFT JOIN users u ON u.id = t.created_by";

fn token_from_row(row: &AnyRow) -> Result<AccountToken, sqlx::Error> {
    let list = |column: &str| -> Result<Vec<String>, sqlx::Error> {
        let raw: String = row.try_get(column)?;
        Ok(raw.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect())
    };
    Ok(AccountToken {
        id: row.try_get("id")?,
        account_id: AccountId(row.try_get("account_id")?),
        public_id: row.try_get("public_id")?,
        name: row.try_get("name")?,
        // A scope or network this version cannot read is left out: it grants nothing.
        scopes: list("scopes")?.iter().filter_map(|s| TokenScope::parse(s)).collect(),
        networks: list("networks")?.iter().filter_map(|n| Network::parse(n)).collect(),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(Timestamp),
        created_by: row.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_by_email: row
            .try_get::<Option<String>, _>("created_by_email")?
            .map(EmailAddress::from_trusted),
        created_at: Timestamp(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(Timestamp),
        last_used_from: row.try_get("last_used_from")?,
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(Timestamp),
        relay_untagged: row.try_get::<i64, _>("relay_untagged")? != 0,
    })
}

fn joined<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

#[async_trait]
impl AccountTokenStore for SqlStore {
    async fn insert_account_token(&self, token: &NewAccountToken, audit: AuditEvent) -> StoreResult<AccountToken> {
        self.health.watch(DATABASE, insert(self, token, audit).await)
    }

    async fn account_tokens(&self, account: AccountId) -> StoreResult<Vec<AccountToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} {FROM} WHERE t.account_id = $1 ORDER BY t.created_at DESC, t.id DESC"
        ))
        .bind(account.0)
        .all(&self.pool)
        .await;
        let tokens = rows.and_then(|rows| from_rows(&rows, token_from_row));
        self.health.watch(DATABASE, tokens)
    }

    async fn account_token_by_public_id(&self, public_id: &str) -> StoreResult<Option<(AccountToken, String)>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE t.public_id = $1"))
            .bind(public_id)
            .optional(&self.pool)
            .await;
        let found = row.and_then(|row| {
            row.map(|row| Ok((token_from_row(&row)?, row.try_get("secret_hash")?)))
                .transpose()
                .map_err(db_error)
        });
        self.health.watch(DATABASE, found)
    }

    async fn revoke_account_token(
        &self,
        account: AccountId,
        id: i64,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.health.watch(DATABASE, revoke(self, account, id, at, audit).await)
    }

    async fn note_account_token_use(&self, id: i64, at: Timestamp, from: &str) -> StoreResult<()> {
        let done = async {
            let mut tx = self.begin_write().await?;
            sqlx::query("UPDATE account_tokens SET last_used_at = $2, last_used_from = $3 WHERE id = $1")
                .bind(id)
                .bind(at.0)
                .bind(from)
                .run(&mut *tx)
                .await?;
            tx.commit().await.map_err(db_error)
        };
        self.health.watch(DATABASE, done.await)
    }
}

async fn insert(store: &SqlStore, token: &NewAccountToken, audit: AuditEvent) -> StoreResult<AccountToken> {
    let mut tx = store.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO account_tokens (account_id, public_id, secret_hash, name, scopes, networks, expires_at, \
         created_by, created_at, relay_untagged) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(token.account_id.0)
    .bind(&token.public_id)
    .bind(&token.secret_hash)
    .bind(&token.name)
    .bind(joined(&token.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>()))
    .bind(joined(&token.networks))
    .bind(token.expires_at.map(|t| t.0))
    .bind(token.created_by.map(|u| u.0))
    .bind(token.created_at.0)
    .bind(i64::from(token.relay_untagged))
    .fetch_one(&mut *tx)
    .await
    .map_err(insert_error("public_id"))?;
    audit::insert_event(&mut tx, &audit).await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE t.id = $1"))
        .bind(id)
        .one(&mut *tx)
        .await?;
    let stored = token_from_row(&row).map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    Ok(stored)
}

async fn revoke(store: &SqlStore, account: AccountId, id: i64, at: Timestamp, audit: AuditEvent) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let done = sqlx::query(
        "UPDATE account_tokens SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(account.0)
    .bind(at.0)
    .run(&mut *tx)
    .await?;
    touched(&done)?;
    tx.commit_audited(&audit).await
}
