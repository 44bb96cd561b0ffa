//! `ReportStore`: an account's monthly counts, and their upkeep.
//!
//! Everything a report shows is counted as it happens into `report_months`
//! (migration 0031), one row per account and month, in the transaction of the
//! write it counts: messages sent, recipients notified and messages opened in the
//! month of sending ([`count_sent`], [`count_notified`], [`count_opened`]); registrations and
//! activations of people the account had written to, once per person and month
//! ([`count_person`], called with every audit event written, noting the people
//! in `report_people`). A year's report reads at most twelve rows.

use async_trait::async_trait;
use sealpost_domain::messages::MessageId;
use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{MonthCounts, ReportStore, StoreResult, YearMonth};
use sealpost_domain::types::{AccountId, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::columns::Columns;
use crate::statements::{Fetch, Run};
use crate::{SqlStore, db_error};

/// The audit actions counted as a registration and as an activation.
const REGISTERED: &str = "user.registered";
const ACTIVATED: &str = "user.activated";

/// The counts of month `number` (`YYYYMM`) in `months`, added when missing.
fn entry(months: &mut Vec<(YearMonth, MonthCounts)>, number: i64) -> Option<&mut MonthCounts> {
    let month = YearMonth::from_number(number)?;
    let at = match months.iter().position(|(m, _)| *m == month) {
        Some(at) => at,
        None => {
            months.push((month, MonthCounts::default()));
            months.len() - 1
        }
    };
    months.get_mut(at).map(|(_, c)| c)
}

fn count(row: &sqlx::any::AnyRow, column: &str) -> Result<u64, sqlx::Error> {
    Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
}

/// The `YYYYMM` number of the month `at` falls in (UTC).
fn month_number(at: Timestamp) -> i64 {
    let month = YearMonth::of(at);
    i64::from(month.year) * 100 + i64::from(month.month)
}

/// Adds `counts` (sent, notified, opened, registrations, activations) to
/// `account`'s month of `at`.
async fn add(conn: &mut AnyConnection, account: AccountId, at: Timestamp, counts: [i64; 5]) -> StoreResult<()> {
    let [sent, notified, opened, registrations, activations] = counts;
    sqlx::query(
        "INSERT INTO report_months (account_id, month, sent, notified, opened, registrations, activations) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (account_id, month) DO UPDATE SET sent = report_months.sent + excluded.sent, \
         notified = report_months.notified + excluded.notified, opened = report_months.opened + excluded.opened, \
         registrations = report_months.registrations + excluded.registrations, \
         activations = report_months.activations + excluded.activations",
    )
    .bind(account.0)
    .bind(month_number(at))
    .bind(sent)
    .bind(notified)
    .bind(opened)
    .bind(registrations)
    .bind(activations)
    .run(conn)
    .await?;
    Ok(())
}

/// Notes a registration or an activation (`event`, as written to the audit
/// trail; any other event is left alone) for every account that had written to
/// the person by then, once per person, account, month and kind.
pub(crate) async fn count_person(conn: &mut AnyConnection, event: &AuditEvent) -> StoreResult<()> {
    let kind = match event.action.as_str() {
        REGISTERED => "registered",
        ACTIVATED => "activated",
        _ => return Ok(()),
    };
    if event.account_id.is_some() || event.outcome != "ok" {
        return Ok(());
    }
    let accounts: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO report_people (account_id, month, kind, email) \
         SELECT DISTINCT m.account_id, CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT) \
         FROM message_recipients r JOIN messages m ON m.id = r.message_id \
         WHERE r.email = CAST($3 AS TEXT) AND m.created_at <= $4 \
         ON CONFLICT (account_id, month, kind, email) DO NOTHING RETURNING account_id",
    )
    .bind(month_number(event.at))
    .bind(kind)
    .bind(event.target.as_str())
    .bind(event.at.0)
    .all(&mut *conn)
    .await?;
    let counts = if kind == "registered" {
        [0, 0, 0, 1, 0]
    } else {
        [0, 0, 0, 0, 1]
    };
    for account in accounts {
        add(conn, AccountId(account), event.at, counts).await?;
    }
    Ok(())
}

/// Counts messages sent, each `(account, sent_at)`, on the connection (the
/// transaction) that stores them: one addition per account and month.
pub(crate) async fn count_sent(conn: &mut AnyConnection, sent: &[(AccountId, Timestamp)]) -> StoreResult<()> {
    let mut months = Tallies::new();
    for &(account, sent_at) in sent {
        tally(&mut months, (account, month_number(sent_at)), sent_at, 1);
    }
    for ((account, _), (sent_at, count)) in months {
        add(conn, account, sent_at, [count, 0, 0, 0, 0]).await?;
    }
    Ok(())
}

/// Counts per (account, month number): a time in that month, and the count.
type Tallies = Vec<((AccountId, i64), (Timestamp, i64))>;

/// Adds `count` to `key`'s tally (`at`: a time in its month).
fn tally(months: &mut Tallies, key: (AccountId, i64), at: Timestamp, count: i64) {
    match months.iter_mut().find(|(k, _)| *k == key) {
        Some((_, (_, total))) => *total += count,
        None => months.push((key, (at, count))),
    }
}

/// Counts `message` opened (its first opening by anyone), in the month it was
/// sent, on the connection of the change.
pub(crate) async fn count_opened(conn: &mut AnyConnection, message: MessageId) -> StoreResult<()> {
    let row = sqlx::query("SELECT account_id, created_at FROM messages WHERE id = $1")
        .bind(message.0)
        .optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(()) };
    let account = AccountId(row.col("account_id")?);
    let sent_at = row.at("created_at")?;
    add(conn, account, sent_at, [0, 0, 1, 0, 0]).await
}

/// Counts one recipient notified for each entry of `messages` (a message may
/// stand there more than once), in the month each was sent: one read for all of
/// them and one addition per account and month.
pub(crate) async fn count_notified(conn: &mut AnyConnection, messages: &[MessageId]) -> StoreResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut distinct: Vec<i64> = messages.iter().map(|m| m.0).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let sql = format!(
        "SELECT id, account_id, created_at FROM messages WHERE id IN ({})",
        crate::placeholders(1, 1, distinct.len())
    );
    let rows = distinct
        .iter()
        .fold(sqlx::query(&sql), |query, id| query.bind(*id))
        .all(&mut *conn)
        .await?;
    let mut months = Tallies::new();
    for row in &rows {
        let id: i64 = row.col("id")?;
        let account = AccountId(row.col("account_id")?);
        let sent_at = row.at("created_at")?;
        let recipients = i64::try_from(messages.iter().filter(|m| m.0 == id).count()).unwrap_or(i64::MAX);
        tally(&mut months, (account, month_number(sent_at)), sent_at, recipients);
    }
    for ((account, _), (sent_at, notified)) in months {
        add(conn, account, sent_at, [0, notified, 0, 0, 0]).await?;
    }
    Ok(())
}

#[async_trait]
impl ReportStore for SqlStore {
    async fn monthly_counts(
        &self,
        account: AccountId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<(YearMonth, MonthCounts)>> {
        self.watched(async {
            let mut months: Vec<(YearMonth, MonthCounts)> = Vec::new();
            let rows = sqlx::query(
                "SELECT month, sent, notified, opened, registrations, activations FROM report_months \
                 WHERE account_id = $1 AND month >= $2 AND month <= $3",
            )
            .bind(account.0)
            .bind(month_number(from))
            .bind(month_number(Timestamp(until.0 - 1)))
            .all(&self.pool)
            .await?;
            for row in &rows {
                let number: i64 = row.col("month")?;
                if let Some(counts) = entry(&mut months, number) {
                    counts.sent = count(row, "sent").map_err(db_error)?;
                    counts.notified = count(row, "notified").map_err(db_error)?;
                    counts.opened = count(row, "opened").map_err(db_error)?;
                    counts.registrations = count(row, "registrations").map_err(db_error)?;
                    counts.activations = count(row, "activations").map_err(db_error)?;
                }
            }
            months.sort_by_key(|(m, _)| *m);
            Ok(months)
        })
        .await
    }
}
