//! `ReportStore`: an account's monthly counts, read in two statements whatever the
//! number of months: the account's messages of the range (by the
//! `messages_account_created` index, migration 0031) with their recipients, and the
//! registrations and activations of people the account had written to.
//!
//! Months are bucketed by a `CASE` over the months' first instants (computed here,
//! UTC), which reads the same on both backends and costs a comparison or two a row.

use async_trait::async_trait;
use sealpost_domain::ports::{MonthCounts, ReportStore, StoreResult, YearMonth};
use sealpost_domain::types::{AccountId, Timestamp};
use sqlx::Row;

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
            let sent_sql = format!(
                "SELECT {} AS month, COUNT(*) AS sent, \
                 CAST(SUM((SELECT COUNT(*) FROM message_recipients r \
                           WHERE r.message_id = m.id AND r.notified_at IS NOT NULL)) AS BIGINT) AS notified, \
                 CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM message_recipients r \
                           WHERE r.message_id = m.id AND r.opened_at IS NOT NULL) THEN 1 ELSE 0 END) AS BIGINT) AS opened \
                 FROM messages m WHERE m.account_id = $1 AND m.created_at >= $2 AND m.created_at < $3 \
                 GROUP BY month",
                month_bucket("m.created_at", from, until)
            );
            let rows = sqlx::query(&sent_sql)
                .bind(account.0)
                .bind(from.0)
                .bind(until.0)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
            for row in &rows {
                let number: Option<i64> = row.try_get("month").map_err(db_error)?;
                if let Some(counts) = number.and_then(|n| entry(&mut months, n)) {
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
