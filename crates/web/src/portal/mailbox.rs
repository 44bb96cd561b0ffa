//! Inbox, sent messages, and the sender's control of a sent message (lock with a
//! reason, unlock, set/extend/remove the expiration). Administrators reach the same
//! controls from the account's Messages tab (`admin::messages`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::messages::{MessageId, PublicId};
use sealpost_domain::policy::Actor;
use sealpost_domain::services::messages::{MESSAGES_PER_PAGE, MessageSummary, expiry_field};
use serde::Deserialize;

use super::portal_page;
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{CsrfForm, Signed, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{FormError, MailboxPage, MessageRow, Page, TrackingPage, render, render_status};

#[derive(Deserialize, Default)]
pub struct PageQuery {
    before: Option<i64>,
}

/// The `before` of the next page, when this page is full.
pub(crate) fn next_before(summaries: &[MessageSummary]) -> Option<String> {
    (summaries.len() == usize::try_from(MESSAGES_PER_PAGE).unwrap_or(usize::MAX))
        .then(|| summaries.last().map(|s| s.message.id.0.to_string()))
        .flatten()
}

/// Inbox or Sent: the same list, from either side.
async fn mailbox(
    state: &AppState,
    signed: &Signed,
    which: &'static str,
    before: Option<i64>,
) -> Result<Response, WebError> {
    let (actor, before) = (&signed.actor, before.map(MessageId));
    let summaries = if which == "inbox" {
        state.services.received_messages(actor, before).await
    } else {
        state.services.sent_messages(actor, before).await
    }
    .or_page(signed.visitor.locale)?;
    let title = signed
        .visitor
        .t
        .get(if which == "inbox" { "nav-inbox" } else { "nav-sent" });
    Ok(render(&MailboxPage {
        page: portal_page(signed, title),
        proof_needed: which == "inbox" && !signed.actor.user().mailbox_proven(),
        which,
        next_before: next_before(&summaries),
        rows: summaries
            .iter()
            .map(|s| MessageRow::from_summary(s, &signed.visitor.dates))
            .collect(),
    }))
}

/// `GET /portal/inbox`.
pub async fn inbox(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    mailbox(&state, &signed, "inbox", query.before).await
}

/// `GET /portal/sent`.
pub async fn sent(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<PageQuery>,
) -> Result<Response, WebError> {
    mailbox(&state, &signed, "sent", query.before).await
}

/// The tracking page of a message for whoever manages it.
pub(crate) fn tracking_page(
    visitor: &Visitor,
    page: Page,
    summary: &MessageSummary,
    base: String,
    back: (String, String),
    error: Option<FormError>,
) -> TrackingPage {
    TrackingPage {
        page,
        row: MessageRow::from_summary(summary, &visitor.dates),
        base,
        lock_reason: summary.message.lock_reason.clone().unwrap_or_default(),
        expires_on: expiry_field(summary.message.expires_at),
        back,
        error: error.map(|e| FormError {
            field: e.field,
            message: e.message,
        }),
    }
    .with_title(visitor)
}

impl TrackingPage {
    fn with_title(mut self, visitor: &Visitor) -> Self {
        self.page.title = visitor.t.get("tracking-title");
        self
    }
}

fn parse_id(visitor: &Visitor, raw: &str) -> Result<PublicId, WebError> {
    PublicId::parse(raw).ok_or_else(|| visitor.not_found())
}

async fn sender_page(
    state: &AppState,
    signed: &Signed,
    id: &PublicId,
    error: Option<FormError>,
) -> Result<TrackingPage, WebError> {
    let summary = state
        .services
        .managed_message(&signed.actor, id)
        .await
        .or_page(signed.visitor.locale)?;
    if summary.message.sender_id != signed.actor.id() {
        return Err(signed.visitor.not_found());
    }
    let page = portal_page(signed, String::new());
    let back = ("/portal/sent".to_owned(), signed.visitor.t.get("nav-sent"));
    Ok(tracking_page(
        &signed.visitor,
        page,
        &summary,
        format!("/portal/sent/{id}"),
        back,
        error,
    ))
}

/// `GET /portal/sent/{id}`: recipients, who opened, and the controls.
pub async fn show_sent(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&signed.visitor, &id)?;
    Ok(render(&sender_page(&state, &signed, &id, None).await?))
}

/// The lock form: the reason recipients will read.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LockForm {
    pub(crate) reason: String,
}

/// The expiration form: `YYYY-MM-DD`, or empty to remove it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExpiryForm {
    pub(crate) expires_on: String,
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize, Default)]
pub struct NoFields {}

/// A control action's outcome for the page at `back_to`.
pub(crate) enum Control {
    Lock(String),
    Unlock,
    Expiry(String),
}

/// Applies a control; `Ok(None)` on success, `Ok(Some(error))` for a refusal to show.
pub(crate) async fn apply(
    state: &AppState,
    actor: &Actor,
    visitor: &Visitor,
    id: &PublicId,
    control: Control,
) -> Result<Option<FormError>, WebError> {
    let result = match control {
        Control::Lock(reason) => {
            state
                .services
                .lock_message(actor, id, Some(&reason), Some(&visitor.client))
                .await
        }
        Control::Unlock => {
            state
                .services
                .lock_message(actor, id, None, Some(&visitor.client))
                .await
        }
        Control::Expiry(date) => {
            state
                .services
                .set_message_expiry(actor, id, &date, Some(&visitor.client))
                .await
        }
    };
    match result {
        Ok(_) => Ok(None),
        Err(error) => crate::error::form_error(&visitor.t, visitor.locale, error).map(Some),
    }
}

async fn control(
    state: AppState,
    signed: Signed,
    id: String,
    control: Control,
    flash: &'static str,
) -> Result<Response, WebError> {
    let id = parse_id(&signed.visitor, &id)?;
    // Only the sender uses the portal's controls; administrators use the account's.
    sender_page(&state, &signed, &id, None).await?;
    match apply(&state, &signed.actor, &signed.visitor, &id, control).await? {
        None => Ok(see_other_with_flash(
            &state,
            &format!("/portal/sent/{id}"),
            &Flash::new(flash, &[]),
        )),
        Some(error) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &sender_page(&state, &signed, &id, Some(error)).await?,
        )),
    }
}

/// `POST /portal/sent/{id}/lock`.
pub async fn lock(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<LockForm>,
) -> Result<Response, WebError> {
    control(state, signed, id, Control::Lock(form.reason), "flash-message-locked").await
}

/// `POST /portal/sent/{id}/unlock`.
pub async fn unlock(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    control(state, signed, id, Control::Unlock, "flash-message-unlocked").await
}

/// `POST /portal/sent/{id}/expiry`.
pub async fn set_expiry(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ExpiryForm>,
) -> Result<Response, WebError> {
    control(
        state,
        signed,
        id,
        Control::Expiry(form.expires_on),
        "flash-message-expiry",
    )
    .await
}
