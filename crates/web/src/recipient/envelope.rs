//! `POST /envelope/open`: the envelope's "Open Online" button.

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealpost_domain::types::{EmailAddress, Locale};
use serde::Deserialize;

use crate::auth::see_other;
use crate::context::Visitor;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{Area, NoticeForm, NoticePage, render, render_status};
use crate::{AppState, cookies, url_encode};

use super::message::show_opened;
use super::{ENVELOPE_FORM_OVERHEAD, ENVELOPE_POST_LIMIT, ENVELOPE_READS, parse_id, signed_actor};

#[derive(Deserialize, Default)]
#[serde(default)]
struct EnvelopeForm {
    recipient: String,
    payload: String,
    /// Set by our own "Continue" page: the post now comes from this site.
    step: String,
    /// The envelope's language, so the pages that follow speak it too.
    lang: String,
    /// No Password Required: the recipient's secret (see [`super::secret`]).
    secret: String,
}

/// How many bytes an envelope post may have: the configured envelope size,
/// base64-encoded, plus the other fields.
fn envelope_post_limit(state: &AppState) -> usize {
    let payload = usize::try_from(state.services.messaging_config().max_envelope_payload).unwrap_or(usize::MAX);
    (payload / 3 * 4 + 4)
        .saturating_add(ENVELOPE_FORM_OVERHEAD)
        .min(ENVELOPE_POST_LIMIT)
}

/// The whole body if it is at most `limit` bytes, read into one buffer sized from
/// the announced length (no doubling as it grows).
async fn read_bounded(body: Body, length: Option<usize>, limit: usize) -> Option<Vec<u8>> {
    use futures_util::StreamExt as _;
    if length.is_some_and(|n| n > limit) {
        return None;
    }
    let mut bytes = Vec::with_capacity(length.unwrap_or(0));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        if bytes.len() + chunk.len() > limit {
            return None;
        }
        bytes.extend_from_slice(&chunk);
    }
    Some(bytes)
}

/// The decoded value of field `name` in a url-encoded body, decoding nothing else.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&')
        .find(|pair| {
            pair.strip_prefix(name.as_bytes())
                .is_some_and(|rest| rest.first() == Some(&b'='))
        })
        .and_then(|pair| serde_urlencoded::from_bytes::<Vec<(String, String)>>(pair).ok())
        .and_then(|mut pairs| pairs.pop())
        .map(|(_, value)| value)
}

/// The envelope's "Open Online". Accepted from any origin: it carries only what the
/// envelope holds (ciphertext) and grants nothing by itself. Cheap checks come
/// first: the body's size, then the message id and whether the message exists;
/// only then is the payload decoded, and only for a message that needs it.
pub(super) async fn open_envelope(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let _turn = ENVELOPE_READS.acquire().await.map_err(|_| visitor.not_found())?;
    let Some(bytes) = read_bounded(body, length, envelope_post_limit(&state)).await else {
        tracing::warn!(client = %visitor.client, "envelope post refused: larger than any envelope");
        return Ok(render_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            &NoticePage {
                page: visitor.page(Area::Portal, visitor.t.get("envelope-damaged-title")),
                paragraphs: vec![visitor.t.get("envelope-damaged")],
                form: None,
                link: None,
            },
        ));
    };
    let id = parse_id(&visitor, &form_field(&bytes, "id").unwrap_or_default())?;
    let has_payload = bytes
        .split(|b| *b == b'&')
        .any(|pair| pair.strip_prefix(b"payload=").is_some_and(|value| !value.is_empty()));
    let mode = if has_payload {
        Some(state.services.message_mode(&id).await.or_page(visitor.locale)?)
    } else {
        None
    };
    let form: EnvelopeForm = serde_urlencoded::from_bytes(&bytes).map_err(|_| visitor.not_found())?;
    drop(bytes);
    if !form.secret.is_empty() {
        let payload = mode
            .filter(|m| !m.stores_payload())
            .and_then(|_| STANDARD.decode(form.payload.trim()).ok())
            .filter(|p| !p.is_empty());
        return super::secret::open_by_secret(&state, &visitor, &id, &form.secret, payload.as_deref(), &form.lang)
            .await;
    }
    if mode.is_some_and(|m| !m.stores_payload())
        && let Some(payload) = STANDARD.decode(form.payload.trim()).ok().filter(|p| !p.is_empty())
    {
        let payload = payload.as_slice();
        {
            // Envelope-only messages exist nowhere else: open from the posted payload.
            if let Some(actor) = signed_actor(&visitor) {
                return show_opened(&state, &visitor, &actor, &id, Some(payload), None).await;
            }
            if form.step.is_empty() {
                // A post from the envelope file is cross-site, so the browser left the
                // (SameSite=Lax) session cookie out: one click on this page posts again
                // from this site, with it.
                let t = &visitor.t;
                return Ok(render(&NoticePage {
                    page: visitor.page(Area::Portal, t.get("envelope-continue-title")),
                    paragraphs: vec![t.get("envelope-continue")],
                    form: Some(NoticeForm {
                        action: "/envelope/open".to_owned(),
                        fields: vec![
                            ("id".to_owned(), id.to_hex()),
                            ("recipient".to_owned(), form.recipient.clone()),
                            ("payload".to_owned(), form.payload.trim().to_owned()),
                            ("step".to_owned(), "continue".to_owned()),
                        ],
                        button: t.get("envelope-continue-button"),
                    }),
                    link: None,
                }));
            }
        }
    }
    let recipient = EmailAddress::parse(&form.recipient)
        .map(|e| e.to_string())
        .unwrap_or_default();
    let to = if recipient.is_empty() {
        format!("/m/{id}")
    } else {
        format!("/m/{id}?r={}", url_encode(&recipient))
    };
    // A recipient met the envelope in its language: keep speaking it, unless the
    // visitor already chose one.
    let mut cookies_to_set = Vec::new();
    if let Some(locale) = Locale::from_tag(&form.lang)
        && visitor.session.is_none()
        && !visitor.has_language_cookie
    {
        cookies_to_set.push(cookies::set(
            cookies::LANGUAGE,
            locale.tag(),
            Some(365 * 24 * 60 * 60),
            state.config.secure_cookies,
        ));
    }
    Ok(see_other(&to, &cookies_to_set))
}
