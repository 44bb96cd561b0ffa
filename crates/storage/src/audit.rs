//! The audit trail: append-only events, written inside the transaction of the change
//! they record (see [`insert_event`]) or alone for things that change nothing else
//! (logins, refusals).

use async_trait::async_trait;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{
    AuditEntry, AuditKind, AuditListing, AuditPageAt, AuditPosition, AuditQuery, AuditStore, StoreResult, VIEW_ACTIONS,
};
use sealpost_domain::services::audit::AUDIT_COUNTED_UP_TO;
use sealpost_domain::types::{AccountId, Timestamp, UserId};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::columns::from_rows;
use crate::params::{Params, containing};
use crate::statements::{Fetch, Run};
use crate::{SqlStore, db_error, limit};

/// Appends `event` on `conn`, typically a transaction that also makes the change the
/// event records, so the trail never claims a change that did not happen or misses
/// one that did.
pub(crate) async fn insert_event(conn: &mut AnyConnection, event: &AuditEvent) -> StoreResult<()> {
    insert_events(conn, std::iter::once(event)).await
}

/// The most audit events one `INSERT` carries (seven parameters each, well
/// under both databases' limits): callers with more split them.
pub(crate) const EVENTS_PER_INSERT: usize = 64;

/// Appends `events` with one statement (none when there are none), on `conn`
/// as [`insert_event`] does.
pub(crate) async fn insert_events<'e>(
    conn: &mut AnyConnection,
    events: impl ExactSizeIterator<Item = &'e AuditEvent>,
) -> StoreResult<()> {
    let events: Vec<&AuditEvent> = events.collect();
    if events.is_empty() {
        return Ok(());
    }
    let rows = crate::placeholders(1, 7, events.len());
    let sql =
        format!("INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) VALUES {rows}");
    let mut query = sqlx::query(&sql);
    for event in &events {
        query = query
            .bind(event.at.0)
            .bind(event.actor.map(|a| a.0))
            .bind(event.account_id.map(|a| a.0))
            .bind(&event.action)
            .bind(&event.target)
            .bind(event.ip.as_deref())
            .bind(&event.outcome);
    }
    query.run(&mut *conn).await?;
    for event in events {
        crate::reports::count_person(conn, event).await?;
    }
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
            let rows = query.bind(limit(page)).all(&self.pool).await?;
            from_rows(&rows, event_from_row)
        })
        .await
    }

    /// A page of the Audit tab: the filter's `WHERE` over the `(account_id, at, id)`
    /// index (migration 0024), walked from a cursor rather than an offset, so a deep
    /// page reads as few rows as the first; then the total, counted up to
    /// [`AUDIT_COUNTED_UP_TO`] + 1 rows (an exact count of a broad filter reads every
    /// matching event: hundreds of milliseconds at a million), and whether the other
    /// direction has rows (one probe each).
    async fn search_audit(&self, account: AccountId, query: &AuditQuery) -> StoreResult<AuditListing> {
        self.watched(async {
            let filter = AuditFilter::of(account, query, false);
            let count_sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 AS one FROM audit_events e WHERE {} LIMIT {}) AS counted",
                filter.sql,
                AUDIT_COUNTED_UP_TO + 1
            );
            let total = filter
                .params
                .bind(sqlx::query_scalar::<_, i64>(&count_sql))
                .one(&self.pool)
                .await?;
            // Past the cap, an area's events are common: walking the time index and
            // skipping the others finds a page sooner than sorting them all.
            let dense = u64::try_from(total).unwrap_or(0) > AUDIT_COUNTED_UP_TO;
            let filter = if dense {
                AuditFilter::of(account, query, true)
            } else {
                filter
            };

            let wanted = query.limit.max(1);
            let (cursor, order, newest_first) = match query.page {
                AuditPageAt::First => (None, "DESC", true),
                AuditPageAt::OlderThan(p) => (Some((p, "<")), "DESC", true),
                AuditPageAt::NewerThan(p) => (Some((p, ">")), "ASC", false),
            };
            // The page's ids first, from the index alone (an area's range of actions
            // is sorted there: at a million events, reading each of its 60,000 rows
            // before sorting took 200 ms), then those rows.
            let mut params = filter.params.clone();
            let mut ids = format!("SELECT e.id FROM audit_events e WHERE {}", filter.sql);
            if let Some((p, op)) = cursor {
                let (at, id) = (params.int(p.at.0), params.int(p.id));
                ids.push_str(&format!(" AND (e.at, e.id) {op} ({at}, {id})"));
            }
            let limit_at = params.int(limit(wanted) + 1);
            ids.push_str(&format!(" ORDER BY e.at {order}, e.id {order} LIMIT {limit_at}"));
            let sql = format!(
                "SELECT e.id, e.at, e.actor_user_id, e.account_id, e.action, e.target, e.ip, e.outcome, \
                 u.email AS who FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id \
                 WHERE e.id IN ({ids}) ORDER BY e.at {order}, e.id {order}"
            );
            let rows = params.bind(sqlx::query(&sql)).all(&self.pool).await?;
            let mut entries = from_rows(&rows, entry)?;
            let more = entries.len() > wanted as usize;
            entries.truncate(wanted as usize);
            if !newest_first {
                entries.reverse();
            }
            // Past the cursor's side there is at least the cursor's own event; the
            // probe still asks, as the event may have left the filter since.
            let (older_more, newer_more) = match query.page {
                AuditPageAt::First => (more, false),
                AuditPageAt::OlderThan(_) => (more, self.beyond(&filter, entries.first(), ">").await?),
                AuditPageAt::NewerThan(_) => (self.beyond(&filter, entries.last(), "<").await?, more),
            };
            Ok(AuditListing {
                newer: newer_more.then(|| entries.first().map(|e| e.position)).flatten(),
                older: older_more.then(|| entries.last().map(|e| e.position)).flatten(),
                entries,
                total: u64::try_from(total).unwrap_or(0),
            })
        })
        .await
    }
}

impl SqlStore {
    /// Whether an event matching `filter` lies beyond `edge` (`>`: newer, `<`: older).
    async fn beyond(&self, filter: &AuditFilter, edge: Option<&AuditEntry>, op: &str) -> StoreResult<bool> {
        let Some(edge) = edge else { return Ok(false) };
        let mut params = filter.params.clone();
        let (at, id) = (params.int(edge.position.at.0), params.int(edge.position.id));
        let sql = format!(
            "SELECT e.id FROM audit_events e WHERE {} AND (e.at, e.id) {op} ({at}, {id}) LIMIT 1",
            filter.sql
        );
        params.bind(sqlx::query(&sql)).exists(&self.pool).await
    }
}

/// An event from a row holding the columns of `audit_events` (`at` through `outcome`).
fn event_from_row(row: &AnyRow) -> Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        at: Timestamp(row.try_get("at")?),
        actor: row.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId),
        account_id: row.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        ip: row.try_get("ip")?,
        outcome: row.try_get("outcome")?,
    })
}

/// An Audit tab entry: the event, its place in the trail and who acted.
fn entry(row: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
    let event = event_from_row(row)?;
    Ok(AuditEntry {
        position: AuditPosition {
            at: event.at,
            id: row.try_get("id")?,
        },
        event,
        who: row.try_get("who")?,
    })
}

/// The `WHERE` of the Audit tab (without its cursor) and its parameters, `$1` on.
struct AuditFilter {
    sql: String,
    params: Params,
}

impl AuditFilter {
    /// `in_time_order`: write an area's condition so that no index answers it
    /// (`substr`), leaving the `(account_id, at, id)` index to walk in page order,
    /// for areas with many events; else as a range of the action index.
    fn of(account: AccountId, query: &AuditQuery, in_time_order: bool) -> Self {
        let mut params = Params::default();
        let mut sql = format!("e.account_id = {}", params.int(account.0));
        // The view actions are constants of ours, never input: written as literals.
        let views = VIEW_ACTIONS.map(|a| format!("'{a}'")).join(", ");
        match query.kind {
            AuditKind::All => {}
            AuditKind::Changes => sql.push_str(&format!(" AND e.action NOT IN ({views})")),
            AuditKind::Views => sql.push_str(&format!(" AND e.action IN ({views})")),
            kind => {
                if let Some(area) = kind.area()
                    && in_time_order
                {
                    let p = params.text(area);
                    sql.push_str(&format!(" AND substr(e.action, 1, {}) = {p}", area.len()));
                } else if let Some(area) = kind.area() {
                    // `group.` ≤ action < `group/` (the byte after `.`): a range of the
                    // (account_id, action, at) index on both backends (text compares
                    // byte-wise); the LIKE keeps it exact whatever the collation.
                    let first = params.text(area);
                    let beyond = params.text(format!("{}/", area.trim_end_matches('.')));
                    let like = params.text(format!("{area}%"));
                    sql.push_str(&format!(
                        " AND e.action >= {first} AND e.action < {beyond} AND e.action LIKE {like}"
                    ));
                }
                if kind == AuditKind::Message {
                    sql.push_str(&format!(" AND e.action NOT IN ({views})"));
                }
            }
        }
        let who = query.who.trim();
        if !who.is_empty() {
            let p = params.text(containing(&who.to_ascii_lowercase()));
            sql.push_str(&format!(
                " AND e.actor_user_id IN (SELECT id FROM users WHERE email LIKE {p} ESCAPE '!')"
            ));
        }
        if let Some(from) = query.from {
            sql.push_str(&format!(" AND e.at >= {}", params.int(from.0)));
        }
        if let Some(until) = query.until {
            sql.push_str(&format!(" AND e.at < {}", params.int(until.0)));
        }
        Self { sql, params }
    }
}
