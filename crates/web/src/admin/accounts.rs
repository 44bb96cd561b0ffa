//! Accounts list (the seed's "Accounts"), the Details tab, and creating accounts (operators).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::messages::DeliveryMode;
use sealpost_domain::services::accounts::SendingAddressChange;
use sealpost_domain::services::profiles::ProfileRef;
use sealpost_i18n::Arg;
use serde::Deserialize;

use super::{AccountAdmin, admin_page, form_error, scope};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountDetailsPage, AccountTab, AccountsPage, FormError, render, render_status};

async fn accounts_page(
    state: &AppState,
    admin: &Admin,
    name: String,
    email: String,
    error: Option<FormError>,
) -> Result<AccountsPage, WebError> {
    let accounts = state
        .services
        .administered_accounts(&admin.actor)
        .await
        .or_page(admin.visitor.locale)?;
    Ok(AccountsPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("accounts-title")),
        accounts,
        may_create: admin.actor.is_operator(),
        name,
        admin: email,
        error,
    })
}

/// `GET /admin/accounts`: the accounts the visitor administers.
pub async fn list_accounts(State(state): State<AppState>, admin: Admin) -> Result<Response, WebError> {
    Ok(render(
        &accounts_page(&state, &admin, String::new(), String::new(), None).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateAccountForm {
    name: String,
    admin: String,
}

/// `POST /admin/accounts`: operators create an account.
pub async fn create_account(
    State(state): State<AppState>,
    admin: Admin,
    CsrfForm(form): CsrfForm<CreateAccountForm>,
) -> Result<Response, WebError> {
    let visitor = &admin.visitor;
    let admin_email = Some(form.admin.as_str());
    match state
        .services
        .create_account(
            Some(&admin.actor),
            &form.name,
            visitor.locale,
            admin_email,
            Some(&visitor.client),
        )
        .await
    {
        Ok(account) => {
            let number = account.number.to_string();
            let flash = Flash::new("flash-account-created", &[&number, &account.name]);
            Ok(see_other_with_flash(
                &state,
                &format!("/admin/accounts/{number}"),
                &flash,
            ))
        }
        Err(error) => {
            let error = form_error(visitor, error)?;
            let page = accounts_page(&state, &admin, form.name, form.admin, Some(error)).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// What the Details tab's form shows after a refusal: what was typed, and why.
#[derive(Default)]
struct Refused {
    sending_address: Option<String>,
    error: Option<FormError>,
}

async fn details_page(
    state: &AppState,
    admin: &Admin,
    number: &str,
    refused: Refused,
) -> Result<AccountDetailsPage, WebError> {
    let scope = scope(state, admin, number).await?;
    let administrators = state
        .services
        .account_administrators(&scope)
        .await
        .or_page(admin.visitor.locale)?;
    let sending_address = refused.sending_address.unwrap_or_else(|| {
        let account = scope.account();
        account
            .pending_sending_address
            .as_ref()
            .or(account.sending_address.as_ref())
            .map(ToString::to_string)
            .unwrap_or_default()
    });
    // The delivery mode is the default envelope profile's (BCE Config), shown here read-only.
    let default_profile = state
        .services
        .envelope_profile(&scope, ProfileRef::Default)
        .await
        .or_page(admin.visitor.locale)?;
    let config = state.services.messaging_config();
    let default_sender = config.from_address.clone();
    let t = &admin.visitor.t;
    let label = |mode: DeliveryMode| t.get(&format!("delivery-mode-{}", mode.as_str()));
    let mode_in_effect = default_profile.delivery_mode.map_or_else(
        || {
            t.get_with(
                "details-delivery-mode-default",
                &[("mode", Arg::Text(&label(config.delivery_mode)))],
            )
        },
        label,
    );
    Ok(AccountDetailsPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("tab-details")),
        account: scope.into_account(),
        tab: AccountTab::Details,
        administrators,
        sending_address,
        default_sender,
        mode_in_effect,
        error: refused.error,
    })
}

/// `GET /admin/accounts/{number}`: the Details tab.
pub async fn show_account(
    State(state): State<AppState>,
    admin: Admin,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    Ok(render(
        &details_page(&state, &admin, &number, Refused::default()).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SendingAddressForm {
    sending_address: String,
}

/// `POST /admin/accounts/{number}/sending-address`.
pub async fn set_sending_address(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(form): CsrfForm<SendingAddressForm>,
) -> Result<Response, WebError> {
    let result = state.services.set_sending_address(&scope, &form.sending_address).await;
    details_form_done(
        &state,
        &admin,
        &number,
        result.map(|change| match change {
            SendingAddressChange::ConfirmationSent(address) => {
                Flash::new("flash-sending-address-confirm", &[address.as_str()])
            }
            SendingAddressChange::Cleared | SendingAddressChange::Unchanged => {
                Flash::new("flash-sending-address-set", &[])
            }
        }),
        |error| Refused {
            error: Some(error),
            sending_address: Some(form.sending_address),
        },
    )
    .await
}

/// Ends a Details-tab form: back to the tab with the flash when it was saved, or
/// the tab again (422) with the refusal and what was typed.
async fn details_form_done(
    state: &AppState,
    admin: &Admin,
    number: &str,
    result: Result<Flash, DomainError>,
    refused: impl FnOnce(FormError) -> Refused,
) -> Result<Response, WebError> {
    match result {
        Ok(flash) => Ok(see_other_with_flash(
            state,
            &format!("/admin/accounts/{number}"),
            &flash,
        )),
        Err(error) => {
            let refused = refused(form_error(&admin.visitor, error)?);
            let page = details_page(state, admin, number, refused).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
