//! Inbox and sent messages (searched by subject, sender or recipient, a page at a
//! time with the total), and the sender's control of a sent message (lock with a
//! reason, unlock, set/extend/remove the expiration). Administrators reach the same
//! controls from the account's Messages tab (`admin::messages`).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::messages::{MessageId, PublicId};
use sealpost_domain::policy::Actor;
use sealpost_domain::services::messages::{
    FILTER_MAX_CHARS, MessageSummary, SUBJECT_SEARCH_MAX, clean_filter_text, expiry_field,
};
use sealpost_i18n::Arg;
use serde::Deserialize;

use super::portal_page;
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::confirm::ConfirmPage;
use crate::context::{CsrfForm, NoFields, Signed, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{FormError, MailboxPage, MessageRow, Page, TrackingPage, render, render_status};

/// The search and page as the URL carries them.
#[derive(Deserialize, Default)]
pub struct MailboxQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    before: String,
}

/// The query as sent; one that is not such a query is the whole mailbox.
fn mailbox_query(raw: Option<String>) -> MailboxQuery {
    raw.and_then(|q| serde_urlencoded::from_str(&q).ok())
        .unwrap_or_default()
}

/// Inbox or Sent: the same list, from either side, searched by `?q=` (subject,
/// sender, recipient), 50 a page with the total.
async fn mailbox(
    state: &AppState,
    signed: &Signed,
    which: &'static str,
    query: MailboxQuery,
) -> Result<Response, WebError> {
    let before = query.before.trim().parse::<i64>().ok().map(MessageId);
    let listing = state
        .services
        .search_mailbox(&signed.actor, which == "sent", &query.q, before)
        .await
        .or_page(signed.visitor.locale)?;
    let t = &signed.visitor.t;
    let title = t.get(if which == "inbox" { "nav-inbox" } else { "nav-sent" });
    let q = clean_filter_text(&query.q);
    let older = listing.next_before.map(|id| {
        let mut pairs = vec![("before", id.0.to_string())];
        if !q.is_empty() {
            pairs.insert(0, ("q", q.clone()));
        }
        format!(
            "/portal/{which}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    Ok(render(&MailboxPage {
        page: portal_page(signed, title),
        proof_needed: which == "inbox" && !signed.actor.user().mailbox_proven(),
        which,
        rows: listing
            .summaries
            .iter()
            .map(|s| MessageRow::from_summary(s, &signed.visitor.dates))
            .collect(),
        total: t.get_with(
            "messages-total",
            &[("count", Arg::Number(i64::try_from(listing.total).unwrap_or(i64::MAX)))],
        ),
        cut: listing.cut.then(|| {
            t.get_with(
                "mailbox-search-cut",
                &[(
                    "max",
                    Arg::Number(i64::try_from(SUBJECT_SEARCH_MAX).unwrap_or(i64::MAX)),
                )],
            )
        }),
        q: query.q.trim().chars().take(FILTER_MAX_CHARS).collect(),
        older,
    }))
}

/// `GET /portal/inbox`.
pub async fn inbox(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    mailbox(&state, &signed, "inbox", mailbox_query(query)).await
}

/// `GET /portal/sent`.
pub async fn sent(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    mailbox(&state, &signed, "sent", mailbox_query(query)).await
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

/// A message lock's confirmation step on the tracking page's frame (the
/// sender's portal or the account's Messages tab): who sent the message when,
/// that it stops opening for every recipient, the reason to show them (as typed
/// after a refusal) and a labelled button; cancelling goes back to the message.
pub(crate) fn lock_confirmation(
    visitor: &Visitor,
    tracking: TrackingPage,
    typed: String,
    error: Option<FormError>,
) -> ConfirmPage {
    let t = &visitor.t;
    let args = [
        ("sender", Arg::Text(&tracking.row.sender)),
        ("date", Arg::Text(&tracking.row.sent)),
    ];
    let question = t.get_with("messages-lock-question", &args);
    let mut page = tracking.page;
    page.title = t.get("messages-lock-title");
    let action = format!("{}/lock", tracking.base);
    let mut confirm = ConfirmPage::on(page, question, action, t.get("messages-lock-confirm")).asking_reason(
        "tracking-lock-reason",
        typed,
        error,
    );
    confirm.cancel = tracking.base;
    confirm
}

/// Locks the message of `tracking` with `reason`: back to the message with a
/// flash, or the confirmation again (422) with what was typed and why not.
pub(crate) async fn lock_with_reason(
    state: &AppState,
    actor: &Actor,
    visitor: &Visitor,
    tracking: TrackingPage,
    id: &PublicId,
    reason: String,
) -> Result<Response, WebError> {
    let typed = reason.clone();
    match apply(state, actor, visitor, id, Control::Lock(reason)).await? {
        None => Ok(see_other_with_flash(
            state,
            &tracking.base,
            &Flash::new("flash-message-locked", &[]),
        )),
        Some(error) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &lock_confirmation(visitor, tracking, typed, Some(error)),
        )),
    }
}

/// `GET /portal/sent/{id}/lock`: the lock's confirmation step (404 for a
/// message the visitor did not send, as the message itself).
pub async fn confirm_lock(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&signed.visitor, &id)?;
    let tracking = sender_page(&state, &signed, &id, None).await?;
    Ok(render(&lock_confirmation(
        &signed.visitor,
        tracking,
        String::new(),
        None,
    )))
}

/// `POST /portal/sent/{id}/lock`.
pub async fn lock(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<LockForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&signed.visitor, &id)?;
    let tracking = sender_page(&state, &signed, &id, None).await?;
    lock_with_reason(&state, &signed.actor, &signed.visitor, tracking, &id, form.reason).await
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
