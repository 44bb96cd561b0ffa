//! Accounts list (the seed's "Accounts"), the Details tab (with renaming), and creating
//! accounts (operators). Suspending and deleting: `lifecycle`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::messages::DeliveryMode;
use sealpost_domain::ports::{AccountQuery, AccountSort};
use sealpost_domain::services::accounts::SendingAddressChange;
use sealpost_domain::services::profiles::ProfileRef;
use sealpost_i18n::Arg;
use serde::Deserialize;

use super::{AccountAdmin, admin_page, form_again, scope};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountDetailsPage, AccountTab, AccountsPage, FormError, render};

/// Accounts shown on one page of the list.
const ACCOUNTS_PER_PAGE: u32 = 50;

/// The Accounts list's query string: `?q=…&sort=name|number&page=N` (1-based).
/// Anything unreadable falls back to the first page by name, unfiltered.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    sort: String,
    page: String,
}

async fn accounts_page(
    state: &AppState,
    admin: &Admin,
    list: ListQuery,
    name: String,
    email: String,
    error: Option<FormError>,
) -> Result<AccountsPage, WebError> {
    let search: String = list.q.trim().chars().filter(|c| !c.is_control()).take(120).collect();
    let sort = if list.sort == "number" {
        AccountSort::Number
    } else {
        AccountSort::Name
    };
    let page_number = list.page.trim().parse::<u32>().unwrap_or(1).clamp(1, 1_000_000);
    let query = AccountQuery {
        search: search.clone(),
        sort,
        offset: (page_number - 1).saturating_mul(ACCOUNTS_PER_PAGE),
        limit: ACCOUNTS_PER_PAGE,
        administered_by: None,
    };
    let found = state
        .services
        .accounts_page(&admin.actor, query)
        .await
        .or_page(admin.visitor.locale)?;
    let pages = u32::try_from(found.total.div_ceil(u64::from(ACCOUNTS_PER_PAGE))).unwrap_or(u32::MAX);
    let sort_name = match sort {
        AccountSort::Name => "name",
        AccountSort::Number => "number",
    };
    let link = |page: u32, sort: &str| {
        let mut link = format!("/admin/accounts?sort={sort}&page={page}");
        if let Ok(q) = serde_urlencoded::to_string([("q", search.as_str())])
            && !search.is_empty()
        {
            link.push('&');
            link.push_str(&q);
        }
        link
    };
    let first_row = if found.accounts.is_empty() {
        0
    } else {
        u64::from((page_number - 1) * ACCOUNTS_PER_PAGE) + 1
    };
    let last_row = first_row + found.accounts.len() as u64 - u64::from(!found.accounts.is_empty());
    let t = &admin.visitor.t;
    let showing = t.get_with(
        "accounts-showing",
        &[
            ("first", Arg::Number(i64::try_from(first_row).unwrap_or(0))),
            ("last", Arg::Number(i64::try_from(last_row).unwrap_or(0))),
            ("total", Arg::Number(i64::try_from(found.total).unwrap_or(i64::MAX))),
        ],
    );
    Ok(AccountsPage {
        page: admin_page(&admin.visitor, t.get("accounts-title")),
        accounts: found.accounts,
        may_create: admin.actor.is_operator(),
        name,
        admin: email,
        error,
        search: search.clone(),
        sort: sort_name,
        showing,
        by_name: link(1, "name"),
        by_number: link(1, "number"),
        previous: (page_number > 1).then(|| link(page_number - 1, sort_name)),
        next: (page_number < pages).then(|| link(page_number + 1, sort_name)),
    })
}

/// `GET /admin/accounts`: the accounts the visitor administers (all of them for
/// operators), searched, sorted and a page at a time.
pub async fn list_accounts(
    State(state): State<AppState>,
    admin: Admin,
    Query(list): Query<ListQuery>,
) -> Result<Response, WebError> {
    Ok(render(
        &accounts_page(&state, &admin, list, String::new(), String::new(), None).await?,
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
            form_again(visitor, error, async |error| {
                accounts_page(&state, &admin, ListQuery::default(), form.name, form.admin, Some(error)).await
            })
            .await
        }
    }
}

/// What the Details tab's form shows after a refusal: what was typed, and why.
#[derive(Default)]
struct Refused {
    name: Option<String>,
    sender_domains: Option<String>,
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
    let name = refused.name.unwrap_or_else(|| scope.account().name.clone());
    let sender_domains = match refused.sender_domains {
        Some(typed) => typed,
        None => state
            .services
            .account_settings(&scope)
            .await
            .or_page(admin.visitor.locale)?
            .sender_domains
            .map(|d| d.to_lines())
            .unwrap_or_default(),
    };
    Ok(AccountDetailsPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("tab-details")),
        name,
        sender_domains,
        may_manage: admin.actor.is_operator(),
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
pub struct RenameAccountForm {
    name: String,
}

/// `POST /admin/accounts/{number}/name`: the account's administrators (and
/// operators) rename it.
pub async fn rename_account(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(form): CsrfForm<RenameAccountForm>,
) -> Result<Response, WebError> {
    let result = state.services.rename_account(&scope, &form.name).await;
    details_form_done(
        &state,
        &admin,
        &number,
        result.map(|account| Flash::new("flash-account-renamed", &[&account.name])),
        |error| Refused {
            error: Some(error),
            name: Some(form.name),
            ..Refused::default()
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SenderDomainsForm {
    sender_domains: String,
}

/// `POST /admin/accounts/{number}/sender-domains`: the domains the account's
/// senders may use through the gateway.
pub async fn set_sender_domains(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(form): CsrfForm<SenderDomainsForm>,
) -> Result<Response, WebError> {
    let result = state.services.set_sender_domains(&scope, &form.sender_domains).await;
    details_form_done(
        &state,
        &admin,
        &number,
        result.map(|_| Flash::new("flash-sender-domains-set", &[])),
        |error| Refused {
            error: Some(error),
            sender_domains: Some(form.sender_domains),
            ..Refused::default()
        },
    )
    .await
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
            ..Refused::default()
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
            form_again(&admin.visitor, error, async |error| {
                details_page(state, admin, number, refused(error)).await
            })
            .await
        }
    }
}
