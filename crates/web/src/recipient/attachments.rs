//! `GET/POST /m/{id}/attachments/{part}`: an attachment, streamed as it is verified.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealpost_domain::services::messages::{AttachmentDownload, OpenFailure, PasswordConfirmed};
use serde::Deserialize;

use crate::auth::see_other;
use crate::context::{CsrfForm, Visitor};
use crate::error::WebError;
use crate::{AppState, cookies, url_encode};

use super::message::unavailable_response;
use super::unlock::password_prompt;
use super::{parse_id, signed_actor};

pub(super) async fn stream_attachment(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    part: &str,
    posted: Option<&[u8]>,
    confirmed: Option<&PasswordConfirmed>,
    grant: Option<&str>,
) -> Result<Response, WebError> {
    let Some(actor) = signed_actor(visitor) else {
        // No Password Required: the grant the opening left in a cookie.
        if let Some(grant) = grant {
            let id = parse_id(visitor, id)?;
            let part: u32 = part.parse().map_err(|_| visitor.not_found())?;
            return match super::secret::granted_download(state, visitor, &id, grant, part, posted).await? {
                Ok(download) => Ok(attachment_response(download)),
                Err(refused) => Ok(refused),
            };
        }
        return Ok(see_other(
            &format!("/portal/login?next={}", url_encode(&format!("/m/{id}"))),
            &[],
        ));
    };
    let id = parse_id(visitor, id)?;
    let part: u32 = part.parse().map_err(|_| visitor.not_found())?;
    let download = match state
        .services
        .open_attachment_confirmed(&actor, &id, part, posted, confirmed)
        .await
    {
        Ok(download) => download,
        Err(OpenFailure::Unavailable(why)) => {
            let brand = crate::brand::BrandView::for_message(state, &visitor.t, &id).await;
            return Ok(unavailable_response(visitor, why, &format!("/m/{id}"), brand));
        }
        Err(OpenFailure::PasswordRequired) => return Ok(password_prompt(visitor, &id, Some(part), None)),
        Err(OpenFailure::Domain(e)) => return Err(WebError::from_domain(visitor.locale, e)),
    };
    Ok(attachment_response(download))
}

/// The verified attachment, streamed as it opens.
fn attachment_response(download: AttachmentDownload) -> Response {
    let meta = download.meta.clone();
    let stream = futures_util::stream::unfold(Some(download), |state| async move {
        let mut download = state?;
        match download.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(axum::body::Bytes::from(chunk)), Some(download))),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "attachment stream failed after verification");
                Some((Err(std::io::Error::other("attachment unreadable")), None))
            }
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    let content_type =
        HeaderValue::from_str(&meta.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size));
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(&meta.name),
        url_encode(&meta.name)
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A quoted-string-safe ASCII version of a file name.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(super) async fn download_attachment(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, part)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let grant = cookies::grant(&headers, state.config.secure_cookies);
    stream_attachment(&state, &visitor, &id, &part, None, None, grant).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PostedPayload {
    payload: String,
}

pub(super) async fn download_posted_attachment(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, part)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<PostedPayload>,
) -> Result<Response, WebError> {
    let payload = STANDARD.decode(form.payload.trim()).map_err(|_| visitor.not_found())?;
    let grant = cookies::grant(&headers, state.config.secure_cookies);
    stream_attachment(&state, &visitor, &id, &part, Some(&payload), None, grant).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_survive_headers() {
        assert_eq!(
            ascii_fallback("Bericht Größe \"final\".pdf"),
            "Bericht Gr__e _final_.pdf"
        );
        assert_eq!(url_encode("a b@c"), "a%20b%40c");
    }
}
