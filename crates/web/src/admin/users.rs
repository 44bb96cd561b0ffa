//! The Users page and "Add User".

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::model::{UserStatus, UserStatusFilter};
use sealpost_domain::services::users::{CreateUserRequest, USERS_COUNTED_UP_TO};
use serde::Deserialize;

use super::{admin_page, form_error, match_count};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{FormError, NewUserPage, UsersPage, render, render_status};

#[derive(Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    q: String,
    /// `pending`, `active`, `locked`; anything else: any status.
    #[serde(default)]
    status: String,
    after: Option<String>,
}

/// `GET /admin/users`: the users the visitor may see, searchable by a prefix of
/// the address or a name, filtered by status, a page at a time with the total.
pub async fn list_users(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<UsersQuery>,
) -> Result<Response, WebError> {
    let status = match query.status.as_str() {
        "pending" => UserStatusFilter::Only(UserStatus::Pending),
        "active" => UserStatusFilter::Only(UserStatus::Active),
        "locked" => UserStatusFilter::Only(UserStatus::Locked),
        _ => UserStatusFilter::Any,
    };
    let page = state
        .services
        .list_users(&admin.actor, Some(&query.q), status, query.after.as_deref())
        .await
        .or_page(admin.visitor.locale)?;
    let status = match status {
        UserStatusFilter::Any => String::new(),
        UserStatusFilter::Only(s) => s.as_str().to_owned(),
    };
    Ok(render(&UsersPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("users-title")),
        users: page.users,
        query: query.q,
        status,
        total: match_count(
            &admin.visitor.t,
            page.total,
            USERS_COUNTED_UP_TO,
            "users-total",
            "users-total-more",
        ),
        next_after: page.next_after,
    }))
}

fn new_user_page(admin: &Admin, form: &CreateUserForm, error: Option<FormError>) -> NewUserPage {
    NewUserPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("users-add")),
        username: form.username.clone(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        force_password_change: form.force_password_change.is_some(),
        error,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewUserQuery {
    /// The address to prefill (the group form's "Add User …" link after
    /// "Cannot add a non-existent user.").
    username: String,
}

/// `GET /admin/users/new`: the Add User form.
pub async fn new_user(admin: Admin, Query(query): Query<NewUserQuery>) -> Response {
    let form = CreateUserForm {
        username: query.username,
        ..CreateUserForm::default()
    };
    render(&new_user_page(&admin, &form, None))
}

#[derive(Deserialize, Default)]
pub struct CreateUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
    force_password_change: Option<String>,
}

/// `POST /admin/users`: "Save".
pub async fn create_user(
    State(state): State<AppState>,
    admin: Admin,
    CsrfForm(form): CsrfForm<CreateUserForm>,
) -> Result<Response, WebError> {
    let request = CreateUserRequest {
        username: form.username.clone(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        password: form.password.clone(),
        confirm_password: form.confirm_password.clone(),
        force_password_change: form.force_password_change.is_some(),
        mailbox_vouched: false,
    };
    match state
        .services
        .create_user(Some(&admin.actor), &request, Some(&admin.visitor.client))
        .await
    {
        Ok(user) => {
            let flash = Flash::new("flash-user-added", &[user.email.as_str()]);
            let to = format!("/admin/users?q={}", crate::url_encode(user.email.as_str()));
            Ok(see_other_with_flash(&state, &to, &flash))
        }
        Err(error) => {
            let error = form_error(&admin.visitor, error)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_user_page(&admin, &form, Some(error)),
            ))
        }
    }
}
