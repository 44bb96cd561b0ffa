//! The administration portal, `/admin`: accounts, their groups and members, users.
//!
//! Every handler takes an [`Admin`](crate::context::Admin) (operator or account
//! administrator with a full session); account pages take an [`AccountAdmin`]
//! instead, which turns the `{number}` in the URL into an
//! [`AccountScope`](sealpost_domain::policy::AccountScope) before the handler runs:
//! an account the visitor may not administer answers 404 like one that does not exist.

mod accounts;
mod audit;
pub(crate) mod confirm;
mod features;
mod groups;
mod images;
mod lifecycle;
mod messages;
mod profiles;
mod report_chart;
mod reports;
mod tokens;
mod two_step;
mod user_account;
mod user_page;
mod users;

pub use user_page::lock_notice_text;
use user_page::user_action_route;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use sealpost_domain::DomainError;
use sealpost_domain::policy::AccountScope;
use sealpost_domain::services::user_admin::UserAction::{
    RequirePasswordChange, ResendActivation, ResetTwoStep, SendReset,
};
use sealpost_domain::types::{AccountNumber, GroupId, UserId};
use sealpost_i18n::{Arg, Translator};

use crate::AppState;
use crate::context::{Admin, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{Area, FormError, Page, render_status};

/// The `/admin` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|_: Admin| async { Redirect::to("/admin/accounts") }))
        .route("/accounts", get(accounts::list_accounts).post(accounts::create_account))
        .route("/accounts/{number}", get(accounts::show_account))
        .route(
            "/accounts/{number}/sending-address",
            post(accounts::set_sending_address),
        )
        .route("/accounts/{number}/name", post(accounts::rename_account))
        .route("/accounts/{number}/sender-domains", post(accounts::set_sender_domains))
        .route("/accounts/{number}/suspend", post(lifecycle::suspend_account))
        .route("/accounts/{number}/resume", post(lifecycle::resume_account))
        .route(
            "/accounts/{number}/delete",
            get(lifecycle::confirm_delete).post(lifecycle::delete_account),
        )
        .route(
            "/accounts/{number}/groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route("/accounts/{number}/groups/{group}", get(groups::show_group))
        .route(
            "/accounts/{number}/groups/{group}/delete",
            get(confirm::confirm_delete_group).post(groups::delete_group),
        )
        .route("/accounts/{number}/groups/{group}/members", post(groups::add_member))
        .route(
            "/accounts/{number}/groups/{group}/members/{user}/remove",
            get(confirm::confirm_remove_member).post(groups::remove_member),
        )
        .route(
            "/accounts/{number}/tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        )
        .route("/accounts/{number}/tokens/{token}/revoke", post(tokens::revoke_token))
        .route(
            "/accounts/{number}/images",
            get(images::show_images)
                .post(images::save_images)
                .layer(DefaultBodyLimit::max(images::MAX_BODY)),
        )
        .route("/accounts/{number}/images/reset", post(images::reset_images))
        .route(
            "/accounts/{number}/profiles",
            get(profiles::list_profiles).post(profiles::create_profile),
        )
        .route(
            "/accounts/{number}/profiles/{profile}",
            get(profiles::show_profile).post(profiles::save_profile),
        )
        .route(
            "/accounts/{number}/profiles/{profile}/delete",
            post(profiles::delete_profile),
        )
        .route(
            "/accounts/{number}/profiles/{profile}/default",
            post(profiles::make_default),
        )
        .route(
            "/accounts/{number}/features",
            get(features::show_features).post(features::save_features),
        )
        .route("/accounts/{number}/two-step", post(two_step::save_requirement))
        .route("/accounts/{number}/audit", get(audit::show_audit))
        .route("/accounts/{number}/audit/export", get(audit::export_audit))
        .route("/accounts/{number}/reports", get(reports::show_reports))
        .route("/accounts/{number}/reports/export", get(reports::export_reports))
        .route("/accounts/{number}/messages", get(messages::list_messages))
        .route("/accounts/{number}/messages/{id}", get(messages::show_message))
        .route(
            "/accounts/{number}/messages/{id}/lock",
            get(messages::confirm_lock).post(messages::lock),
        )
        .route("/accounts/{number}/messages/{id}/unlock", post(messages::unlock))
        .route("/accounts/{number}/messages/{id}/expiry", post(messages::set_expiry))
        .route("/users", get(users::list_users).post(users::create_user))
        .route("/users/new", get(users::new_user))
        .route("/users/{user}", get(user_page::show_user))
        .route("/users/{user}/names", post(user_page::save_names))
        // Mails a password-reset link.
        .route(
            "/users/{user}/reset",
            user_action_route(SendReset, "flash-user-reset-sent"),
        )
        // Mails a pending user the link that sets their first password.
        .route(
            "/users/{user}/activation",
            user_action_route(ResendActivation, "flash-user-activation-sent"),
        )
        // The next login can only set a new password.
        .route(
            "/users/{user}/require-password",
            user_action_route(RequirePasswordChange, "flash-user-password-required"),
        )
        // The user's authenticator app, passkeys and recovery codes stop working
        // (a lost phone), after a confirmation.
        .route(
            "/users/{user}/two-step/reset",
            user_action_route(ResetTwoStep, "flash-user-two-step-reset").get(user_page::confirm_reset_two_step),
        )
        .route(
            "/users/{user}/lock",
            get(user_page::confirm_lock).post(user_page::lock_user),
        )
        .route("/users/{user}/unlock", post(user_page::unlock_user))
        .route(
            "/users/{user}/delete",
            get(user_page::confirm_delete).post(user_page::delete_user),
        )
        .route(
            "/accounts/{number}/users/{user}/lock",
            get(user_account::confirm_lock).post(user_account::lock),
        )
        .route("/accounts/{number}/users/{user}/unlock", post(user_account::unlock))
        .route(
            "/accounts/{number}/users/{user}/remove",
            get(user_account::confirm_remove).post(user_account::remove),
        )
}

/// The frame of an administration page.
fn admin_page(visitor: &Visitor, title: String) -> Page {
    let mut page = visitor.page(Area::Admin, title);
    page.is_admin_nav = true;
    page
}

/// An administrator of the account whose number is the `{number}` of the path,
/// with the scope every account-level service call takes. Another account's
/// number (or no such account) answers 404 before the handler runs.
pub struct AccountAdmin {
    pub admin: Admin,
    pub scope: AccountScope,
    /// The number as written in the path, for links back to the account.
    pub number: String,
}

impl FromRequestParts<AppState> for AccountAdmin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let admin = Admin::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| admin.visitor.not_found())?;
        let number = params
            .iter()
            .find(|(name, _)| *name == "number")
            .map(|(_, value)| value.to_owned())
            .ok_or_else(|| admin.visitor.not_found())?;
        let scope = scope(state, &admin, &number).await?;
        Ok(Self { admin, scope, number })
    }
}

/// Resolves the account number in a URL into a scope, or 404.
async fn scope(state: &AppState, admin: &Admin, number: &str) -> Result<AccountScope, WebError> {
    let number = AccountNumber::parse(number).ok_or_else(|| admin.visitor.not_found())?;
    state
        .services
        .account_scope(&admin.actor, number, Some(&admin.visitor.client))
        .await
        .or_page(admin.visitor.locale)
}

/// How many rows a list matches, in the words of message `id`; past
/// `counted_up_to` the store stops counting, and message `more_id` says "more
/// than" that many.
fn match_count(t: &Translator, total: u64, counted_up_to: u64, id: &str, more_id: &str) -> String {
    let (id, count) = if total > counted_up_to {
        (more_id, counted_up_to)
    } else {
        (id, total)
    };
    t.get_with(id, &[("count", Arg::Number(i64::try_from(count).unwrap_or(i64::MAX)))])
}

fn parse_group(visitor: &Visitor, raw: &str) -> Result<GroupId, WebError> {
    raw.parse().map(GroupId).map_err(|_| visitor.not_found())
}

fn parse_user(visitor: &Visitor, raw: &str) -> Result<UserId, WebError> {
    raw.parse().map(UserId).map_err(|_| visitor.not_found())
}

/// A refusal to show on the form, or the error page for anything else.
fn form_error(visitor: &Visitor, error: DomainError) -> Result<FormError, WebError> {
    crate::error::form_error(&visitor.t, visitor.locale, error)
}

/// The form's page again (422) with the refusal `error` shown on it, as `page`
/// builds it; an error that is no refusal answers with its own page.
async fn form_again<P: Template>(
    visitor: &Visitor,
    error: DomainError,
    page: impl AsyncFnOnce(FormError) -> Result<P, WebError>,
) -> Result<Response, WebError> {
    let error = form_error(visitor, error)?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(error).await?))
}
