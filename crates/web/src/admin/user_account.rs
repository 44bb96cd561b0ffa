//! A user's standing in one account, from the user page: lock them out of the
//! account (its messages and membership), unlock, remove them from its groups.
//! Routes `/admin/accounts/{number}/users/{user}/…`: the account number makes the
//! scope ([`AccountAdmin`]), and a user who is neither member nor recipient of that
//! account answers 404.

use axum::extract::{Path, State};
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::model::UserDetail;
use sealpost_domain::types::UserId;
use sealpost_i18n::Arg;

use super::confirm::confirmed;
use super::user_page::LockForm;
use super::{AccountAdmin, parse_user};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::confirm::ConfirmPage;
use crate::context::{CsrfForm, NoFields};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{FormError, render};

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

/// The email and account a confirmation about `user` names.
fn args<'a>(account_admin: &'a AccountAdmin, user: &'a UserDetail) -> [(&'static str, Arg<'a>); 2] {
    [
        ("email", Arg::Text(user.user.email.as_str())),
        ("account", Arg::Text(&account_admin.number)),
    ]
}

/// A confirmation posting to `/admin/accounts/{number}/users/{user}/{action}`.
fn confirm_page(
    account_admin: &AccountAdmin,
    user: &UserDetail,
    key: &str,
    action: &str,
    button: String,
) -> ConfirmPage {
    let action = format!(
        "/admin/accounts/{}/users/{}/{action}",
        account_admin.number, user.user.id.0
    );
    let visitor = &account_admin.admin.visitor;
    ConfirmPage::about_user(visitor, key, &args(account_admin, user), &action, button, user.user.id)
}

fn lock_page(account_admin: &AccountAdmin, user: &UserDetail, reason: String, error: Option<FormError>) -> ConfirmPage {
    let args = args(account_admin, user);
    let button = account_admin
        .admin
        .visitor
        .t
        .get_with("user-lock-in-account", &args[1..]);
    let mut page = confirm_page(account_admin, user, "user-account-lock", "lock", button);
    page.reason = Some(reason);
    page.error = error;
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
    let outcome = state
        .services
        .lock_in_account(&account_admin.scope, user.user.id, &form.reason)
        .await;
    confirmed(
        &account_admin.admin.visitor,
        outcome,
        || back(&state, &account_admin, &user, "flash-user-account-locked"),
        |error| lock_page(&account_admin, &user, form.reason, Some(error)),
    )
}

/// Runs `call` on the user `raw` names (a refusal shows its error page), then
/// back to the user page with `flash` naming them and the account.
async fn act(
    state: &AppState,
    account_admin: &AccountAdmin,
    raw: &str,
    flash: &'static str,
    call: impl AsyncFnOnce(UserId) -> Result<(), DomainError>,
) -> Result<Response, WebError> {
    let user = detail(state, account_admin, raw).await?;
    call(user.user.id).await.or_page(account_admin.admin.visitor.locale)?;
    Ok(back(state, account_admin, &user, flash))
}

/// `POST /admin/accounts/{number}/users/{user}/unlock`.
pub async fn unlock(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    act(
        &state,
        &account_admin,
        &user,
        "flash-user-account-unlocked",
        async |id| state.services.unlock_in_account(&account_admin.scope, id).await,
    )
    .await
}

/// `GET /admin/accounts/{number}/users/{user}/remove`: the confirmation.
pub async fn confirm_remove(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let user = detail(&state, &account_admin, &user).await?;
    let button = account_admin.admin.visitor.t.get("user-remove-button");
    Ok(render(&confirm_page(
        &account_admin,
        &user,
        "user-remove",
        "remove",
        button,
    )))
}

/// `POST /admin/accounts/{number}/users/{user}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    Path((_, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    act(&state, &account_admin, &user, "flash-user-removed", async |id| {
        state.services.remove_from_account(&account_admin.scope, id).await
    })
    .await
}
