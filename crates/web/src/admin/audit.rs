//! The account's Audit tab: the newest administrative changes and message accesses,
//! with who, what, when and from where. Read-only; events are written by the
//! services in the same transaction as the change they record.

use axum::extract::{Path, State};
use axum::response::Response;
use sealpost_domain::types::AccountNumber;

use super::admin_page;
use crate::AppState;
use crate::context::Admin;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{AccountTab, AuditPage, AuditRow, render};

/// Events shown, newest first.
const AUDIT_ROWS: u32 = 200;

/// `GET /admin/accounts/{number}/audit`. Operators also read a deleted account's
/// trail here (its other tabs are gone).
pub async fn show_audit(
    State(state): State<AppState>,
    admin: Admin,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    let number = AccountNumber::parse(&number).ok_or_else(|| admin.visitor.not_found())?;
    let scope = state
        .services
        .audit_scope(&admin.actor, number, Some(&admin.visitor.client))
        .await
        .or_page(admin.visitor.locale)?;
    let events = state
        .services
        .account_audit(&scope, AUDIT_ROWS)
        .await
        .or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    let mut rows = Vec::with_capacity(events.len());
    for (event, who) in events {
        let who = who.unwrap_or_else(|| t.get("audit-system"));
        let key = format!("audit-action-{}", event.action.replace(['.', '_'], "-"));
        let what = if t.has(&key) { t.get(&key) } else { event.action.clone() };
        rows.push(AuditRow {
            when: admin.visitor.dates.date_time(event.at),
            who,
            what,
            target: event.target,
            from: event.ip.unwrap_or_default(),
            refused: event.outcome != "ok",
        });
    }
    Ok(render(&AuditPage {
        page: admin_page(&admin.visitor, t.get("tab-audit")),
        account: scope.into_account(),
        tab: AccountTab::Audit,
        rows,
    }))
}
