//! A user's standing in one account, from the user page: lock them out of the
//! account (its messages and membership), unlock, remove them from its groups.
//! Routes `/admin/accounts/{number}/users/{user}/…`: the account number makes the
//! scope ([`AccountAdmin`]), and a user who is neither member nor recipient of that
//! account answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::model::UserDetail;
use sealpost_i18n::Arg;

use super::lifecycle::Empty;
use super::user_page::{ConfirmPage, LockForm};
use super::{AccountAdmin, form_error, parse_user};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::CsrfForm;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{FormError, render, render_status};

/// The user of the path, if they belong to the scope's account.
async fn detail(state: &AppState, account_admin: &AccountAdmin, raw: &str) -> Result<UserDetail, WebError> {
    let visitor = &account_admin.admin.visitor;
    let id = parse_user(visitor, raw)?;
    state
        .services
        .account_user_detail(&account_admin.scope, id)
        .await
        .or_page(visitor.locale)
}

fn lock_page(account_admin: &AccountAdmin, user: &UserDetail, reason: String, error: Option<FormError>) -> ConfirmPage {
    let visitor = &account_admin.admin.visitor;
    let email = user.user.email.as_str();
    let args = [
        ("email", Arg::Text(email)),
        ("account", Arg::Text(&account_admin.number)),
    ];
    let mut page = ConfirmPage::new(
        visitor,
        visitor.t.get_with("user-account-lock-title", &args),
        visitor.t.get_with("user-account-lock-question", &args),
        format!("/admin/accounts/{}/users/{}/lock", account_admin.number, user.user.id.0),
        visitor.t.get_with("user-lock-in-account", &args[1..]),
    );
    page.reason = Some(reason);
    page.error = error;
    page.cancel = format!("/admin/users/{}", user.user.id.0);
    page
}

fn back(state: &AppState, account_admin: &AccountAdmin, user: &UserDetail, flash: &'static str) -> Response {
    see_other_with_flash(
        state,
        &format!("/admin/users/{}", user.user.id.0),
        &Flash::new(flash, &[user.user.email.as_str(), &account_admin.number]),
    )
}

/// `GET /admin/accounts/{number}/users/{user}/lock`: the confirmation with a reason.
pub async fn confirm_lock(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let user = detail(&state, &account_admin, &user).await?;
    Ok(render(&lock_page(&account_admin, &user, String::new(), None)))
}

/// `POST /admin/accounts/{number}/users/{user}/lock`.
pub async fn lock(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<LockForm>,
) -> Result<Response, WebError> {
    let user = detail(&state, &account_admin, &user).await?;
    match state
        .services
        .lock_in_account(&account_admin.scope, user.user.id, &form.reason)
        .await
    {
        Ok(()) => Ok(back(&state, &account_admin, &user, "flash-user-account-locked")),
        Err(error @ DomainError::Invalid { .. }) => {
            let error = form_error(&account_admin.admin.visitor, error)?;
            let page = lock_page(&account_admin, &user, form.reason, Some(error));
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(error) => Err(WebError::from_domain(account_admin.admin.visitor.locale, error)),
    }
}

/// `POST /admin/accounts/{number}/users/{user}/unlock`.
pub async fn unlock(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let user = detail(&state, &account_admin, &user).await?;
    state
        .services
        .unlock_in_account(&account_admin.scope, user.user.id)
        .await
        .or_page(account_admin.admin.visitor.locale)?;
    Ok(back(&state, &account_admin, &user, "flash-user-account-unlocked"))
}

/// `GET /admin/accounts/{number}/users/{user}/remove`: the confirmation.
pub async fn confirm_remove(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let user = detail(&state, &account_admin, &user).await?;
    let visitor = &account_admin.admin.visitor;
    let args = [
        ("email", Arg::Text(user.user.email.as_str())),
        ("account", Arg::Text(&account_admin.number)),
    ];
    let mut page = ConfirmPage::new(
        visitor,
        visitor.t.get_with("user-remove-title", &args),
        visitor.t.get_with("user-remove-question", &args),
        format!(
            "/admin/accounts/{}/users/{}/remove",
            account_admin.number, user.user.id.0
        ),
        visitor.t.get("user-remove-button"),
    );
    page.cancel = format!("/admin/users/{}", user.user.id.0);
    Ok(render(&page))
}

/// `POST /admin/accounts/{number}/users/{user}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let user = detail(&state, &account_admin, &user).await?;
    state
        .services
        .remove_from_account(&account_admin.scope, user.user.id)
        .await
        .or_page(account_admin.admin.visitor.locale)?;
    Ok(back(&state, &account_admin, &user, "flash-user-removed"))
}
