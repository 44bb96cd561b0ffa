//! The reports port: an account's activity counted per calendar month (UTC), for
//! the Reports tab and its CSV.

use async_trait::async_trait;

use super::StoreResult;
use crate::types::{AccountId, Timestamp};

/// A calendar month (UTC), as the reports count by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year, e.g. 2026.
    pub year: i32,
    /// 1 (January) to 12 (December).
    pub month: u8,
}

impl YearMonth {
    /// The month a `YYYYMM` number names (what the storage groups by), if any.
    pub fn from_number(number: i64) -> Option<Self> {
        let year = i32::try_from(number / 100).ok()?;
        let month = u8::try_from(number % 100).ok()?;
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    /// The UTC calendar month `at` falls in.
    pub fn of(at: Timestamp) -> Self {
        let date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
            .map(time::OffsetDateTime::date)
            .unwrap_or(time::Date::MIN);
        Self {
            year: date.year(),
            month: u8::from(date.month()),
        }
    }

    /// The instant the month starts (UTC midnight of its first day).
    pub fn start(self) -> Option<Timestamp> {
        let month = time::Month::try_from(self.month).ok()?;
        let date = time::Date::from_calendar_date(self.year, month, 1).ok()?;
        let millis = date.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000;
        i64::try_from(millis).ok().map(Timestamp)
    }

    /// The following month.
    pub fn next(self) -> Self {
        if self.month >= 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// `2026-03`: the month as a spreadsheet sorts it (the CSV's first column).
    pub fn iso(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// What happened in one month for one account. Messages are counted in the month
/// they were sent: `notified` and `opened` say what became of that month's
/// messages (so a month's figures can still grow while its messages are read).
/// Registrations and activations are counted in the month they happened, for
/// the account that had written to the person by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonthCounts {
    /// Messages the account's senders sent.
    pub sent: u64,
    /// Recipients of those messages whose notification went out.
    pub notified: u64,
    /// Those messages that at least one recipient opened.
    pub opened: u64,
    /// People who asked to register (once each) after the account wrote to them.
    pub registrations: u64,
    /// People who completed their registration (used the activation link).
    pub activations: u64,
}

/// The counts of the months in a range; months with nothing to count are absent.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The account's counts per month for `[from, until)`, by month.
    async fn monthly_counts(
        &self,
        account: AccountId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<(YearMonth, MonthCounts)>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_number_reads_back_and_starts_at_utc_midnight() {
        let march = YearMonth::from_number(202_603);
        assert_eq!(march, Some(YearMonth { year: 2026, month: 3 }));
        assert_eq!(YearMonth::from_number(202_613), None);
        assert_eq!(YearMonth::from_number(202_600), None);
        let december = YearMonth { year: 2026, month: 12 };
        assert_eq!(december.next(), YearMonth { year: 2027, month: 1 });
        assert_eq!(december.start(), Some(Timestamp(1_796_083_200_000)));
        assert_eq!(december.iso(), "2026-12");
        assert_eq!(YearMonth::of(Timestamp(1_796_083_200_000)), december);
        assert_eq!(
            YearMonth::of(Timestamp(1_796_083_199_999)),
            YearMonth { year: 2026, month: 11 }
        );
    }
}
