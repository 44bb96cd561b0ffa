//! Proof of mailboxes: the signed-in user's proof link, and an account's new
//! sending address confirming by the link mailed to it.
//!
//! | route | what |
//! |---|---|
//! | `POST /verify/request` | mails the signed-in user a proof link (bound to this session) |
//! | `GET/POST /verify` | the proof link (GET shows a button, so link scanners spend nothing) |
//! | `GET/POST /confirm-sender` | a sending address's confirmation link (the same) |

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sealpost_domain::services::messages::safe_next;
use sealpost_domain::services::registration::ProofOutcome;
use serde::Deserialize;

use crate::AppState;
use crate::auth::see_other;
use crate::context::{CsrfForm, NextForm, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{Area, NoticeForm, NoticePage, render_status};

/// The proof routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/verify/request", post(request_proof))
        .route("/verify", get(proof_form).post(prove))
        .route("/confirm-sender", get(sender_form).post(confirm_sender))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    token: String,
    next: String,
}

/// A page of paragraphs with at most one button or link.
fn notice(
    visitor: &Visitor,
    status: StatusCode,
    title: &str,
    paragraphs: Vec<String>,
    form: Option<NoticeForm>,
    link: Option<(String, String)>,
) -> Response {
    render_status(
        status,
        &NoticePage {
            page: visitor.page(Area::Portal, visitor.t.get(title)),
            paragraphs,
            form,
            link,
        },
    )
}

/// `POST /verify/request`: the signed-in user asks for a proof link.
async fn request_proof(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<NextForm>,
) -> Result<Response, WebError> {
    let Some((session, actor)) = visitor.full_session() else {
        return Ok(see_other("/portal/login", &[]));
    };
    let sent = state
        .services
        .request_mailbox_proof(
            actor,
            &session.id_hash,
            &form.next,
            visitor.locale,
            Some(&visitor.client),
        )
        .await
        .or_page(visitor.locale)?;
    let t = &visitor.t;
    let email = sealpost_i18n::Arg::Text(actor.user().email.as_str());
    Ok(if sent {
        notice(
            &visitor,
            StatusCode::OK,
            "proof-sent-title",
            vec![t.get_with("proof-sent", &[("email", email)]), t.get("proof-sent-hint")],
            None,
            None,
        )
    } else {
        notice(
            &visitor,
            StatusCode::TOO_MANY_REQUESTS,
            "proof-sent-title",
            vec![t.get_with("proof-limited", &[("email", email)])],
            None,
            None,
        )
    })
}

/// The page a mailed link opens: the message `intro` and a button (`button`) that
/// posts the link's `fields` to `action`, so that a mail scanner following the
/// link spends nothing.
fn link_button_page(
    visitor: &Visitor,
    title: &str,
    intro: &str,
    button: &str,
    action: &str,
    fields: Vec<(String, String)>,
) -> Response {
    let t = &visitor.t;
    notice(
        visitor,
        StatusCode::OK,
        title,
        vec![t.get(intro)],
        Some(NoticeForm {
            action: action.to_owned(),
            fields,
            button: t.get(button),
        }),
        None,
    )
}

/// `GET /verify`: a button, so that a mail scanner following the link spends nothing.
async fn proof_form(visitor: Visitor, Query(query): Query<TokenForm>) -> Response {
    let fields = vec![("token".to_owned(), query.token), ("next".to_owned(), query.next)];
    link_button_page(
        &visitor,
        "proof-title",
        "proof-confirm-intro",
        "proof-confirm",
        "/verify",
        fields,
    )
}

/// `POST /verify`: uses the proof link in this browser's session.
async fn prove(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, WebError> {
    let session = visitor.full_session().map(|(s, _)| s.id_hash.as_str());
    let outcome = state
        .services
        .prove_mailbox(&form.token, session, Some(&visitor.client))
        .await
        .or_page(visitor.locale)?;
    let t = &visitor.t;
    Ok(match outcome {
        ProofOutcome::Proven => see_other(safe_next(&form.next), &[]),
        ProofOutcome::OtherBrowser => notice(
            &visitor,
            StatusCode::FORBIDDEN,
            "proof-other-title",
            vec![t.get("proof-other"), t.get("proof-other-hint")],
            None,
            Some(("/password/forgot".to_owned(), t.get("forgot-title"))),
        ),
        ProofOutcome::Invalid => notice(
            &visitor,
            StatusCode::GONE,
            "link-invalid-title",
            vec![t.get("error-link-invalid")],
            None,
            Some(("/portal".to_owned(), t.get("login-title-portal"))),
        ),
    })
}

/// `GET /confirm-sender`: a button, as for every link.
async fn sender_form(visitor: Visitor, Query(query): Query<TokenForm>) -> Response {
    link_button_page(
        &visitor,
        "sender-confirm-title",
        "sender-confirm-intro",
        "sender-confirm",
        "/confirm-sender",
        vec![("token".to_owned(), query.token)],
    )
}

/// `POST /confirm-sender`: the address the link was mailed to becomes the
/// account's sending address.
async fn confirm_sender(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, WebError> {
    let confirmed = state
        .services
        .confirm_sending_address(&form.token, Some(&visitor.client))
        .await
        .or_page(visitor.locale)?;
    let t = &visitor.t;
    Ok(match confirmed {
        Some(address) => notice(
            &visitor,
            StatusCode::OK,
            "sender-confirmed-title",
            vec![t.get_with(
                "sender-confirmed",
                &[("email", sealpost_i18n::Arg::Text(address.as_str()))],
            )],
            None,
            None,
        ),
        None => notice(
            &visitor,
            StatusCode::GONE,
            "link-invalid-title",
            vec![t.get("error-link-invalid"), t.get("sender-invalid-hint")],
            None,
            None,
        ),
    }
    .into_response())
}
