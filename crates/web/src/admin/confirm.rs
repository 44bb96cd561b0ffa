//! The administration's confirmation steps ([`ConfirmPage`]): the group actions'
//! pages are built here; the user pages build theirs with
//! [`ConfirmPage::about_user`], the Messages tab its lock with
//! [`ConfirmPage::asking_reason`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::types::UserId;
use sealpost_i18n::Arg;

use super::{AccountAdmin, admin_page, form_error, parse_group, parse_user};
use crate::AppState;
use crate::confirm::ConfirmPage;
use crate::context::Visitor;
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{FormError, group_shown, render, render_status};

/// The administration's confirmation steps, on its frame.
impl ConfirmPage {
    /// A confirmation of `action` (a path) titled `title`, asking `question`.
    pub fn new(visitor: &Visitor, title: String, question: String, action: String, button: String) -> Self {
        Self::on(admin_page(visitor, title), question, action, button)
    }

    /// A confirmation about `user`, titled and asked by the catalogue's
    /// `{key}-title` and `{key}-question` with `args`; `action` is a path, or a
    /// word after the user page's path; cancelling goes back to the user page.
    pub fn about_user(
        visitor: &Visitor,
        key: &str,
        args: &[(&'static str, Arg<'_>)],
        action: &str,
        button: String,
        user: UserId,
    ) -> Self {
        let user_page = format!("/admin/users/{}", user.0);
        let action = match action.starts_with('/') {
            true => action.to_owned(),
            false => format!("{user_page}/{action}"),
        };
        let (title, question) = (format!("{key}-title"), format!("{key}-question"));
        let mut page = Self::new(
            visitor,
            visitor.t.get_with(&title, args),
            visitor.t.get_with(&question, args),
            action,
            button,
        );
        page.cancel = user_page;
        page
    }
}

/// The answer to a confirmation's form: `done()` when `outcome` is done, the
/// confirmation `again` (422, what was typed kept) when the input was refused.
pub(super) fn confirmed(
    visitor: &Visitor,
    outcome: Result<(), DomainError>,
    done: impl FnOnce() -> Response,
    again: impl FnOnce(FormError) -> ConfirmPage,
) -> Result<Response, WebError> {
    match outcome {
        Ok(()) => Ok(done()),
        Err(error @ DomainError::Invalid { .. }) => {
            let error = form_error(visitor, error)?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &again(error)))
        }
        Err(error) => Err(WebError::from_domain(visitor.locale, error)),
    }
}

/// `GET /admin/accounts/{number}/groups/{group}/delete`.
pub async fn confirm_delete_group(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, group)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = parse_group(&admin.visitor, &group)?;
    let group = state.services.group(&scope, id).await.or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    let name = group_shown(t, &group);
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
    let name = group_shown(t, &group);
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
