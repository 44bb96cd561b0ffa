//! The account's Reports tab: per calendar month of a year, messages sent,
//! recipients notified, messages opened, registrations and activations, as a
//! table, an SVG bar chart drawn on the server (no script; see [`report_chart`])
//! and a CSV download. The year is a GET field, so a report is a link; a year
//! that is not one of the report's years is said so and the current year shown.
//!
//! [`report_chart`]: super::report_chart

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use sealpost_domain::model::Account;
use sealpost_domain::services::reports::AccountReport;
use sealpost_i18n::{Arg, Translator};
use serde::Deserialize;

use super::audit::{csv_download, csv_line};
use super::report_chart::{Chart, ChartMonth, SERIES, cells, layout};
use super::{AccountAdmin, admin_page};
use crate::AppState;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{AccountTab, Area, Page, render};

/// The most of a typed year shown back (the field takes four digits).
const TYPED_MAX_CHARS: usize = 16;

/// The report's URL query.
#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    year: String,
}

/// The query as sent; anything that is not such a query (repeated or unknown
/// shapes, bad encoding) is the default report rather than an error.
fn form(raw: Option<String>) -> ReportForm {
    raw.and_then(|q| serde_urlencoded::from_str(&q).ok())
        .unwrap_or_default()
}

/// One row of the table.
pub struct ReportRow {
    pub month: String,
    pub cells: [u64; 5],
}

/// A link to another year.
pub struct YearLink {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/reports.html")]
pub struct ReportsPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub heading: String,
    /// The year field as typed (or the year shown).
    pub typed: String,
    pub first_year: i32,
    pub last_year: i32,
    /// Why the typed year was not shown.
    pub error: Option<String>,
    pub columns: Vec<String>,
    pub colours: Vec<&'static str>,
    pub rows: Vec<ReportRow>,
    pub totals: [u64; 5],
    pub caption: String,
    pub chart_title: String,
    pub chart_desc: String,
    pub chart: Chart,
    pub nothing: Option<String>,
    pub previous: Option<YearLink>,
    pub next: Option<YearLink>,
    pub export: String,
}

/// The year asked for, or the current one and the refusal to show.
fn year_of(t: &Translator, typed: &str, years: &std::ops::RangeInclusive<i32>) -> (i32, Option<String>) {
    let current = *years.end();
    let typed = typed.trim();
    if typed.is_empty() {
        return (current, None);
    }
    match typed.parse::<i32>() {
        Ok(year) if years.contains(&year) => (year, None),
        _ => {
            let shown: String = typed
                .chars()
                .filter(|c| !c.is_control())
                .take(TYPED_MAX_CHARS)
                .collect();
            let error = t.get_with(
                "reports-bad-year",
                &[
                    ("typed", Arg::Text(&shown)),
                    ("first", Arg::Text(&years.start().to_string())),
                    ("last", Arg::Text(&current.to_string())),
                    ("shown", Arg::Text(&current.to_string())),
                ],
            );
            (current, Some(error))
        }
    }
}

fn with_year(t: &Translator, id: &str, year: i32) -> String {
    t.get_with(id, &[("year", Arg::Text(&year.to_string()))])
}

/// `GET /admin/accounts/{number}/reports[?year=YYYY]`.
pub async fn show_reports(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let form = form(query);
    let t = &admin.visitor.t;
    let years = state.services.report_years();
    let (year, error) = year_of(t, &form.year, &years);
    let report = state
        .services
        .account_report(&scope, year)
        .await
        .or_page(admin.visitor.locale)?;
    let dates = &admin.visitor.dates;
    let month_name = |y: i32, m: u8| dates.month(y, m).unwrap_or_default();
    let rows: Vec<ReportRow> = report
        .months
        .iter()
        .map(|m| ReportRow {
            month: month_name(m.month.year, m.month.month),
            cells: cells(&m.counts),
        })
        .collect();
    let columns: Vec<String> = SERIES.iter().map(|(key, _)| t.get(key)).collect();
    let series: [String; 5] = SERIES.map(|(key, _)| t.get(key));
    let chart_months: Vec<ChartMonth> = report
        .months
        .iter()
        .map(|m| ChartMonth {
            short: dates.month_short(m.month.year, m.month.month).unwrap_or_default(),
            long: month_name(m.month.year, m.month.month),
            cells: cells(&m.counts),
        })
        .collect();
    let chart = layout(&chart_months, &series, |month, name, count| {
        t.get_with(
            "reports-bar",
            &[
                ("month", Arg::Text(month)),
                ("series", Arg::Text(name)),
                ("count", Arg::Text(&count.to_string())),
            ],
        )
    });
    let link = |y: i32, id: &str| YearLink {
        href: format!("/admin/accounts/{number}/reports?year={y}"),
        label: with_year(t, id, y),
    };
    let totals = cells(&report.totals);
    Ok(render(&ReportsPage {
        page: admin_page(&admin.visitor, t.get("tab-reports")),
        tab: AccountTab::Reports,
        heading: with_year(t, "reports-heading", year),
        typed: match &error {
            Some(_) => form.year.trim().chars().take(TYPED_MAX_CHARS).collect(),
            None => year.to_string(),
        },
        first_year: *years.start(),
        last_year: *years.end(),
        error,
        columns,
        colours: SERIES.iter().map(|(_, c)| *c).collect(),
        rows,
        caption: with_year(t, "reports-table-caption", year),
        chart_title: with_year(t, "reports-chart-title", year),
        chart_desc: with_year(t, "reports-chart-desc", year),
        chart,
        nothing: (totals == [0; 5]).then(|| with_year(t, "reports-nothing", year)),
        totals,
        previous: (year > *years.start()).then(|| link(year - 1, "reports-previous-year")),
        next: (year < *years.end()).then(|| link(year + 1, "reports-next-year")),
        export: format!("/admin/accounts/{number}/reports/export?year={year}"),
        account: scope.into_account(),
    }))
}

/// `GET /admin/accounts/{number}/reports/export?year=YYYY`: the table as CSV
/// (UTF-8, every cell quoted, formulas neutralised, see [`csv_line`]): the
/// account's name, the month as `YYYY-MM` and by name, then the five figures.
pub async fn export_reports(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let form = form(query);
    let t = &admin.visitor.t;
    let (year, _) = year_of(t, &form.year, &state.services.report_years());
    let report: AccountReport = state
        .services
        .account_report(&scope, year)
        .await
        .or_page(admin.visitor.locale)?;
    let account = scope.account();
    let mut csv = String::with_capacity(128 + report.months.len() * 96);
    let mut header = vec![
        t.get("reports-csv-account"),
        t.get("reports-csv-month"),
        t.get("reports-col-month"),
    ];
    header.extend(SERIES.iter().map(|(key, _)| t.get(key)));
    csv_line(&mut csv, &header.iter().map(String::as_str).collect::<Vec<_>>());
    for month in &report.months {
        let name = admin
            .visitor
            .dates
            .month(month.month.year, month.month.month)
            .unwrap_or_default();
        let figures = cells(&month.counts).map(|n| n.to_string());
        let iso = month.month.iso();
        let mut line = vec![account.name.as_str(), iso.as_str(), name.as_str()];
        line.extend(figures.iter().map(String::as_str));
        csv_line(&mut csv, &line);
    }
    Ok(csv_download(&format!("report-{number}-{year}.csv"), csv))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealpost_domain::types::Locale;

    #[test]
    fn a_year_outside_the_reports_is_refused_with_what_was_typed() {
        let t = Translator::new(Locale::En);
        let years = 2000..=2026;
        assert_eq!(year_of(&t, "", &years), (2026, None));
        assert_eq!(year_of(&t, " 2024 ", &years), (2024, None));
        let (year, error) = year_of(&t, "1999", &years);
        assert_eq!(year, 2026);
        let error = error.unwrap_or_default();
        assert!(
            error.contains("1999") && error.contains("2000") && error.contains("2026"),
            "{error}"
        );
        let (_, error) = year_of(&t, &"9".repeat(10_000), &years);
        assert!(error.is_some_and(|e| e.len() < 400));
    }

    #[test]
    fn a_query_that_is_not_a_report_query_is_the_default_report() {
        assert_eq!(form(Some("year=2025".into())).year, "2025");
        assert_eq!(form(Some("year=1&year=2".into())).year, "");
        assert_eq!(form(Some("year%5B%5D=x&other=1".into())).year, "");
        assert_eq!(form(None).year, "");
    }
}
