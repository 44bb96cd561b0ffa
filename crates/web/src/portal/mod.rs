//! The user portal, `/portal`: the signed-in user's home, composing secure
//! messages ([`compose`]), their inbox and sent messages with the sender's
//! controls ([`mailbox`]).

mod compose;
pub(crate) mod mailbox;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};

use crate::AppState;
use crate::context::Signed;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{Area, Page, PortalHomePage, render};

/// The `/portal` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route(
            "/compose",
            get(compose::compose_form)
                .post(compose::send)
                .layer(compose::body_limit()),
        )
        .route("/inbox", get(mailbox::inbox))
        .route("/sent", get(mailbox::sent))
        .route("/sent/{id}", get(mailbox::show_sent))
        .route("/sent/{id}/lock", get(mailbox::confirm_lock).post(mailbox::lock))
        .route("/sent/{id}/unlock", post(mailbox::unlock))
        .route("/sent/{id}/expiry", post(mailbox::set_expiry))
}

/// The frame of a portal page, with the administration link for administrators.
pub(crate) fn portal_page(signed: &Signed, title: String) -> Page {
    let mut page = signed.visitor.page(Area::Portal, title);
    page.is_admin_nav = signed.actor.shows_administration();
    page.can_compose = signed.actor.shows_compose();
    page
}

async fn home(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let locale = signed.visitor.locale;
    let accounts = state.services.sending_accounts(&signed.actor).await.or_page(locale)?;
    let administrator = state.services.is_administrator(&signed.actor).await.or_page(locale)?;
    let page = portal_page(&signed, signed.visitor.t.get("portal-title"));
    Ok(render(&PortalHomePage {
        page,
        user: signed.actor.user().clone(),
        accounts,
        administrator,
    }))
}
