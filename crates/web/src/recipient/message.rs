//! `GET /m/{id}`: the message page, and why a message does not open.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealpost_domain::messages::{PublicId, RecipientKind};
use sealpost_domain::policy::Actor;
use sealpost_domain::services::messages::{OpenFailure, OpenedMessage, PasswordConfirmed, ReplyKind, Unavailable};
use sealpost_domain::types::EmailAddress;
use serde::Deserialize;

use crate::auth::see_other;
use crate::brand::BrandView;
use crate::context::Visitor;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{
    Area, AttachmentRow, MessagePage, NoticeForm, NoticePage, UnavailablePage, render, render_status, render_with_room,
};
use crate::{AppState, cookies, url_encode};

use super::register::register_page;
use super::unlock::password_prompt;
use super::{parse_id, signed_actor};

#[derive(Deserialize, Default)]
pub(super) struct MessageQuery {
    #[serde(default)]
    r: String,
}

pub(super) async fn show_message(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<MessageQuery>,
) -> Result<Response, WebError> {
    let id = parse_id(&visitor, &id)?;
    let next = format!("/m/{id}");
    match &visitor.session {
        Some((session, _)) if session.kind != sealpost_domain::model::SessionKind::Full => {
            Ok(see_other("/password", &[]))
        }
        Some(_) => match signed_actor(&visitor) {
            Some(actor) => show_opened(&state, &visitor, &actor, &id, None, None).await,
            None => Err(visitor.not_found()),
        },
        None => {
            // A remembered device opens a Medium profile's message without the password.
            if let Some(device) = cookies::get(&headers, cookies::DEVICE, state.config.secure_cookies) {
                match state
                    .services
                    .open_on_remembered_device(device, &id, &visitor.client)
                    .await
                {
                    Ok(Some(opened)) => {
                        let mut page = message_page(&visitor, &opened, None, false);
                        page.page.brand = BrandView::for_account(&state, &visitor.t, opened.message.account_id).await;
                        return Ok(show(&page));
                    }
                    Ok(None) => {}
                    Err(OpenFailure::Unavailable(why)) => {
                        let brand = BrandView::for_message(&state, &visitor.t, &id).await;
                        return Ok(unavailable_response(&visitor, why, &format!("/m/{id}"), brand));
                    }
                    Err(OpenFailure::PasswordRequired) => {}
                    Err(OpenFailure::Domain(e)) => return Err(WebError::from_domain(visitor.locale, e)),
                }
            }
            // Not logged in: a recipient of this very message who has no account
            // yet registers; everyone else (any other address, any other id) is
            // asked to log in, so the page tells nobody who was invited where.
            if let Ok(email) = EmailAddress::parse(&query.r) {
                let offer = state
                    .services
                    .offers_registration(&id, &email)
                    .await
                    .or_page(visitor.locale)?;
                if offer {
                    let brand = BrandView::for_message(&state, &visitor.t, &id).await;
                    return Ok(render(&register_page(
                        &visitor,
                        email.to_string(),
                        next,
                        None,
                        Default::default(),
                        brand,
                    )));
                }
                return Ok(see_other(
                    &format!(
                        "/portal/login?next={}&email={}",
                        url_encode(&next),
                        url_encode(email.as_str())
                    ),
                    &[],
                ));
            }
            Ok(see_other(&format!("/portal/login?next={}", url_encode(&next)), &[]))
        }
    }
}

pub(super) async fn show_opened(
    state: &AppState,
    visitor: &Visitor,
    actor: &Actor,
    id: &PublicId,
    posted: Option<&[u8]>,
    confirmed: Option<&PasswordConfirmed>,
) -> Result<Response, WebError> {
    match state
        .services
        .open_message_confirmed(actor, id, posted, Some(&visitor.client), confirmed)
        .await
    {
        Ok(opened) => {
            let mut page = message_page(visitor, &opened, posted, actor.shows_compose());
            page.page.brand = BrandView::for_account(state, &visitor.t, opened.message.account_id).await;
            Ok(show(&page))
        }
        Err(OpenFailure::Unavailable(why)) => {
            let brand = BrandView::for_message(state, &visitor.t, id).await;
            Ok(unavailable_response(visitor, why, &format!("/m/{id}"), brand))
        }
        Err(OpenFailure::PasswordRequired) => Ok(password_prompt(visitor, id, None, None)),
        Err(OpenFailure::Domain(e)) => Err(WebError::from_domain(visitor.locale, e)),
    }
}

/// The message page, rendered with room for its body from the start (a few
/// entities more than the body's bytes, or the sanitized HTML with its quotes
/// escaped once more for the frame).
pub(super) fn show(page: &MessagePage<'_>) -> Response {
    let body = page.html_body.as_ref().map_or(page.body.unescaped_len(), String::len);
    render_with_room(page, body + body / 8)
}

pub(super) fn message_page<'a>(
    visitor: &Visitor,
    opened: &'a OpenedMessage,
    posted: Option<&[u8]>,
    can_compose: bool,
) -> MessagePage<'a> {
    let list = |kind: RecipientKind| {
        opened
            .recipients
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.email.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut page = visitor.page(Area::Portal, opened.content.subject.clone());
    page.can_compose = can_compose;
    MessagePage {
        page,
        id: opened.message.public_id.to_hex(),
        subject: opened.content.subject.clone(),
        sender_name: opened.sender.full_name(),
        sender_email: opened.sender.email.to_string(),
        to: list(RecipientKind::To),
        cc: list(RecipientKind::Cc),
        sent: visitor.dates.date_time(opened.message.created_at),
        body: crate::escape::EscapedText::new(&opened.content.body),
        html_body: (opened.content.format == sealpost_domain::services::content::BodyFormat::Html)
            .then(|| crate::views::sanitize_html(&opened.content.body, &opened.inline_images)),
        attachments: opened.content.attachments.iter().map(AttachmentRow::from).collect(),
        payload: posted.map(|p| STANDARD.encode(p)),
        can_reply: opened.allows(ReplyKind::Reply),
        can_reply_all: opened.allows(ReplyKind::ReplyAll),
        can_forward: opened.allows(ReplyKind::Forward),
        viewer_is_sender: opened.viewer_is_sender,
    }
}

/// Why a message does not open: 410 with the reason and whom to ask (400 for an
/// envelope that does not open: the request brought the fault), or, for a viewer
/// whose mailbox is not proven yet, 403 with the button that mails them the proof
/// link (back to `next` afterwards).
/// `brand`: the sending account's look, so a locked or expired message still
/// shows whose it is.
pub(super) fn unavailable_response(
    visitor: &Visitor,
    why: Unavailable,
    next: &str,
    brand: Option<BrandView>,
) -> Response {
    let branded = |area: Area, title: String| {
        let mut page = visitor.page(area, title);
        page.brand = brand.clone();
        page
    };
    let status = match why {
        Unavailable::DamagedEnvelope { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::GONE,
    };
    let t = &visitor.t;
    let (title, explanation, reason, sender) = match why {
        Unavailable::MailboxUnproven { email } => {
            return render_status(
                StatusCode::FORBIDDEN,
                &NoticePage {
                    page: branded(Area::Portal, t.get("proof-title")),
                    paragraphs: vec![
                        t.get_with("proof-needed", &[("email", sealpost_i18n::Arg::Text(email.as_str()))]),
                        t.get("proof-why"),
                    ],
                    form: Some(NoticeForm {
                        action: "/verify/request".to_owned(),
                        fields: vec![("next".to_owned(), next.to_owned())],
                        button: t.get("proof-send"),
                    }),
                    link: None,
                },
            );
        }
        Unavailable::Locked { reason, sender } => (
            t.get("unavailable-locked-title"),
            t.get("unavailable-locked"),
            Some(reason),
            sender,
        ),
        Unavailable::Expired { at, sender } => (
            t.get("unavailable-expired-title"),
            t.get_with(
                "unavailable-expired",
                &[("date", sealpost_i18n::Arg::Text(&visitor.dates.date_time(at)))],
            ),
            None,
            sender,
        ),
        Unavailable::NeedsEnvelope { sender } => (
            t.get("unavailable-envelope-title"),
            t.get("unavailable-envelope"),
            None,
            sender,
        ),
        Unavailable::DamagedEnvelope { sender } => {
            (t.get("envelope-damaged-title"), t.get("envelope-damaged"), None, sender)
        }
        Unavailable::Damaged { sender } => (
            t.get("unavailable-damaged-title"),
            t.get("unavailable-damaged"),
            None,
            sender,
        ),
    };
    render_status(
        status,
        &UnavailablePage {
            page: branded(Area::Portal, title),
            explanation,
            reason,
            sender: sender.to_string(),
        },
    )
}
