//! Suspending, resuming and deleting an account (operators only): the buttons sit
//! on the Details tab, deleting asks first on a page of its own where the account's
//! number must be typed. An account administrator who posts here gets 403 and
//! nothing changes (the domain refuses, not only the page).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::model::Account;
use serde::Deserialize;

use super::{AccountAdmin, admin_page, form_error};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm, NoFields};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountTab, Area, FormError, Page, render, render_status};

#[derive(Template)]
#[template(path = "admin/delete_account.html")]
pub struct DeleteAccountPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    /// The confirmation field as typed (after a refusal).
    pub typed: String,
    pub error: Option<FormError>,
}

fn delete_page(admin: &Admin, account: Account, typed: String, error: Option<FormError>) -> DeleteAccountPage {
    DeleteAccountPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("delete-account-title")),
        account,
        tab: AccountTab::Details,
        typed,
        error,
    }
}

/// `POST /admin/accounts/{number}/suspend`.
pub async fn suspend_account(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    set_suspended(&state, account_admin, true).await
}

/// `POST /admin/accounts/{number}/resume`.
pub async fn resume_account(
    State(state): State<AppState>,
    account_admin: AccountAdmin,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    set_suspended(&state, account_admin, false).await
}

async fn set_suspended(
    state: &AppState,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    suspended: bool,
) -> Result<Response, WebError> {
    state
        .services
        .set_account_suspended(&scope, suspended)
        .await
        .or_page(admin.visitor.locale)?;
    let key = if suspended {
        "flash-account-suspended"
    } else {
        "flash-account-resumed"
    };
    Ok(see_other_with_flash(
        state,
        &format!("/admin/accounts/{number}"),
        &Flash::new(key, &[&number]),
    ))
}

/// `GET /admin/accounts/{number}/delete`: what deleting does, and the number to type.
pub async fn confirm_delete(AccountAdmin { admin, scope, .. }: AccountAdmin) -> Result<Response, WebError> {
    if !admin.actor.is_operator() {
        return Err(WebError::Forbidden(admin.visitor.locale));
    }
    Ok(render(&delete_page(&admin, scope.into_account(), String::new(), None)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteAccountForm {
    confirm_number: String,
}

/// `POST /admin/accounts/{number}/delete`: deletes once the number typed is the
/// account's; otherwise the page again (422) with what was typed.
pub async fn delete_account(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(form): CsrfForm<DeleteAccountForm>,
) -> Result<Response, WebError> {
    match state.services.delete_account(&scope, &form.confirm_number).await {
        Ok(_) => Ok(see_other_with_flash(
            &state,
            "/admin/accounts",
            &Flash::new("flash-account-deleted", &[&number]),
        )),
        Err(error) => {
            let error = form_error(&admin.visitor, error)?;
            let page = delete_page(&admin, scope.into_account(), form.confirm_number, Some(error));
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
