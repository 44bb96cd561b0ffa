//! What a recipient meets: the envelope's "Open Online", the message page,
//! attachments, registration and activation, and the forgotten-password path.
//!
//! | route | what |
//! |---|---|
//! | `POST /envelope/open` | the envelope's button (the one cross-site POST accepted: it grants nothing) |
//! | `GET /m/{id}` | the message, or login / registration for who is not logged in |
//! | `GET/POST /m/{id}/attachments/{part}` | an attachment (POST re-sends an envelope's payload) |
//! | `GET /m/{id}/k/{secret}` | a No Password Required message's link: one button posting the secret (`secret`) |
//! | `POST /m/{id}/unlock` | the password a High profile's message asks for at every opening (`unlock`) |
//! | `GET/POST /register` | a recipient registers |
//! | `GET/POST /activate` | the activation link (GET shows a button, so link scanners spend nothing) |
//! | `GET/POST /password/forgot`, `GET/POST /password/reset` | reset by email |
//!
//! One file per path: `envelope`, `message`, `attachments`, `register`
//! (with activation) and `reset`; what they share (the envelope post limits, the id
//! and actor of a request, the token of a mailed link) stays here.

mod attachments;
mod envelope;
mod message;
mod register;
mod reset;
mod secret;
mod unlock;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use sealpost_domain::messages::PublicId;
use sealpost_domain::policy::Actor;
use serde::Deserialize;

use crate::AppState;
use crate::context::Visitor;
use crate::error::WebError;

use self::attachments::{download_attachment, download_posted_attachment};
use self::envelope::open_envelope;
use self::message::show_message;
use self::register::{activate, activation_form, register, register_form};
use self::reset::{forgot, forgot_form, reset, reset_form};
use self::unlock::unlock_message;

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
        .route("/m/{id}/unlock", post(unlock_message))
        .route("/m/{id}/k/{secret}", get(self::secret::secret_link))
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
        Some((session, actor)) if session.kind == sealpost_domain::model::SessionKind::Full => Some(actor.clone()),
        _ => None,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    token: String,
    next: String,
}
