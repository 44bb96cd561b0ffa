//! The user page, `/admin/users/{user}`: who the user is, where they stand, and the
//! actions an operator or an administrator of one of their accounts may take.
//!
//! Actions that take something away (lock, delete, reset two-step verification;
//! per account lock and remove, in [`super::user_account`]) first show a
//! confirmation page of their own (a GET with labelled buttons, no script); the
//! others are buttons posting straight from the page. A user the visitor may not
//! see answers 404 on every route, GET or POST.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, post};
use sealpost_domain::DomainError;
use sealpost_domain::model::LockNotice;
use sealpost_domain::services::user_admin::{UserAction, UserView};
use sealpost_domain::types::UserId;
use sealpost_i18n::Arg;
use serde::Deserialize;

use super::confirm::confirmed;
use super::{admin_page, form_error, parse_user};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::confirm::ConfirmPage;
use crate::context::{Admin, CsrfForm, NoFields, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{Area, FormError, Page, group_label, render, render_status};

/// An account-level action the page offers for one account.
pub struct AccountActions {
    pub number: String,
    pub locked: bool,
}

/// The user page.
#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub page: Page,
    pub id: i64,
    pub email: String,
    pub status: String,
    pub mailbox: String,
    /// Two-step verification on or off, as the two-step port tells.
    pub two_step: bool,
    pub last_login: String,
    pub created: String,
    pub lock_line: Option<String>,
    pub account_lock_lines: Vec<String>,
    pub groups: Vec<String>,
    pub accounts: Vec<AccountActions>,
    pub locked: bool,
    pub pending: bool,
    pub may_manage: bool,
    pub may_lock_globally: bool,
    pub may_delete: bool,
    /// The names as shown in the form (as typed after a refusal).
    pub first_name: String,
    pub last_name: String,
    pub error: Option<FormError>,
}

/// What a locked user reads on the login form: the reason and whom to contact.
pub fn lock_notice_text(visitor: &Visitor, notice: &LockNotice) -> String {
    match &notice.contact {
        Some(contact) => visitor.t.get_with(
            "login-locked",
            &[
                ("reason", Arg::Text(&notice.reason)),
                ("contact", Arg::Text(contact.as_str())),
            ],
        ),
        None => visitor
            .t
            .get_with("login-locked-no-contact", &[("reason", Arg::Text(&notice.reason))]),
    }
}

pub(super) fn user_page(
    visitor: &Visitor,
    view: UserView,
    names: Option<(String, String)>,
    error: Option<FormError>,
) -> UserPage {
    let t = &visitor.t;
    let user = &view.detail.user;
    let email = user.email.as_str().to_owned();
    let text = |id: &str, args: &[(&'static str, &str)]| {
        let args: Vec<(&'static str, Arg<'_>)> = args.iter().map(|(k, v)| (*k, Arg::Text(v))).collect();
        t.get_with(id, &args)
    };
    let page = admin_page(visitor, text("user-title", &[("email", &email)]));
    let status = page.status(user);
    let mailbox = match user.mailbox_verified_at {
        Some(at) => text("user-mailbox-proven", &[("date", &visitor.dates.date_time(at))]),
        None => t.get("user-mailbox-unproven"),
    };
    let last_login = match user.last_login_at {
        Some(at) => text(
            "user-last-login-at",
            &[
                ("date", &visitor.dates.date_time(at)),
                ("ip", view.detail.last_login_ip.as_deref().unwrap_or("-")),
            ],
        ),
        None => t.get("user-last-login-never"),
    };
    let created_at = visitor.dates.date_time(user.created_at);
    let created = match &view.detail.created_by {
        Some(by) => text("user-created-by", &[("date", &created_at), ("email", by.as_str())]),
        None => created_at,
    };
    let lock_line = view.detail.locked_reason.as_ref().map(|reason| {
        let date = view
            .detail
            .locked_at
            .map(|a| visitor.dates.date_time(a))
            .unwrap_or_default();
        match &view.detail.locked_by {
            Some(by) => text(
                "user-locked-because",
                &[("email", by.as_str()), ("date", &date), ("reason", reason)],
            ),
            None => text("user-locked-because-unknown", &[("date", &date), ("reason", reason)]),
        }
    });
    let account_lock_lines = view
        .detail
        .account_locks
        .iter()
        .map(|lock| {
            text(
                "user-account-lock",
                &[
                    ("account", &lock.account_number.to_string()),
                    ("email", lock.locked_by.as_ref().map_or("-", |e| e.as_str())),
                    ("date", &visitor.dates.date_time(lock.locked_at)),
                    ("reason", &lock.reason),
                ],
            )
        })
        .collect();
    let groups = view
        .detail
        .groups
        .iter()
        .map(|g| {
            let name = if g.builtin {
                group_label(t, &g.group_name)
            } else {
                g.group_name.clone()
            };
            text(
                "user-group-in-account",
                &[
                    ("group", &name),
                    ("account", &g.account_number.to_string()),
                    ("name", &g.account_name),
                ],
            )
        })
        .collect();
    let accounts = view
        .accounts
        .iter()
        .map(|a| AccountActions {
            number: a.number.to_string(),
            locked: view.locked_in.contains(&a.id),
        })
        .collect();
    let (first_name, last_name) = names.unwrap_or_else(|| (user.first_name.clone(), user.last_name.clone()));
    UserPage {
        page,
        id: user.id.0,
        email,
        status,
        mailbox,
        two_step: view.two_step,
        last_login,
        created,
        lock_line,
        account_lock_lines,
        groups,
        accounts,
        locked: user.status == sealpost_domain::model::UserStatus::Locked,
        pending: user.status == sealpost_domain::model::UserStatus::Pending,
        may_manage: view.may_manage,
        may_lock_globally: view.may_lock_globally,
        may_delete: view.may_delete,
        first_name,
        last_name,
        error,
    }
}

/// The user `raw` names, as `admin` may see them; 404 otherwise.
async fn view_of(state: &AppState, admin: &Admin, raw: &str) -> Result<(UserId, UserView), WebError> {
    let id = parse_user(&admin.visitor, raw)?;
    let view = state
        .services
        .user_view(&admin.actor, id)
        .await
        .or_page(admin.visitor.locale)?;
    Ok((id, view))
}

/// `GET /admin/users/{user}`.
pub async fn show_user(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
) -> Result<Response, WebError> {
    let (_, view) = view_of(&state, &admin, &user).await?;
    Ok(render(&user_page(&admin.visitor, view, None, None)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NamesForm {
    first_name: String,
    last_name: String,
}

/// `POST /admin/users/{user}/names`: saves the names, or the page again (422)
/// with what was typed.
pub async fn save_names(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
    CsrfForm(form): CsrfForm<NamesForm>,
) -> Result<Response, WebError> {
    let (id, view) = view_of(&state, &admin, &user).await?;
    let client = Some(admin.visitor.client.as_str());
    match state
        .services
        .rename_user(&admin.actor, id, &form.first_name, &form.last_name, client)
        .await
    {
        Ok(()) => Ok(done(&state, id, "flash-user-saved", view.detail.user.email.as_str())),
        Err(error) => {
            let error = form_error(&admin.visitor, error)?;
            let page = user_page(
                &admin.visitor,
                view,
                Some((form.first_name, form.last_name)),
                Some(error),
            );
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// Back to the user page with a confirmation.
pub(super) fn done(state: &AppState, id: UserId, flash: &'static str, email: &str) -> Response {
    see_other_with_flash(state, &format!("/admin/users/{}", id.0), &Flash::new(flash, &[email]))
}

/// Runs `call` on the user `raw` names (a refusal shows its error page), then
/// back to the user page with `flash` naming them.
async fn act(
    state: &AppState,
    admin: &Admin,
    raw: &str,
    flash: &'static str,
    call: impl AsyncFnOnce(UserId) -> Result<(), DomainError>,
) -> Result<Response, WebError> {
    let (id, view) = view_of(state, admin, raw).await?;
    call(id).await.or_page(admin.visitor.locale)?;
    Ok(done(state, id, flash, view.detail.user.email.as_str()))
}

/// One of the [`UserAction`]s (mailing a link, asking for a new password), then
/// back to the user page with `flash`.
async fn user_action(
    state: &AppState,
    admin: &Admin,
    raw: &str,
    action: UserAction,
    flash: &'static str,
) -> Result<Response, WebError> {
    let visitor = &admin.visitor;
    act(state, admin, raw, flash, async |id| {
        let client = Some(visitor.client.as_str());
        state
            .services
            .user_action(&admin.actor, id, action, visitor.locale, client)
            .await
    })
    .await
}

/// The `POST` route of one of the [`UserAction`]s, which has no fields and asks
/// no confirmation of its own: done, then back to the user page with `flash`.
pub fn user_action_route(action: UserAction, flash: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              admin: Admin,
              Path(user): Path<String>,
              CsrfForm(_): CsrfForm<NoFields>| async move {
            user_action(&state, &admin, &user, action, flash).await
        },
    )
}

/// `GET /admin/users/{user}/two-step/reset`: the confirmation.
pub async fn confirm_reset_two_step(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
) -> Result<Response, WebError> {
    let may = |view: &UserView| view.may_manage && view.two_step;
    confirmation(&state, &admin, &user, may, "user-reset-two-step", "two-step/reset").await
}

/// The user `raw` names, for a confirmation `admin` may answer as `may` tells
/// (403 otherwise).
async fn confirmable(
    state: &AppState,
    admin: &Admin,
    raw: &str,
    may: impl FnOnce(&UserView) -> bool,
) -> Result<UserView, WebError> {
    let (_, view) = view_of(state, admin, raw).await?;
    if !may(&view) {
        return Err(WebError::Forbidden(admin.visitor.locale));
    }
    Ok(view)
}

/// The confirmation `key` (its `-title`, `-question` and `-button` messages) of
/// the user page's `action`, for the user `raw` names when `admin` may act as
/// `may` tells.
async fn confirmation(
    state: &AppState,
    admin: &Admin,
    raw: &str,
    may: impl FnOnce(&UserView) -> bool,
    key: &str,
    action: &str,
) -> Result<Response, WebError> {
    let view = confirmable(state, admin, raw, may).await?;
    Ok(render(&confirm_page(
        admin,
        &view,
        key,
        action,
        &format!("{key}-button"),
    )))
}

/// The confirmation `key` about the user, posting to the user page's `action`
/// with the button `button` (a message id).
fn confirm_page(admin: &Admin, view: &UserView, key: &str, action: &str, button: &str) -> ConfirmPage {
    let user = &view.detail.user;
    let args = [("email", Arg::Text(user.email.as_str()))];
    let button = admin.visitor.t.get(button);
    ConfirmPage::about_user(&admin.visitor, key, &args, action, button, user.id)
}

fn lock_page(admin: &Admin, view: &UserView, reason: String, error: Option<FormError>) -> ConfirmPage {
    let mut page = confirm_page(admin, view, "user-lock", "lock", "user-lock");
    page.reason = Some(reason);
    page.error = error;
    page
}

/// `GET /admin/users/{user}/lock`: the confirmation, with the reason to give.
pub async fn confirm_lock(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
) -> Result<Response, WebError> {
    let view = confirmable(&state, &admin, &user, |view| view.may_lock_globally).await?;
    Ok(render(&lock_page(&admin, &view, String::new(), None)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LockForm {
    pub reason: String,
}

/// `POST /admin/users/{user}/lock`: locks everywhere (operators), or the
/// confirmation again (422) with the reason typed.
pub async fn lock_user(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
    CsrfForm(form): CsrfForm<LockForm>,
) -> Result<Response, WebError> {
    let (id, view) = view_of(&state, &admin, &user).await?;
    let outcome = state
        .services
        .lock_user(&admin.actor, id, &form.reason, Some(&admin.visitor.client))
        .await;
    confirmed(
        &admin.visitor,
        outcome,
        || done(&state, id, "flash-user-locked", view.detail.user.email.as_str()),
        |error| lock_page(&admin, &view, form.reason, Some(error)),
    )
}

/// `POST /admin/users/{user}/unlock` (operators).
pub async fn unlock_user(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    act(&state, &admin, &user, "flash-user-unlocked", async |id| {
        state
            .services
            .unlock_user(&admin.actor, id, Some(&admin.visitor.client))
            .await
    })
    .await
}

/// `GET /admin/users/{user}/delete`: the confirmation (operators).
pub async fn confirm_delete(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
) -> Result<Response, WebError> {
    confirmation(&state, &admin, &user, |view| view.may_delete, "user-delete", "delete").await
}

/// `POST /admin/users/{user}/delete` (operators): back to the Users list.
pub async fn delete_user(
    State(state): State<AppState>,
    admin: Admin,
    Path(user): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let (id, view) = view_of(&state, &admin, &user).await?;
    state
        .services
        .delete_user(&admin.actor, id, Some(&admin.visitor.client))
        .await
        .or_page(admin.visitor.locale)?;
    Ok(see_other_with_flash(
        &state,
        "/admin/users",
        &Flash::new("flash-user-deleted", &[view.detail.user.email.as_str()]),
    ))
}
