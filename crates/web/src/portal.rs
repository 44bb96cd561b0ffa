//! The user portal, `/portal`: for now the signed-in user's profile and accounts.
//! Composing and reading secure messages arrive here next.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::context::Signed;
use crate::error::WebError;
use crate::views::{Area, PortalHomePage, render};

/// The `/portal` routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let locale = signed.visitor.locale;
    let accounts = state
        .services
        .store
        .member_accounts(signed.actor.id())
        .await
        .map_err(|e| WebError::from_domain(locale, e))?;
    let administrator = state
        .services
        .is_administrator(&signed.actor)
        .await
        .map_err(|e| WebError::from_domain(locale, e))?;
    let mut page = signed.visitor.page(Area::Portal, signed.visitor.t.get("portal-title"));
    page.is_admin_nav = administrator;
    Ok(render(&PortalHomePage {
        page,
        user: signed.actor.user.clone(),
        accounts,
        administrator,
    }))
}
