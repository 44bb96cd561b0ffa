//! The account's Audit tab: the newest administrative changes and message accesses,
//! with who, what, when and from where. Read-only; events are written by the
//! services in the same transaction as the change they record.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use sealpost_domain::types::UserId;

use super::{AccountAdmin, admin_page};
use crate::AppState;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{AccountTab, AuditPage, AuditRow, render};

/// Events shown, newest first.
const AUDIT_ROWS: u32 = 200;

/// `GET /admin/accounts/{number}/audit`.
pub async fn show_audit(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
) -> Result<Response, WebError> {
    let locale = admin.visitor.locale;
    let store = &state.services.store;
    let events = store
        .list_audit(Some(scope.account.id), AUDIT_ROWS)
        .await
        .or_page(locale)?;
    let t = &admin.visitor.t;
    let mut names: HashMap<UserId, String> = HashMap::new();
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let who = match event.actor {
            None => t.get("audit-system"),
            Some(id) => match names.get(&id) {
                Some(name) => name.clone(),
                None => {
                    let name = store
                        .user_by_id(id)
                        .await
                        .map(|u| u.email.to_string())
                        .unwrap_or_else(|_| format!("#{id}"));
                    names.insert(id, name.clone());
                    name
                }
            },
        };
        let key = format!("audit-action-{}", event.action.replace(['.', '_'], "-"));
        let what = if t.has(&key) { t.get(&key) } else { event.action.clone() };
        rows.push(AuditRow {
            when: event.at.display_utc(),
            who,
            what,
            target: event.target,
            from: event.ip.unwrap_or_default(),
            refused: event.outcome != "ok",
        });
    }
    Ok(render(&AuditPage {
        page: admin_page(&admin.visitor, t.get("tab-audit")),
        account: scope.account,
        tab: AccountTab::Audit,
        rows,
    }))
}
