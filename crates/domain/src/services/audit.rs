//! The Audit tab's reading of an account's trail: filtered, paged from a cursor,
//! counted (up to [`AUDIT_COUNTED_UP_TO`], then "more than"), and exported whole (up to [`EXPORT_MAX_ROWS`]) with the same filter.

use super::Services;
use crate::error::DomainError;
use crate::policy::AccountScope;
use crate::ports::{AuditEntry, AuditListing, AuditPageAt, AuditQuery};
use crate::types::Timestamp;

/// Events on one page of the Audit tab.
pub const AUDIT_PAGE_ROWS: u32 = 50;
/// The Audit tab counts the events a filter matches up to one more than this; past
/// it the page says "More than 1000 events match." (an exact count of a broad
/// filter over a million events reads them all, where a page reads 51).
pub const AUDIT_COUNTED_UP_TO: u64 = 1_000;
/// The most events one CSV export holds (the export says so when it stops there).
pub const EXPORT_MAX_ROWS: usize = 100_000;
/// Events read per round while exporting.
const EXPORT_BATCH: u32 = 1_000;
/// Longest part of an address the "who" filter takes.
const WHO_MAX_CHARS: usize = 254;

/// A day typed as `YYYY-MM-DD` (what `<input type="date">` sends): the instant it
/// starts (UTC), or `None` when empty or not such a day.
pub fn day_start(raw: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw.trim(), &format).ok()?;
    let start = date.midnight().assume_utc();
    i64::try_from(start.unix_timestamp_nanos() / 1_000_000)
        .ok()
        .map(Timestamp)
}

/// The instant a day typed as `YYYY-MM-DD` ends (the next day's start, exclusive).
pub fn day_end(raw: &str) -> Option<Timestamp> {
    day_start(raw).map(|t| t.plus_seconds(86_400))
}

/// `2026-11-21T18:30:05Z`: the time as a spreadsheet reads it (the CSV exports).
pub fn iso_utc(at: Timestamp) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

impl Services {
    /// One page of the scope's account's events matching `query`, with the total.
    /// The scope is the only account read: a filter cannot reach another's events.
    pub async fn audit_listing(
        &self,
        scope: &AccountScope,
        mut query: AuditQuery,
    ) -> Result<AuditListing, DomainError> {
        query.who = clean_who(&query.who);
        query.limit = query.limit.clamp(1, AUDIT_PAGE_ROWS);
        self.store.search_audit(scope.account.id, &query).await
    }

    /// Every event of the scope's account matching `query` (its page ignored),
    /// newest first, at most [`EXPORT_MAX_ROWS`]; `true` when there were more.
    pub async fn audit_export(
        &self,
        scope: &AccountScope,
        mut query: AuditQuery,
    ) -> Result<(Vec<AuditEntry>, bool), DomainError> {
        query.who = clean_who(&query.who);
        query.limit = EXPORT_BATCH;
        query.page = AuditPageAt::First;
        let mut rows = Vec::new();
        loop {
            let listing = self.store.search_audit(scope.account.id, &query).await?;
            rows.extend(listing.entries);
            if rows.len() >= EXPORT_MAX_ROWS {
                let more = rows.len() > EXPORT_MAX_ROWS || listing.older.is_some();
                rows.truncate(EXPORT_MAX_ROWS);
                return Ok((rows, more));
            }
            match listing.older {
                Some(position) => query.page = AuditPageAt::OlderThan(position),
                None => return Ok((rows, false)),
            }
        }
    }
}

/// What no address holds (control characters: PostgreSQL refuses a NUL in text)
/// cannot match; a search is at most as long as an address.
fn clean_who(who: &str) -> String {
    who.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(WHO_MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_day_starts_and_ends_at_utc_midnight() {
        assert_eq!(day_start("2026-11-21"), Some(Timestamp(1_795_219_200_000)));
        assert_eq!(day_end("2026-11-21"), Some(Timestamp(1_795_305_600_000)));
        assert_eq!(day_start(""), None);
        assert_eq!(day_start("21.11.2026"), None);
        assert_eq!(day_start("2026-02-30"), None);
    }
}
