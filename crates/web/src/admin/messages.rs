//! The account's Messages tab: who sent what to whom and when, who opened it, and
//! the same lock/unlock/expiry controls the sender has. Administrators never see
//! subjects or contents.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::messages::{MessageId, PublicId};
use serde::Deserialize;

use super::{AccountAdmin, admin_page, scope};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::portal::mailbox::{Control, ExpiryForm, LockForm, NoFields, apply, next_before, tracking_page};
use crate::views::{AccountMessagesPage, AccountTab, MessageRow, render, render_status};

#[derive(Deserialize, Default)]
pub struct PageQuery {
    before: Option<i64>,
}

/// `GET /admin/accounts/{number}/messages`.
pub async fn list_messages(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    let summaries = state
        .services
        .account_messages(&scope, query.before.map(MessageId))
        .await
        .or_page(admin.visitor.locale)?;
    let next_before = next_before(&summaries);
    Ok(render(&AccountMessagesPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("tab-messages")),
        account: scope.into_account(),
        tab: AccountTab::Messages,
        rows: summaries
            .iter()
            .map(|s| MessageRow::from_summary(s, &admin.visitor.dates))
            .collect(),
        next_before,
    }))
}

async fn message_page(
    state: &AppState,
    admin: &Admin,
    number: &str,
    id: &str,
    error: Option<crate::views::FormError>,
) -> Result<(PublicId, crate::views::TrackingPage), WebError> {
    let scope = scope(state, admin, number).await?;
    let id = PublicId::parse(id).ok_or_else(|| admin.visitor.not_found())?;
    let summary = state
        .services
        .account_message(&scope, &id)
        .await
        .or_page(admin.visitor.locale)?;
    let base = format!("/admin/accounts/{number}/messages/{id}");
    let back = (
        format!("/admin/accounts/{number}/messages"),
        admin.visitor.t.get("tab-messages"),
    );
    let page = admin_page(&admin.visitor, String::new());
    Ok((id, tracking_page(&admin.visitor, page, &summary, base, back, error)))
}

/// `GET /admin/accounts/{number}/messages/{id}`.
pub async fn show_message(
    State(state): State<AppState>,
    admin: Admin,
    Path((number, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    Ok(render(&message_page(&state, &admin, &number, &id, None).await?.1))
}

async fn control(
    state: AppState,
    admin: Admin,
    number: String,
    id: String,
    control: Control,
    flash: &'static str,
) -> Result<Response, WebError> {
    let (public_id, _) = message_page(&state, &admin, &number, &id, None).await?;
    match apply(&state, &admin.actor, &admin.visitor, &public_id, control).await? {
        None => Ok(see_other_with_flash(
            &state,
            &format!("/admin/accounts/{number}/messages/{public_id}"),
            &Flash::new(flash, &[]),
        )),
        Some(error) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &message_page(&state, &admin, &number, &id, Some(error)).await?.1,
        )),
    }
}

/// `POST …/messages/{id}/lock`.
pub async fn lock(
    State(state): State<AppState>,
    admin: Admin,
    Path((number, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<LockForm>,
) -> Result<Response, WebError> {
    control(
        state,
        admin,
        number,
        id,
        Control::Lock(form.reason),
        "flash-message-locked",
    )
    .await
}

/// `POST …/messages/{id}/unlock`.
pub async fn unlock(
    State(state): State<AppState>,
    admin: Admin,
    Path((number, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    control(state, admin, number, id, Control::Unlock, "flash-message-unlocked").await
}

/// `POST …/messages/{id}/expiry`.
pub async fn set_expiry(
    State(state): State<AppState>,
    admin: Admin,
    Path((number, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ExpiryForm>,
) -> Result<Response, WebError> {
    control(
        state,
        admin,
        number,
        id,
        Control::Expiry(form.expires_on),
        "flash-message-expiry",
    )
    .await
}
