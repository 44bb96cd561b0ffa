//! The Reports tab's figures: an account's messages sent, recipients notified,
//! messages opened, registrations and activations, per calendar month (UTC) of
//! one year.

use super::Services;
use crate::error::DomainError;
use crate::policy::AccountScope;
use crate::ports::{MonthCounts, YearMonth};

/// The first year a report can be asked for (nothing was sent before).
pub const FIRST_REPORT_YEAR: i32 = 2000;

/// One row of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMonth {
    /// Which month.
    pub month: YearMonth,
    /// What happened in it (zeros when nothing did).
    pub counts: MonthCounts,
}

/// An account's year, month by month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountReport {
    /// The year reported.
    pub year: i32,
    /// January to December, or to the current month in the current year.
    pub months: Vec<ReportMonth>,
    /// The sums of [`Self::months`].
    pub totals: MonthCounts,
}

impl Services {
    /// The years a report can be asked for: [`FIRST_REPORT_YEAR`] to this one.
    pub fn report_years(&self) -> std::ops::RangeInclusive<i32> {
        FIRST_REPORT_YEAR..=YearMonth::of(self.clock.now()).year
    }

    /// The scope's account's report for `year` (one of [`Self::report_years`];
    /// another year is [`DomainError::NotFound`]). The scope is the only account read.
    pub async fn account_report(&self, scope: &AccountScope, year: i32) -> Result<AccountReport, DomainError> {
        let now = YearMonth::of(self.clock.now());
        if !self.report_years().contains(&year) {
            return Err(DomainError::NotFound);
        }
        let first = YearMonth { year, month: 1 };
        let last = if year == now.year {
            now
        } else {
            YearMonth { year, month: 12 }
        };
        let from = first.start().ok_or(DomainError::NotFound)?;
        let until = last.next().start().ok_or(DomainError::NotFound)?;
        let found = self.store.monthly_counts(scope.account.id, from, until).await?;
        let mut months = Vec::with_capacity(12);
        let mut totals = MonthCounts::default();
        let mut month = first;
        while month <= last {
            let counts = found
                .iter()
                .find(|(m, _)| *m == month)
                .map(|(_, c)| *c)
                .unwrap_or_default();
            totals.sent += counts.sent;
            totals.notified += counts.notified;
            totals.opened += counts.opened;
            totals.registrations += counts.registrations;
            totals.activations += counts.activations;
            months.push(ReportMonth { month, counts });
            month = month.next();
        }
        Ok(AccountReport { year, months, totals })
    }
}
