//! Confirmation steps of the destructive group actions: deleting a group and
//! removing a member each first show a page of their own (a GET with labelled
//! buttons, no script) whose button posts to the action's existing route.

use axum::extract::{Path, State};
use axum::response::Response;
use sealpost_i18n::Arg;

use super::user_page::ConfirmPage;
use super::{AccountAdmin, parse_group, parse_user};
use crate::AppState;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{group_label, render};

/// `GET /admin/accounts/{number}/groups/{group}/delete`.
pub async fn confirm_delete_group(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, group)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = parse_group(&admin.visitor, &group)?;
    let group = state.services.group(&scope, id).await.or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    let name = if group.builtin {
        group_label(t, &group.name)
    } else {
        group.name.clone()
    };
    let args = [("group", Arg::Text(&name))];
    let path = format!("/admin/accounts/{number}/groups/{}", group.id);
    let mut page = ConfirmPage::new(
        &admin.visitor,
        t.get_with("group-delete-title", &args),
        t.get_with("group-delete-question", &args),
        format!("{path}/delete"),
        t.get_with("groups-action-delete", &args),
    );
    page.cancel = format!("/admin/accounts/{number}/groups");
    Ok(render(&page))
}

/// `GET /admin/accounts/{number}/groups/{group}/members/{user}/remove`.
pub async fn confirm_remove_member(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, group, user)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let group = parse_group(&admin.visitor, &group)?;
    let user = parse_user(&admin.visitor, &user)?;
    let (group, member) = state
        .services
        .group_member(&scope, group, user)
        .await
        .or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    let name = if group.builtin {
        group_label(t, &group.name)
    } else {
        group.name.clone()
    };
    let args = [("email", Arg::Text(member.email.as_str())), ("group", Arg::Text(&name))];
    let path = format!("/admin/accounts/{number}/groups/{}", group.id);
    let mut page = ConfirmPage::new(
        &admin.visitor,
        t.get_with("member-remove-title", &args),
        t.get_with("member-remove-question", &args),
        format!("{path}/members/{}/remove", member.id),
        t.get_with("members-remove", &args[..1]),
    );
    page.cancel = path;
    Ok(render(&page))
}
