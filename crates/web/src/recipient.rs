//! What a recipient meets: the envelope's "Open Online", the message page,
//! attachments, registration and activation, and the forgotten-password path.
//!
//! | route | what |
//! |---|---|
//! | `POST /envelope/open` | the envelope's button (the one cross-site POST accepted: it grants nothing) |
//! | `GET /m/{id}` | the message, or login / registration for who is not logged in |
//! | `GET/POST /m/{id}/attachments/{part}` | an attachment (POST re-sends an envelope's payload) |
//! | `GET/POST /register` | a recipient registers |
//! | `GET/POST /activate` | the activation link (GET shows a button, so link scanners spend nothing) |
//! | `GET/POST /password/forgot`, `GET/POST /password/reset` | reset by email |

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealpost_domain::DomainError;
use sealpost_domain::messages::{PublicId, RecipientKind};
use sealpost_domain::policy::Actor;
use sealpost_domain::services::messages::{OpenFailure, OpenedMessage, ReplyKind, Unavailable, safe_next};
use sealpost_domain::services::registration::RegisterRequest;
use sealpost_domain::types::{EmailAddress, Locale};
use serde::Deserialize;

use crate::auth::see_other;
use crate::context::{CsrfForm, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{
    Area, AttachmentRow, ForgotPage, FormError, MessagePage, NoticeForm, NoticePage, RegisterPage, ResetPage,
    UnavailablePage, render, render_status,
};
use crate::{AppState, cookies, url_encode};

/// The most any envelope post may carry, whatever the configuration says.
const ENVELOPE_POST_LIMIT: usize = 32 * 1024 * 1024;
/// Room for the other fields and form encoding beside an envelope's payload.
const ENVELOPE_FORM_OVERHEAD: usize = 64 * 1024;
/// Envelope posts read at once: each holds its body (and, when opening, the
/// decoded payload) in memory, so a burst waits instead of adding up.
static ENVELOPE_READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The recipient's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/envelope/open", post(open_envelope).layer(DefaultBodyLimit::disable()))
        .route("/m/{id}", get(show_message))
        .route(
            "/m/{id}/attachments/{part}",
            get(download_attachment)
                .post(download_posted_attachment)
                .layer(DefaultBodyLimit::max(ENVELOPE_POST_LIMIT)),
        )
        .route("/register", get(register_form).post(register))
        .route("/activate", get(activation_form).post(activate))
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset", get(reset_form).post(reset))
}

fn parse_id(visitor: &Visitor, raw: &str) -> Result<PublicId, WebError> {
    PublicId::parse(raw).ok_or_else(|| visitor.not_found())
}

fn signed_actor(visitor: &Visitor) -> Option<Actor> {
    match &visitor.session {
        Some((session, user)) if session.kind == sealpost_domain::model::SessionKind::Full => {
            Some(Actor { user: user.clone() })
        }
        _ => None,
    }
}

#[derive(Deserialize)]
struct EnvelopeForm {
    #[serde(default)]
    recipient: String,
    #[serde(default)]
    payload: String,
    /// Set by our own "Continue" page: the post now comes from this site.
    #[serde(default)]
    step: String,
    /// The envelope's language, so the pages that follow speak it too.
    #[serde(default)]
    lang: String,
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
async fn open_envelope(
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
    if mode.is_some_and(|m| !m.stores_payload())
        && let Some(payload) = STANDARD.decode(form.payload.trim()).ok().filter(|p| !p.is_empty())
    {
        let payload = payload.as_slice();
        {
            // Envelope-only messages exist nowhere else: open from the posted payload.
            if let Some(actor) = signed_actor(&visitor) {
                return show_opened(&state, &visitor, &actor, &id, Some(payload)).await;
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

#[derive(Deserialize, Default)]
struct MessageQuery {
    #[serde(default)]
    r: String,
}

async fn show_message(
    State(state): State<AppState>,
    visitor: Visitor,
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
            Some(actor) => show_opened(&state, &visitor, &actor, &id, None).await,
            None => Err(visitor.not_found()),
        },
        None => {
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
                    return Ok(render(&register_page(
                        &visitor,
                        email.to_string(),
                        next,
                        None,
                        Default::default(),
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

async fn show_opened(
    state: &AppState,
    visitor: &Visitor,
    actor: &Actor,
    id: &PublicId,
    posted: Option<&[u8]>,
) -> Result<Response, WebError> {
    match state
        .services
        .open_message(actor, id, posted, Some(&visitor.client))
        .await
    {
        Ok(opened) => {
            let can_compose = !state
                .services
                .sending_accounts(actor)
                .await
                .or_page(visitor.locale)?
                .is_empty();
            Ok(render(&message_page(visitor, &opened, posted, can_compose)))
        }
        Err(OpenFailure::Unavailable(why)) => Ok(unavailable_response(visitor, why, &format!("/m/{id}"))),
        Err(OpenFailure::Domain(e)) => Err(WebError::from_domain(visitor.locale, e)),
    }
}

fn message_page(visitor: &Visitor, opened: &OpenedMessage, posted: Option<&[u8]>, can_compose: bool) -> MessagePage {
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
        sent: opened.message.created_at.display_utc(),
        body: crate::escape::EscapedText::new(&opened.content.body),
        html_body: (opened.content.format == sealpost_domain::services::content::BodyFormat::Html)
            .then(|| crate::views::sanitize_html(&opened.content.body)),
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
fn unavailable_response(visitor: &Visitor, why: Unavailable, next: &str) -> Response {
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
                    page: visitor.page(Area::Portal, t.get("proof-title")),
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
                &[("date", sealpost_i18n::Arg::Text(&at.display_utc()))],
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
            page: visitor.page(Area::Portal, title),
            explanation,
            reason,
            sender: sender.to_string(),
        },
    )
}

async fn stream_attachment(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    part: &str,
    posted: Option<&[u8]>,
) -> Result<Response, WebError> {
    let Some(actor) = signed_actor(visitor) else {
        return Ok(see_other(
            &format!("/portal/login?next={}", url_encode(&format!("/m/{id}"))),
            &[],
        ));
    };
    let id = parse_id(visitor, id)?;
    let part: u32 = part.parse().map_err(|_| visitor.not_found())?;
    let download = match state.services.open_attachment(&actor, &id, part, posted).await {
        Ok(download) => download,
        Err(OpenFailure::Unavailable(why)) => {
            return Ok(unavailable_response(visitor, why, &format!("/m/{id}")));
        }
        Err(OpenFailure::Domain(e)) => return Err(WebError::from_domain(visitor.locale, e)),
    };
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
    Ok(response)
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

async fn download_attachment(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, part)): Path<(String, String)>,
) -> Result<Response, WebError> {
    stream_attachment(&state, &visitor, &id, &part, None).await
}

#[derive(Deserialize)]
struct PostedPayload {
    #[serde(default)]
    payload: String,
}

async fn download_posted_attachment(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, part)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<PostedPayload>,
) -> Result<Response, WebError> {
    let payload = STANDARD.decode(form.payload.trim()).map_err(|_| visitor.not_found())?;
    stream_attachment(&state, &visitor, &id, &part, Some(&payload)).await
}

#[derive(Deserialize, Default)]
struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    next: String,
}

fn register_page(
    visitor: &Visitor,
    email: String,
    next: String,
    error: Option<FormError>,
    form: RegisterForm,
) -> RegisterPage {
    let locale = Locale::from_tag(&form.locale).unwrap_or(visitor.locale);
    RegisterPage {
        page: visitor.page(Area::Portal, visitor.t.get("register-title")),
        email,
        first_name: form.first_name,
        last_name: form.last_name,
        locale: locale.tag(),
        next,
        error,
    }
}

#[derive(Deserialize, Default)]
struct RegisterQuery {
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
    /// The envelope's language.
    #[serde(default)]
    lang: String,
}

async fn register_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, WebError> {
    // From an envelope: speak its language unless the visitor chose one.
    let envelope_locale =
        Locale::from_tag(&query.lang).filter(|_| visitor.session.is_none() && !visitor.has_language_cookie);
    let visitor = match envelope_locale {
        Some(locale) => visitor.speaking(locale),
        None => visitor,
    };
    let language_cookie: Vec<String> = envelope_locale
        .map(|l| {
            cookies::set(
                cookies::LANGUAGE,
                l.tag(),
                Some(365 * 24 * 60 * 60),
                state.config.secure_cookies,
            )
        })
        .into_iter()
        .collect();
    let email = EmailAddress::parse(&query.email).map_err(|_| visitor.not_found())?;
    // The same page for every address: whether it may register, has an account
    // or was never written to is told to its mailbox, not to the visitor.
    let mut response = render(&register_page(
        &visitor,
        email.to_string(),
        safe_next(&query.next).to_owned(),
        None,
        RegisterForm::default(),
    ));
    for cookie in language_cookie {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

async fn register(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, WebError> {
    let request = RegisterRequest {
        email: form.email.clone(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        password: form.password.clone(),
        confirm_password: form.confirm_password.clone(),
        locale: Locale::from_tag(&form.locale).unwrap_or(visitor.locale),
        next: form.next.clone(),
    };
    match state.services.register(&request, Some(&visitor.client)).await {
        Ok(()) => {
            let t = &visitor.t;
            let email = EmailAddress::parse(&form.email)
                .map(|e| e.to_string())
                .unwrap_or_default();
            let page = NoticePage {
                page: visitor.page(Area::Portal, t.get("register-check-title")),
                paragraphs: vec![
                    t.get_with("register-check", &[("email", sealpost_i18n::Arg::Text(&email))]),
                    t.get("register-check-hint"),
                ],
                form: None,
                link: None,
            };
            Ok(render(&page))
        }
        Err(error) => {
            let form_error = crate::error::form_error(&visitor.t, visitor.locale, error)?;
            let email = form.email.clone();
            let next = form.next.clone();
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &register_page(&visitor, email, next, Some(form_error), form),
            ))
        }
    }
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

async fn activation_form(visitor: Visitor, Query(query): Query<TokenQuery>) -> Response {
    let t = &visitor.t;
    render(&NoticePage {
        page: visitor.page(Area::Portal, t.get("activate-title")),
        paragraphs: vec![t.get("activate-intro")],
        form: Some(NoticeForm {
            action: "/activate".to_owned(),
            fields: vec![("token".to_owned(), query.token), ("next".to_owned(), query.next)],
            button: t.get("activate-submit"),
        }),
        link: None,
    })
}

async fn activate(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<TokenQuery>,
) -> Result<Response, WebError> {
    match state.services.activate(&form.token, Some(&visitor.client)).await {
        Ok(opened) => {
            let secure = state.config.secure_cookies;
            Ok(see_other(
                safe_next(&form.next),
                &[
                    cookies::set(cookies::SESSION, &opened.token, None, secure),
                    cookies::clear(cookies::PRE_SESSION, secure),
                ],
            ))
        }
        Err(DomainError::Invalid { .. }) => {
            let t = &visitor.t;
            Ok(render_status(
                StatusCode::GONE,
                &NoticePage {
                    page: visitor.page(Area::Portal, t.get("link-invalid-title")),
                    paragraphs: vec![t.get("error-link-invalid"), t.get("activate-invalid-hint")],
                    form: None,
                    link: Some(("/portal/login".to_owned(), t.get("login-title-portal"))),
                },
            ))
        }
        Err(error) => Err(WebError::from_domain(visitor.locale, error)),
    }
}

#[derive(Deserialize, Default)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn forgot_form(visitor: Visitor) -> Response {
    render(&ForgotPage {
        page: visitor.page(Area::Portal, visitor.t.get("forgot-title")),
        email: String::new(),
    })
}

async fn forgot(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<Response, WebError> {
    state
        .services
        .request_password_reset(&form.email, visitor.locale, Some(&visitor.client))
        .await
        .or_page(visitor.locale)?;
    let t = &visitor.t;
    Ok(render(&NoticePage {
        page: visitor.page(Area::Portal, t.get("forgot-sent-title")),
        paragraphs: vec![t.get_with("forgot-sent", &[("email", sealpost_i18n::Arg::Text(form.email.trim()))])],
        form: None,
        link: Some(("/portal/login".to_owned(), t.get("login-title-portal"))),
    }))
}

fn invalid_link_page(visitor: &Visitor) -> Response {
    let t = &visitor.t;
    render_status(
        StatusCode::GONE,
        &NoticePage {
            page: visitor.page(Area::Portal, t.get("link-invalid-title")),
            paragraphs: vec![t.get("error-link-invalid")],
            form: None,
            link: Some(("/password/forgot".to_owned(), t.get("forgot-title"))),
        },
    )
}

async fn reset_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
) -> Result<Response, WebError> {
    if !state
        .services
        .reset_link_valid(&query.token)
        .await
        .or_page(visitor.locale)?
    {
        return Ok(invalid_link_page(&visitor));
    }
    Ok(render(&ResetPage {
        page: visitor.page(Area::Portal, visitor.t.get("reset-title")),
        token: query.token,
        error: None,
    }))
}

#[derive(Deserialize, Default)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, WebError> {
    match state
        .services
        .reset_password(
            &form.token,
            &form.new_password,
            &form.confirm_password,
            Some(&visitor.client),
        )
        .await
    {
        Ok(opened) => {
            let secure = state.config.secure_cookies;
            Ok(see_other(
                "/portal",
                &[
                    cookies::set(cookies::SESSION, &opened.token, None, secure),
                    cookies::clear(cookies::PRE_SESSION, secure),
                    cookies::set(
                        cookies::FLASH,
                        &crate::flash::Flash::new("flash-password-changed", &[]).encode(),
                        None,
                        secure,
                    ),
                ],
            ))
        }
        Err(DomainError::Invalid { field: "token", .. }) => Ok(invalid_link_page(&visitor)),
        Err(DomainError::Invalid { field, error }) => {
            let error = FormError {
                field: Some(field),
                message: visitor.t.get(error.message_id()),
            };
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ResetPage {
                    page: visitor.page(Area::Portal, visitor.t.get("reset-title")),
                    token: form.token,
                    error: Some(error),
                },
            ))
        }
        Err(error) => Err(WebError::from_domain(visitor.locale, error)),
    }
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
