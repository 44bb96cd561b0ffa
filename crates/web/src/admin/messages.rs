//! The account's Messages tab: who sent what to whom and when, who opened it, and
//! the same lock/unlock/expiry controls the sender has. Administrators never see
//! subjects or contents. The list filters by sender, recipient (parts of
//! addresses), sending dates and state; every filter is a GET field, so a filtered
//! page is a link, and a field that cannot be used is said so and left out.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::messages::{MessageId, PublicId};
use sealpost_domain::model::Account;
use sealpost_domain::ports::{MessageFilter, MessageState};
use sealpost_domain::services::audit::{day_end, day_start};
use sealpost_domain::services::messages::FILTER_MAX_CHARS;
use sealpost_i18n::Arg;
use serde::Deserialize;

use super::{AccountAdmin, admin_page, scope};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm, NoFields};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::portal::mailbox::{
    Control, ExpiryForm, LockForm, apply, lock_confirmation, lock_with_reason, tracking_page,
};
use crate::views::{AccountTab, Area, FilterOption, MessageRow, Page, filter_options, render, render_status};

/// The filter and page as the URL carries them (all optional).
#[derive(Deserialize, Default)]
struct MessagesForm {
    #[serde(default)]
    sender: String,
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    state: String,
    /// The id the page starts after (older messages).
    #[serde(default)]
    before: String,
}

/// The most of a typed field shown back: more than any address, so a refused
/// one shows what was typed, bounded so a hostile URL does not make a huge page.
const TYPED_MAX_CHARS: usize = 1_000;

impl MessagesForm {
    /// The query as sent; one that is not such a query (repeated fields, bad
    /// encoding) is the unfiltered list.
    fn read(raw: Option<String>) -> Self {
        raw.and_then(|q| serde_urlencoded::from_str(&q).ok())
            .unwrap_or_default()
    }

    /// The domain's filter and what was left out of it, as messages to show.
    fn filter(&self, t: &sealpost_i18n::Translator) -> (MessageFilter, Vec<String>) {
        let mut errors = Vec::new();
        let from = day_start(&self.from);
        let until = day_end(&self.to);
        if (from.is_none() && !self.from.trim().is_empty()) || (until.is_none() && !self.to.trim().is_empty()) {
            errors.push(t.get("lists-bad-date"));
        }
        let mut text = |raw: &str| {
            if raw.trim().chars().count() > FILTER_MAX_CHARS {
                if errors.len() < 2 {
                    errors.push(t.get_with(
                        "messages-filter-too-long",
                        &[("max", Arg::Number(i64::try_from(FILTER_MAX_CHARS).unwrap_or(254)))],
                    ));
                }
                String::new()
            } else {
                raw.to_owned()
            }
        };
        let sender = text(&self.sender);
        let recipient = text(&self.recipient);
        errors.dedup();
        let filter = MessageFilter {
            sender,
            recipient,
            from,
            until,
            state: MessageState::parse(self.state.trim()).unwrap_or_default(),
            ..MessageFilter::default()
        };
        (filter, errors)
    }

    /// The URL query of this filter (no page), for the next page's link.
    fn filter_query(&self) -> String {
        let state = MessageState::parse(self.state.trim()).unwrap_or_default();
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (name, value) in [
            ("sender", &self.sender),
            ("recipient", &self.recipient),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            let value = value.trim();
            if !value.is_empty() && value.chars().count() <= FILTER_MAX_CHARS {
                pairs.push((name, value));
            }
        }
        if state != MessageState::Any {
            pairs.push(("state", state.as_str()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What was typed, as the form shows it back.
fn typed(raw: &str) -> String {
    raw.trim().chars().take(TYPED_MAX_CHARS).collect()
}

#[derive(Template)]
#[template(path = "admin/messages.html")]
pub struct AccountMessagesPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub rows: Vec<MessageRow>,
    pub sender: String,
    pub recipient: String,
    pub from: String,
    pub to: String,
    /// The choices of the state filter.
    pub states: Vec<FilterOption>,
    /// What was left out of the filter, and why.
    pub errors: Vec<String>,
    /// "N messages match."
    pub total: String,
    pub filtered: bool,
    /// The next (older) page, with the filter.
    pub older: Option<String>,
}

/// `GET /admin/accounts/{number}/messages`: the account's messages, filtered by
/// sender, recipient, sending dates and state, 50 a page with the total.
pub async fn list_messages(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let form = MessagesForm::read(query);
    let t = &admin.visitor.t;
    let (filter, errors) = form.filter(t);
    let chosen = filter.state;
    let before = form.before.trim().parse::<i64>().ok().map(MessageId);
    let listing = state
        .services
        .search_account_messages(&scope, filter, before)
        .await
        .or_page(admin.visitor.locale)?;
    let filter_query = form.filter_query();
    let older = listing.next_before.map(|id| {
        if filter_query.is_empty() {
            format!("/admin/accounts/{number}/messages?before={}", id.0)
        } else {
            format!("/admin/accounts/{number}/messages?{filter_query}&before={}", id.0)
        }
    });
    let states = filter_options(
        t,
        "messages-state",
        MessageState::EVERY.map(|s| (s.as_str(), s == chosen)),
    );
    Ok(render(&AccountMessagesPage {
        page: admin_page(&admin.visitor, t.get("tab-messages")),
        tab: AccountTab::Messages,
        rows: listing
            .summaries
            .iter()
            .map(|s| MessageRow::from_summary(s, &admin.visitor.dates))
            .collect(),
        sender: typed(&form.sender),
        recipient: typed(&form.recipient),
        from: typed(&form.from),
        to: typed(&form.to),
        states,
        total: t.get_with(
            "messages-total",
            &[("count", Arg::Number(i64::try_from(listing.total).unwrap_or(i64::MAX)))],
        ),
        filtered: !filter_query.is_empty() || !errors.is_empty(),
        errors,
        older,
        account: scope.into_account(),
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
    let tracking = tracking_page(&admin.visitor, page, &summary, base, back, error);
    Ok((id, tracking))
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

/// `GET …/messages/{id}/lock`: the confirmation step (404 for another
/// account's message, as the message itself).
pub async fn confirm_lock(
    State(state): State<AppState>,
    admin: Admin,
    Path((number, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (_, tracking) = message_page(&state, &admin, &number, &id, None).await?;
    Ok(render(&lock_confirmation(
        &admin.visitor,
        tracking,
        String::new(),
        None,
    )))
}

/// `POST …/messages/{id}/lock`: locks with the reason given; a refused reason
/// shows the confirmation again with what was typed (422).
pub async fn lock(
    State(state): State<AppState>,
    admin: Admin,
    Path((number, id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<LockForm>,
) -> Result<Response, WebError> {
    let (public_id, tracking) = message_page(&state, &admin, &number, &id, None).await?;
    lock_with_reason(&state, &admin.actor, &admin.visitor, tracking, &public_id, form.reason).await
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
