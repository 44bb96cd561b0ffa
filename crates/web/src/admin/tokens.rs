//! The Tokens tab: the account's tokens for machines (the SMTP gateway, later the
//! API). A new token's secret is shown on the answer to its creation only, on a
//! page that is never cached; the list shows its public prefix.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::account_tokens::{AccountToken, TokenScope};
use sealpost_domain::model::Account;
use sealpost_domain::policy::AccountScope;
use sealpost_domain::services::account_tokens::NewTokenRequest;
use sealpost_domain::types::Timestamp;

use super::{AccountAdmin, admin_page, form_again};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm, NoFields};
use crate::error::OrErrorPage as _;
use crate::error::Refuses as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountTab, Area, FormError, Page, render_status};

/// One token as the list shows it.
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub creator: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub status: String,
    pub live: bool,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub tokens: Vec<TokenRow>,
    /// The form as typed (after a refusal) or empty.
    pub form: TokenForm,
    pub error: Option<FormError>,
    /// The secret of the token just created, shown this once.
    pub secret: Option<String>,
}

impl TokensPage {
    /// Whether the scope box `scope` is ticked.
    pub fn ticked(&self, scope: &str) -> bool {
        self.form.scopes.iter().any(|s| s == scope)
    }

    /// The scopes the form offers: (value, label).
    pub fn scope_choices(&self) -> Vec<(&'static str, String)> {
        TokenScope::ALL
            .into_iter()
            .map(|s| (s.as_str(), self.page.t(&format!("token-scope-{}", s.as_str()))))
            .collect()
    }
}

/// The New token form as typed.
#[derive(Default)]
pub struct TokenForm {
    pub name: String,
    /// One `scopes` box per scope: the form repeats the name.
    pub scopes: Vec<String>,
    pub expires_on: String,
    pub networks: String,
    /// The "relay untagged mail unchanged" box.
    pub relay_untagged: bool,
}

impl TokenForm {
    /// Reads the posted pairs (a repeated name is a list, which a struct cannot take).
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "name" => form.name = value,
                "scopes" => form.scopes.push(value),
                "expires_on" => form.expires_on = value,
                "networks" => form.networks = value,
                "relay_untagged" => form.relay_untagged = true,
                _ => {}
            }
        }
        form
    }
}

fn row(admin: &Admin, token: &AccountToken, now: Timestamp) -> TokenRow {
    let t = &admin.visitor.t;
    let when = |at: Option<Timestamp>| at.map(|at| admin.visitor.dates.date_time(at));
    let status = token.status(now);
    TokenRow {
        id: token.id,
        name: token.name.clone(),
        prefix: token.prefix(),
        scopes: token
            .scopes
            .iter()
            .map(|s| t.get(&format!("token-scope-{}", s.as_str())))
            .chain(token.relay_untagged.then(|| t.get("token-relays-untagged")))
            .collect::<Vec<_>>()
            .join(", "),
        creator: token
            .created_by_email
            .as_ref()
            .map_or_else(|| t.get("token-creator-console"), ToString::to_string),
        created: admin.visitor.dates.date_time(token.created_at),
        last_used: match (when(token.last_used_at), &token.last_used_from) {
            (Some(at), Some(from)) => format!("{at} ({from})"),
            (Some(at), None) => at,
            _ => t.get("token-never-used"),
        },
        expires: when(token.expires_at).unwrap_or_else(|| t.get("token-no-expiry")),
        status: t.get(&format!("token-status-{}", status.as_str())),
        live: token.revoked_at.is_none(),
    }
}

async fn tokens_page(
    state: &AppState,
    admin: &Admin,
    scope: &AccountScope,
    form: TokenForm,
    error: Option<FormError>,
    secret: Option<String>,
) -> Result<TokensPage, WebError> {
    let tokens = state
        .services
        .account_tokens(scope)
        .await
        .or_page(admin.visitor.locale)?;
    let now = state.services.clock.now();
    Ok(TokensPage {
        page: admin_page(&admin.visitor, admin.visitor.t.get("tab-tokens")),
        account: scope.account().clone(),
        tab: AccountTab::Tokens,
        tokens: tokens.iter().map(|t| row(admin, t, now)).collect(),
        form,
        error,
        secret,
    })
}

/// `GET /admin/accounts/{number}/tokens`.
pub async fn list_tokens(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
) -> Result<Response, WebError> {
    let page = tokens_page(&state, &admin, &scope, TokenForm::default(), None, None).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /admin/accounts/{number}/tokens`: creates a token and answers with its
/// secret, once (200, `no-store`), or the form again (422) with what was typed.
pub async fn create_token(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = TokenForm::from_pairs(pairs);
    let request = NewTokenRequest {
        name: form.name.clone(),
        scopes: form.scopes.clone(),
        expires_on: form.expires_on.clone(),
        networks: form.networks.clone(),
        relay_untagged: form.relay_untagged,
    };
    match state.services.create_account_token(&scope, &request).await {
        Ok(issued) => {
            let page = tokens_page(&state, &admin, &scope, TokenForm::default(), None, Some(issued.secret)).await?;
            let mut response = render_status(StatusCode::OK, &page);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                tokens_page(&state, &admin, &scope, form, Some(error), None).await
            })
            .await
        }
    }
}

/// `POST /admin/accounts/{number}/tokens/{token}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, token)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let id: i64 = token.parse().map_err(|_| admin.visitor.not_found())?;
    match state.services.revoke_account_token(&scope, id).await {
        Ok(()) => Ok(see_other_with_flash(
            &state,
            &format!("/admin/accounts/{number}/tokens"),
            &Flash::new("flash-token-revoked", &[]),
        )),
        Err(DomainError::NotFound) => Err(admin.visitor.not_found()),
        Err(error) => Err(error).or_page(admin.visitor.locale),
    }
}
