//! `POST /m/{id}/unlock`: the password a message of a High envelope profile asks
//! for at every opening (and every download of its attachments). A live session
//! is not enough; the password typed proves who opens it *now*, and nothing of it
//! is kept: the next opening asks again.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::messages::PublicId;
use sealpost_domain::services::messages::RetypeRefusal;
use sealpost_domain::types::Password;
use sealpost_i18n::Arg;
use serde::Deserialize;

use crate::auth::see_other;
use crate::context::{CsrfForm, Visitor};
use crate::error::{OrErrorPage as _, WebError, form_error};
use crate::views::{Area, FormError, Page, render_status};
use crate::{AppState, url_encode};

use super::attachments::stream_attachment;
use super::message::show_opened;
use super::{parse_id, signed_actor};

#[derive(Template)]
#[template(path = "unlock.html")]
pub struct UnlockPage {
    pub page: Page,
    /// The message's public id, hex.
    pub id: String,
    /// The attachment asked for, when the prompt stands before a download.
    pub part: Option<u32>,
    pub error: Option<FormError>,
}

/// The password prompt standing before a High profile's message (or one of its
/// attachments): 200, or 422 after a wrong password.
pub(super) fn password_prompt(
    visitor: &Visitor,
    id: &PublicId,
    part: Option<u32>,
    error: Option<FormError>,
) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    prompt_with_status(status, visitor, id, part, error)
}

fn prompt_with_status(
    status: StatusCode,
    visitor: &Visitor,
    id: &PublicId,
    part: Option<u32>,
    error: Option<FormError>,
) -> Response {
    render_status(
        status,
        &UnlockPage {
            page: visitor.page(Area::Portal, visitor.t.get("unlock-title")),
            id: id.to_hex(),
            part,
            error,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct UnlockForm {
    password: String,
    /// An attachment's part number, when the prompt stood before a download.
    part: String,
}

pub(super) async fn unlock_message(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<UnlockForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&visitor, &id)?;
    let Some(actor) = signed_actor(&visitor) else {
        return Ok(see_other(
            &format!("/portal/login?next={}", url_encode(&format!("/m/{id}"))),
            &[],
        ));
    };
    let part = form.part.trim().parse::<u32>().ok();
    let typed = Password::new(&form.password);
    let confirmed = match state
        .services
        .confirm_password_for_opening(&actor, &id, &typed, &visitor.client)
        .await
    {
        Ok(confirmed) => confirmed,
        Err(RetypeRefusal::Domain(error @ DomainError::Invalid { .. })) => {
            let error = form_error(&visitor.t, visitor.locale, error)?;
            return Ok(password_prompt(&visitor, &id, part, Some(error)));
        }
        // The login form's own refusal, and its status.
        Err(RetypeRefusal::Throttled(seconds)) => {
            let error = FormError {
                field: Some("password"),
                message: visitor
                    .t
                    .get_with("login-throttled", &[("seconds", Arg::Number(seconds))]),
            };
            return Ok(prompt_with_status(
                StatusCode::TOO_MANY_REQUESTS,
                &visitor,
                &id,
                part,
                Some(error),
            ));
        }
        Err(RetypeRefusal::Domain(DomainError::NotFound)) => return Err(visitor.not_found()),
        Err(RetypeRefusal::Domain(error)) => return Err(error).or_page(visitor.locale),
    };
    match part {
        Some(part) => {
            stream_attachment(
                &state,
                &visitor,
                &id.to_hex(),
                &part.to_string(),
                None,
                Some(&confirmed),
                None,
            )
            .await
        }
        None => show_opened(&state, &visitor, &actor, &id, None, Some(&confirmed)).await,
    }
}
