//! `ReportStore`: an account's monthly counts, and their upkeep.
//!
//! Messages sent, recipients notified and messages opened are counted as they
//! happen into `report_months` (migration 0031), one row per account and month of
//! sending, by [`count_sent`] and [`count_on_message`], called in the transaction
//! of the write they count; a year's report reads at most twelve rows. The
//! registrations and activations of people the account had written to are read
//! from the audit trail (by the `audit_events_account_action` index), bucketed by
//! a `CASE` over the months' first instants (computed here, UTC), which reads the
//! same on both backends.

use async_trait::async_trait;
use sealpost_domain::messages::MessageId;
use sealpost_domain::ports::{MonthCounts, ReportStore, StoreResult, YearMonth};
use sealpost_domain::types::{AccountId, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::{SqlStore, db_error};

/// The audit actions counted as a registration and as an activation.
const REGISTERED: &str = "user.registered";
const ACTIVATED: &str = "user.activated";

/// `CASE WHEN col < <start of the 2nd month> THEN 202601 WHEN … END`: the
/// `YYYYMM` number of the month of `[from, until)` that `column` falls in. The
/// numbers are ours (no input reaches this text).
fn month_bucket(column: &str, from: Timestamp, until: Timestamp) -> String {
    let mut sql = String::from("CASE");
    let mut month = YearMonth::of(from);
    while let Some(start) = month.start() {
        if start >= until {
            break;
        }
        let next = month.next();
        let end = next.start().map_or(until, |s| s.min(until));
        let number = i64::from(month.year) * 100 + i64::from(month.month);
        sql.push_str(&format!(" WHEN {column} < {} THEN {number}", end.0));
        month = next;
    }
    sql.push_str(" END");
    sql
}

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

/// Adds to the counts of `account`'s month of `sent_at`.
async fn add(
    conn: &mut AnyConnection,
    account: AccountId,
    sent_at: Timestamp,
    (sent, notified, opened): (i64, i64, i64),
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO report_months (account_id, month, sent, notified, opened) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account_id, month) DO UPDATE SET sent = report_months.sent + excluded.sent, \
         notified = report_months.notified + excluded.notified, opened = report_months.opened + excluded.opened",
    )
    .bind(account.0)
    .bind(month_number(sent_at))
    .bind(sent)
    .bind(notified)
    .bind(opened)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Counts a message sent by `account` at `sent_at`, on the connection (the
/// transaction) that stores it.
pub(crate) async fn count_sent(conn: &mut AnyConnection, account: AccountId, sent_at: Timestamp) -> StoreResult<()> {
    add(conn, account, sent_at, (1, 0, 0)).await
}

/// Counts `notified` recipients notified and `opened` first openings of
/// `message`, in the month it was sent, on the connection of the change.
pub(crate) async fn count_on_message(
    conn: &mut AnyConnection,
    message: MessageId,
    notified: i64,
    opened: i64,
) -> StoreResult<()> {
    let row = sqlx::query("SELECT account_id, created_at FROM messages WHERE id = $1")
        .bind(message.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
    let Some(row) = row else { return Ok(()) };
    let account = AccountId(row.try_get("account_id").map_err(db_error)?);
    let sent_at = Timestamp(row.try_get("created_at").map_err(db_error)?);
    add(conn, account, sent_at, (0, notified, opened)).await
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
                "SELECT month, sent, notified, opened FROM report_months \
                 WHERE account_id = $1 AND month >= $2 AND month <= $3",
            )
            .bind(account.0)
            .bind(month_number(from))
            .bind(month_number(Timestamp(until.0 - 1)))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
            for row in &rows {
                let number: i64 = row.try_get("month").map_err(db_error)?;
                if let Some(counts) = entry(&mut months, number) {
                    counts.sent = count(row, "sent").map_err(db_error)?;
                    counts.notified = count(row, "notified").map_err(db_error)?;
                    counts.opened = count(row, "opened").map_err(db_error)?;
                }
            }

            let people_sql = format!(
                "SELECT {} AS month, a.action AS action, COUNT(DISTINCT a.target) AS people \
                 FROM audit_events a \
                 WHERE a.account_id IS NULL AND a.action IN ($4, $5) AND a.outcome = 'ok' \
                   AND a.at >= $2 AND a.at < $3 \
                   AND EXISTS (SELECT 1 FROM message_recipients r JOIN messages m ON m.id = r.message_id \
                               WHERE r.email = a.target AND m.account_id = $1 AND m.created_at <= a.at) \
                 GROUP BY month, a.action",
                month_bucket("a.at", from, until)
            );
            let rows = sqlx::query(&people_sql)
                .bind(account.0)
                .bind(from.0)
                .bind(until.0)
                .bind(REGISTERED)
                .bind(ACTIVATED)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
            for row in &rows {
                let number: Option<i64> = row.try_get("month").map_err(db_error)?;
                let action: String = row.try_get("action").map_err(db_error)?;
                let people = count(row, "people").map_err(db_error)?;
                if let Some(counts) = number.and_then(|n| entry(&mut months, n)) {
                    if action == REGISTERED {
                        counts.registrations = people;
                    } else {
                        counts.activations = people;
                    }
                }
            }
            months.sort_by_key(|(m, _)| *m);
            Ok(months)
        })
        .await
    }
}
