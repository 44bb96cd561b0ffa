//! The audit trail: append-only events, written inside the transaction of the change
//! they record (see [`insert_event`]) or alone for things that change nothing else
//! (logins, refusals).

use async_trait::async_trait;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{AuditStore, StoreResult};
use sealpost_domain::types::{AccountId, Timestamp, UserId};
use sqlx::AnyConnection;
use sqlx::Row;

use crate::{SqlStore, db_error, limit};

/// Appends `event` on `conn`, typically a transaction that also makes the change the
/// event records, so the trail never claims a change that did not happen or misses
/// one that did.
pub(crate) async fn insert_event(conn: &mut AnyConnection, event: &AuditEvent) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.at.0)
    .bind(event.actor.map(|a| a.0))
    .bind(event.account_id.map(|a| a.0))
    .bind(&event.action)
    .bind(&event.target)
    .bind(event.ip.as_deref())
    .bind(&event.outcome)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Appends `events` with one statement (none when there are none), on `conn`
/// as [`insert_event`] does.
pub(crate) async fn insert_events<'e>(
    conn: &mut AnyConnection,
    events: impl ExactSizeIterator<Item = &'e AuditEvent>,
) -> StoreResult<()> {
    if events.len() == 0 {
        return Ok(());
    }
    let rows = (0..events.len())
        .map(|i| {
            let n = i * 7;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6,
                n + 7
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql =
        format!("INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) VALUES {rows}");
    let mut query = sqlx::query(&sql);
    for event in events {
        query = query
            .bind(event.at.0)
            .bind(event.actor.map(|a| a.0))
            .bind(event.account_id.map(|a| a.0))
            .bind(&event.action)
            .bind(&event.target)
            .bind(event.ip.as_deref())
            .bind(&event.outcome);
    }
    query.execute(conn).await.map_err(db_error)?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqlStore {
    /// Records an event that is not part of another change.
    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()> {
        self.watched(async {
            let mut conn = self.pool.acquire().await.map_err(db_error)?;
            insert_event(&mut conn, &event).await
        })
        .await
    }

    /// The newest `page` events of one account, or of the whole service, newest first.
    async fn list_audit(&self, account: Option<AccountId>, page: u32) -> StoreResult<Vec<AuditEvent>> {
        self.watched(async {
            const COLUMNS: &str = "at, actor_user_id, account_id, action, target, ip, outcome";
            let query = match account {
                Some(_) => {
                    format!("SELECT {COLUMNS} FROM audit_events WHERE account_id = $1 ORDER BY id DESC LIMIT $2")
                }
                None => format!("SELECT {COLUMNS} FROM audit_events ORDER BY id DESC LIMIT $1"),
            };
            let mut query = sqlx::query(&query);
            if let Some(account) = account {
                query = query.bind(account.0);
            }
            let rows = query.bind(limit(page)).fetch_all(&self.pool).await.map_err(db_error)?;
            rows.iter()
                .map(|row| {
                    Ok(AuditEvent {
                        at: Timestamp(row.try_get("at")?),
                        actor: row.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId),
                        account_id: row.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
                        action: row.try_get("action")?,
                        target: row.try_get("target")?,
                        ip: row.try_get("ip")?,
                        outcome: row.try_get("outcome")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(db_error)
        })
        .await
    }
}
