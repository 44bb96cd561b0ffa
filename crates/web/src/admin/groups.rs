//! The Groups tab and a group's members: the seed procedure's steps 3 to 6.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use sealpost_domain::policy::AccountScope;
use sealpost_domain::types::GroupId;
use serde::Deserialize;

use super::{AccountAdmin, admin_page, form_again, parse_group, parse_user};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm, NoFields};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountTab, FormError, GroupsPage, MembersPage, group_shown, render};

async fn groups_page(
    state: &AppState,
    admin: &Admin,
    scope: AccountScope,
    group_name: String,
    error: Option<FormError>,
) -> Result<GroupsPage, WebError> {
    let groups = state.services.groups(&scope).await.or_page(admin.visitor.locale)?;
    let count = i64::try_from(groups.len()).unwrap_or(i64::MAX);
    Ok(GroupsPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("tab-groups")),
        account: scope.into_account(),
        tab: AccountTab::Groups,
        groups,
        count,
        group_name,
        error,
    })
}

/// `GET /admin/accounts/{number}/groups`.
pub async fn list_groups(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
) -> Result<Response, WebError> {
    Ok(render(&groups_page(&state, &admin, scope, String::new(), None).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateGroupForm {
    group_name: String,
}

/// `POST /admin/accounts/{number}/groups`: "Add Group".
pub async fn create_group(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(form): CsrfForm<CreateGroupForm>,
) -> Result<Response, WebError> {
    match state.services.create_group(&scope, &form.group_name).await {
        Ok(group) => Ok(back_to_groups(&state, &number, "flash-group-added", &group.name)),
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                groups_page(&state, &admin, scope, form.group_name, Some(error)).await
            })
            .await
        }
    }
}

/// Back to the Groups tab, with `flash` naming the group.
fn back_to_groups(state: &AppState, number: &str, flash: &'static str, name: &str) -> Response {
    see_other_with_flash(
        state,
        &format!("/admin/accounts/{number}/groups"),
        &Flash::new(flash, &[name]),
    )
}

/// `POST /admin/accounts/{number}/groups/{group}/delete`.
pub async fn delete_group(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, group)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let group = parse_group(&admin.visitor, &group)?;
    match state.services.delete_group(&scope, group).await {
        Ok(deleted) => Ok(back_to_groups(&state, &number, "flash-group-deleted", &deleted.name)),
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                groups_page(&state, &admin, scope, String::new(), Some(error)).await
            })
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct MembersQuery {
    after: Option<String>,
}

async fn members_page(
    state: &AppState,
    admin: &Admin,
    scope: AccountScope,
    group: GroupId,
    after: Option<&str>,
    user_id: String,
    error: Option<FormError>,
) -> Result<MembersPage, WebError> {
    let (group, members) = state
        .services
        .members(&scope, group, after)
        .await
        .or_page(admin.visitor.locale)?;
    let full_page =
        members.len() == usize::try_from(sealpost_domain::services::groups::MEMBERS_PER_PAGE).unwrap_or(usize::MAX);
    let next_after = if full_page {
        members.last().map(|m| m.user.email.to_string())
    } else {
        None
    };
    let label = group_shown(&admin.visitor.t, &group);
    Ok(MembersPage {
        page: admin_page(&admin.visitor, label.clone()),
        account: scope.into_account(),
        tab: AccountTab::Groups,
        group,
        group_label: label,
        members,
        next_after,
        user_id,
        error,
    })
}

/// `GET /admin/accounts/{number}/groups/{group}`: members and "Add to Group".
pub async fn show_group(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
    Path((_, group)): Path<(String, String)>,
    Query(query): Query<MembersQuery>,
) -> Result<Response, WebError> {
    let group = parse_group(&admin.visitor, &group)?;
    Ok(render(
        &members_page(
            &state,
            &admin,
            scope,
            group,
            query.after.as_deref(),
            String::new(),
            None,
        )
        .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddMemberForm {
    user_id: String,
}

/// `POST /admin/accounts/{number}/groups/{group}/members`: "Add to Group".
pub async fn add_member(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, group)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<AddMemberForm>,
) -> Result<Response, WebError> {
    let group = parse_group(&admin.visitor, &group)?;
    match state.services.add_member(&scope, group, &form.user_id).await {
        Ok((group, user)) => {
            let flash = Flash::new("flash-member-added", &[user.email.as_str(), &group.name]);
            Ok(see_other_with_flash(
                &state,
                &format!("/admin/accounts/{number}/groups/{}", group.id),
                &flash,
            ))
        }
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                members_page(&state, &admin, scope, group, None, form.user_id, Some(error)).await
            })
            .await
        }
    }
}

/// `POST /admin/accounts/{number}/groups/{group}/members/{user}/remove`.
pub async fn remove_member(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, group, user)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let group = parse_group(&admin.visitor, &group)?;
    let user = parse_user(&admin.visitor, &user)?;
    match state.services.remove_member(&scope, group, user).await {
        Ok((group, removed)) => {
            let flash = Flash::new("flash-member-removed", &[removed.email.as_str(), &group.name]);
            // Administrators who removed themselves can no longer see the group.
            let to = if removed.id == admin.actor.id() && group.builtin && !admin.actor.is_operator() {
                "/admin/accounts".to_owned()
            } else {
                format!("/admin/accounts/{number}/groups/{}", group.id)
            };
            Ok(see_other_with_flash(&state, &to, &flash))
        }
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                members_page(&state, &admin, scope, group, None, String::new(), Some(error)).await
            })
            .await
        }
    }
}
