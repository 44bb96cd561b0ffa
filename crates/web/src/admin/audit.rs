//! The account's Audit tab: administrative changes and message accesses, with who,
//! what, when and from where, filtered by who, what (the kind of event: message
//! views hidden unless asked) and a date range, a page at a time from a cursor, with
//! the total (counted up to a cap, then "more than"); and the same filter exported as CSV. Every filter is a GET field, so
//! a filtered page is a link. Read-only; events are written by the services in the
//! same transaction as the change they record.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse as _, Response};
use sealpost_domain::model::Account;
use sealpost_domain::policy::AccountScope;
use sealpost_domain::ports::{AuditEntry, AuditKind, AuditPageAt, AuditPosition, AuditQuery};
use sealpost_domain::services::audit::{AUDIT_COUNTED_UP_TO, AUDIT_PAGE_ROWS, day_end, day_start, iso_utc};
use sealpost_domain::types::{AccountNumber, Timestamp};
use sealpost_i18n::Translator;
use serde::Deserialize;

use super::{admin_page, match_count};
use crate::AppState;
use crate::context::Admin;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{AccountTab, Area, FilterOption, Page, filter_options, render};

/// The filter and page as the URL carries them (all optional).
#[derive(Deserialize, Default, Clone)]
pub struct AuditForm {
    #[serde(default)]
    who: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// `AT.ID` of the event the page starts after (older events).
    #[serde(default)]
    older: String,
    /// `AT.ID` of the event the page ends before (newer events).
    #[serde(default)]
    newer: String,
}

impl AuditForm {
    /// The domain's query; a date that is not a day is ignored (and reported).
    fn query(&self) -> (AuditQuery, bool) {
        let from = day_start(&self.from);
        let until = day_end(&self.to);
        let bad_date =
            (from.is_none() && !self.from.trim().is_empty()) || (until.is_none() && !self.to.trim().is_empty());
        let page = match (position(&self.older), position(&self.newer)) {
            (Some(p), _) => AuditPageAt::OlderThan(p),
            (None, Some(p)) => AuditPageAt::NewerThan(p),
            (None, None) => AuditPageAt::First,
        };
        let query = AuditQuery {
            who: self.who.clone(),
            kind: AuditKind::parse(self.kind.trim()),
            from,
            until,
            page,
            limit: AUDIT_PAGE_ROWS,
        };
        (query, bad_date)
    }

    /// The URL query of this filter (no page), for page links and the export.
    fn filter_query(&self) -> String {
        let kind = AuditKind::parse(self.kind.trim());
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (name, value) in [("who", &self.who), ("from", &self.from), ("to", &self.to)] {
            if !value.trim().is_empty() {
                pairs.push((name, value.trim()));
            }
        }
        if kind != AuditKind::default() {
            pairs.push(("kind", kind.as_str()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn position(raw: &str) -> Option<AuditPosition> {
    let (at, id) = raw.trim().split_once('.')?;
    Some(AuditPosition {
        at: Timestamp(at.parse().ok()?),
        id: id.parse().ok()?,
    })
}

/// One line of the Audit tab.
pub struct AuditRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub target: String,
    pub from: String,
    pub refused: bool,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub rows: Vec<AuditRow>,
    pub who: String,
    pub from: String,
    pub to: String,
    /// The choices of the "what" filter.
    pub kinds: Vec<FilterOption>,
    /// "N events match." or, past the count's cap, "More than 1000 events match."
    pub total: String,
    /// A typed date was not a day and was left out.
    pub bad_date: bool,
    pub filtered: bool,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub export: String,
}

async fn audit_scope(state: &AppState, admin: &Admin, number: &str) -> Result<AccountScope, WebError> {
    let number = AccountNumber::parse(number).ok_or_else(|| admin.visitor.not_found())?;
    state
        .services
        .audit_scope(&admin.actor, number, Some(&admin.visitor.client))
        .await
        .or_page(admin.visitor.locale)
}

/// The localized name of an action (`group.member_added`), or the action itself.
fn action_label(t: &Translator, action: &str) -> String {
    let key = format!("audit-action-{}", action.replace(['.', '_'], "-"));
    if t.has(&key) { t.get(&key) } else { action.to_owned() }
}

/// `GET /admin/accounts/{number}/audit`. Operators also read a deleted account's
/// trail here (its other tabs are gone).
pub async fn show_audit(
    State(state): State<AppState>,
    admin: Admin,
    Path(number): Path<String>,
    Query(form): Query<AuditForm>,
) -> Result<Response, WebError> {
    let scope = audit_scope(&state, &admin, &number).await?;
    let (query, bad_date) = form.query();
    let kind = query.kind;
    let listing = state
        .services
        .audit_listing(&scope, query)
        .await
        .or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    let rows = listing
        .entries
        .into_iter()
        .map(|entry| {
            let who = who(t, &entry);
            let event = entry.event;
            AuditRow {
                when: admin.visitor.dates.date_time(event.at),
                who,
                what: action_label(t, &event.action),
                target: event.target,
                from: event.ip.unwrap_or_default(),
                refused: event.outcome != "ok",
            }
        })
        .collect();
    let filter = form.filter_query();
    let base = format!("/admin/accounts/{number}/audit?");
    let link = |cursor: &str, p: AuditPosition| {
        let mut link = base.clone();
        if !filter.is_empty() {
            link.push_str(&filter);
            link.push('&');
        }
        link.push_str(&format!("{cursor}={}.{}", p.at.0, p.id));
        link
    };
    let kinds = filter_options(t, "lists-audit-kind", AuditKind::EVERY.map(|k| (k.as_str(), k == kind)));
    let total = match_count(
        t,
        listing.total,
        AUDIT_COUNTED_UP_TO,
        "lists-audit-total",
        "lists-audit-total-more",
    );
    Ok(render(&AuditPage {
        page: admin_page(&admin.visitor, t.get("tab-audit")),
        tab: AccountTab::Audit,
        rows,
        who: form.who.trim().to_owned(),
        from: form.from.trim().to_owned(),
        to: form.to.trim().to_owned(),
        kinds,
        total,
        bad_date,
        filtered: !filter.is_empty(),
        newer: listing.newer.map(|p| link("newer", p)),
        older: listing.older.map(|p| link("older", p)),
        export: if filter.is_empty() {
            format!("/admin/accounts/{number}/audit/export")
        } else {
            format!("/admin/accounts/{number}/audit/export?{filter}")
        },
        account: scope.into_account(),
    }))
}

fn who(t: &Translator, entry: &AuditEntry) -> String {
    match (&entry.who, entry.event.actor) {
        (Some(email), _) => email.clone(),
        (None, Some(id)) => format!("#{id}"),
        (None, None) => t.get("audit-system"),
    }
}

/// `GET /admin/accounts/{number}/audit/export`: the events the same filter shows,
/// newest first, as CSV (UTF-8), for a spreadsheet. Cells a spreadsheet would take
/// for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return)
/// are prefixed with `'`.
pub async fn export_audit(
    State(state): State<AppState>,
    admin: Admin,
    Path(number): Path<String>,
    Query(form): Query<AuditForm>,
) -> Result<Response, WebError> {
    let scope = audit_scope(&state, &admin, &number).await?;
    let (query, _) = form.query();
    let (entries, cut) = state
        .services
        .audit_export(&scope, query)
        .await
        .or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    let mut csv = String::with_capacity(entries.len() * 96 + 128);
    csv_line(
        &mut csv,
        &[
            &t.get("audit-col-when"),
            &t.get("audit-col-who"),
            &t.get("lists-csv-action"),
            &t.get("audit-col-what"),
            &t.get("audit-col-target"),
            &t.get("audit-col-from"),
            &t.get("lists-csv-outcome"),
        ],
    );
    for entry in &entries {
        let event = &entry.event;
        csv_line(
            &mut csv,
            &[
                &iso_utc(event.at),
                &who(t, entry),
                &event.action,
                &action_label(t, &event.action),
                &event.target,
                event.ip.as_deref().unwrap_or(""),
                &event.outcome,
            ],
        );
    }
    if cut {
        csv_line(&mut csv, &[&t.get("lists-csv-cut")]);
    }
    Ok(csv_download(&format!("audit-{number}.csv"), csv))
}

/// `csv` as a download named `filename`.
pub(crate) fn csv_download(filename: &str, csv: String) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response()
}

/// Appends one CSV record (RFC 4180: every cell quoted, quotes doubled, CRLF),
/// each cell neutralised against formula injection.
pub(crate) fn csv_line(out: &mut String, cells: &[&str]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            out.push('\'');
        }
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        let mut out = String::new();
        csv_line(
            &mut out,
            &["=1+2", "+x", "-y", "@SUM(A1)", "say \"hi\"", "plain", "\tTab"],
        );
        assert_eq!(
            out,
            "\"'=1+2\",\"'+x\",\"'-y\",\"'@SUM(A1)\",\"say \"\"hi\"\"\",\"plain\",\"'\tTab\"\r\n"
        );
    }

    #[test]
    fn a_page_cursor_reads_back_and_nonsense_is_the_first_page() {
        assert_eq!(
            position("1795219200000.42"),
            Some(AuditPosition {
                at: Timestamp(1_795_219_200_000),
                id: 42
            })
        );
        assert_eq!(position("x.1"), None);
        assert_eq!(position(""), None);
    }
}
