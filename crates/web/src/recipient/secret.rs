//! No Password Required on the recipient's side (see
//! `sealpost_domain::services::messages::secret`).
//!
//! - `GET /m/{id}/k/{secret}`: the notification's link. It shows one button
//!   posting the secret to `/envelope/open`, so a link scanner fetching it opens
//!   nothing and records no view.
//! - `POST /envelope/open` with a `secret` field (the envelope file's "Open
//!   Online", or that button): [`open_by_secret`] shows the message without
//!   registration or login and sets the download grant cookie, scoped to the
//!   message's paths, which attachment downloads ([`granted_download`]) present.
//!
//! Pages whose request carried a secret answer `Referrer-Policy: no-referrer`
//! and `Cache-Control: no-store`; no secret is logged.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use sealpost_domain::messages::PublicId;
use sealpost_domain::services::messages::{AttachmentDownload, GRANT_SECONDS, SecretRefusal};
use sealpost_domain::types::Locale;
use sealpost_i18n::{Arg, Translator};

use crate::auth::with_cookies;
use crate::brand::BrandView;
use crate::context::Visitor;
use crate::error::WebError;
use crate::views::{Area, NoticeForm, NoticePage, render, render_status};
use crate::{AppState, cookies};

use super::message::{message_page, show, unavailable_response};
use super::parse_id;

/// The longest secret field looked at (an encoded secret has 43 characters).
const MAX_SECRET_CHARS: usize = 64;

/// Marks a response as one whose request carried a secret.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The visitor speaking the envelope's language, unless they chose one.
fn speaking(visitor: &Visitor, lang: &str) -> Visitor {
    let mut visitor = visitor.clone();
    if let Some(locale) = Locale::from_tag(lang)
        && visitor.session.is_none()
        && !visitor.has_language_cookie
    {
        visitor.locale = locale;
        visitor.t = Translator::new(locale);
    }
    visitor
}

/// `GET /m/{id}/k/{secret}`: the link's page, one button that posts the secret.
pub(super) async fn secret_link(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, secret)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = parse_id(&visitor, &id)?;
    if secret.is_empty() || secret.len() > MAX_SECRET_CHARS {
        return Err(visitor.not_found());
    }
    let t = &visitor.t;
    let mut page = visitor.page(Area::Portal, t.get("secret-open-title"));
    page.brand = BrandView::for_message(&state, t, &id).await;
    // The language switch must not carry the secret into another address.
    page.back = "/portal".to_owned();
    Ok(private(render(&NoticePage {
        page,
        paragraphs: vec![t.get("secret-open")],
        form: Some(NoticeForm {
            action: "/envelope/open".to_owned(),
            fields: vec![
                ("id".to_owned(), id.to_hex()),
                ("secret".to_owned(), secret),
                ("lang".to_owned(), visitor.locale.tag().to_owned()),
            ],
            button: t.get("secret-open-button"),
        }),
        link: None,
    })))
}

/// Opens the message for the holder of `secret` (from the envelope or the link's
/// page); `payload`: the envelope's, for a message the service keeps no copy of.
pub(super) async fn open_by_secret(
    state: &AppState,
    visitor: &Visitor,
    id: &PublicId,
    secret: &str,
    payload: Option<&[u8]>,
    lang: &str,
) -> Result<Response, WebError> {
    let visitor = &speaking(visitor, lang);
    match state
        .services
        .open_with_secret(id, secret, payload, &visitor.client)
        .await
    {
        Ok(opening) => {
            let mut page = message_page(visitor, &opening.opened, payload, false);
            page.page.brand = BrandView::for_account(state, &visitor.t, opening.opened.message.account_id).await;
            page.page.flash = Some(visitor.t.get("secret-answers-need-login"));
            page.page.back = "/portal".to_owned();
            let mut response = private(show(&page));
            let cookie = cookies::set_grant(
                &opening.grant,
                &format!("/m/{}/", id.to_hex()),
                GRANT_SECONDS,
                state.config.secure_cookies,
            );
            with_cookies(&mut response, &[cookie]);
            Ok(response)
        }
        Err(refusal) => refusal_response(state, visitor, id, refusal).await,
    }
}

/// An attachment for the holder of the message's download grant; the refusal
/// page otherwise.
pub(super) async fn granted_download(
    state: &AppState,
    visitor: &Visitor,
    id: &PublicId,
    grant: &str,
    part: u32,
    posted: Option<&[u8]>,
) -> Result<Result<AttachmentDownload, Response>, WebError> {
    match state.services.open_attachment_with_grant(id, grant, part, posted).await {
        Ok(download) => Ok(Ok(download)),
        Err(refusal) => refusal_response(state, visitor, id, refusal).await.map(Err),
    }
}

/// What a recipient sees when a secret (or grant) does not open the message:
/// 403 with nothing of it, 429 while throttled, the usual page for a locked or
/// expired message, 404 for an unknown one.
async fn refusal_response(
    state: &AppState,
    visitor: &Visitor,
    id: &PublicId,
    refusal: SecretRefusal,
) -> Result<Response, WebError> {
    let t = &visitor.t;
    let notice = |status: StatusCode, paragraph: String| {
        let mut page = visitor.page(Area::Portal, t.get("secret-refused-title"));
        page.back = "/portal".to_owned();
        private(render_status(
            status,
            &NoticePage {
                page,
                paragraphs: vec![paragraph],
                form: None,
                link: None,
            },
        ))
    };
    match refusal {
        SecretRefusal::Wrong => Ok(notice(StatusCode::FORBIDDEN, t.get("secret-refused"))),
        SecretRefusal::Throttled(seconds) => Ok(notice(
            StatusCode::TOO_MANY_REQUESTS,
            t.get_with("secret-throttled", &[("seconds", Arg::Number(seconds))]),
        )),
        SecretRefusal::Unavailable(why) => {
            let brand = BrandView::for_message(state, t, id).await;
            Ok(private(unavailable_response(visitor, why, "/portal", brand)))
        }
        SecretRefusal::Domain(error) => Err(WebError::from_domain(visitor.locale, error)),
    }
}
