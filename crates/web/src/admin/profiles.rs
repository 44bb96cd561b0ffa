//! The BCE Config tab: the account's envelope profiles (security level, delivery
//! mode, default message options, envelope file name, notification subject, help
//! link, contact, recipients' language). The list with a New profile form, one
//! page per profile to edit it, and buttons to delete one or make it the default.
//! `{profile}` in a path is a profile's id, or `default` for the account's default.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::messages::DeliveryMode;
use sealpost_domain::model::Account;
use sealpost_domain::policy::AccountScope;
use sealpost_domain::profiles::{EnvelopeProfile, ProfileRequest, SecurityLevel};
use sealpost_domain::services::profiles::ProfileRef;
use sealpost_domain::types::Locale;
use sealpost_i18n::Arg;

use super::{AccountAdmin, admin_page, form_again};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::context::{Admin, CsrfForm, NoFields};
use crate::error::OrErrorPage as _;
use crate::error::Refuses as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountTab, Area, FormError, ModeChoice, Page, render_status};

/// One profile as the list shows it.
pub struct ProfileRow {
    /// Its id, or `default` for the built-in default.
    pub key: String,
    pub name: String,
    pub is_default: bool,
    pub security: String,
    pub delivery: String,
    pub language: &'static str,
}

/// The profile form's fields, filled with what was typed or stored.
pub struct ProfileFormView {
    pub values: ProfileRequest,
    pub security: Vec<ModeChoice>,
    pub delivery: Vec<ModeChoice>,
    pub languages: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "admin/profiles.html")]
pub struct ProfilesPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    pub profiles: Vec<ProfileRow>,
    /// The New profile form.
    pub form: ProfileFormView,
    pub error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "admin/profile.html")]
pub struct ProfilePage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    /// The profile's key in paths.
    pub key: String,
    pub form: ProfileFormView,
    pub error: Option<FormError>,
}

/// Reads the posted pairs: an unticked box is not sent at all.
fn request_from(pairs: Vec<(String, String)>) -> ProfileRequest {
    let mut request = ProfileRequest::default();
    for (name, value) in pairs {
        match name.as_str() {
            "name" => request.name = value,
            "security" => request.security = value,
            "remember_days" => request.remember_days = value,
            "delivery_mode" => request.delivery_mode = value,
            "allow_reply" => request.allow_reply = true,
            "allow_reply_all" => request.allow_reply_all = true,
            "allow_forward" => request.allow_forward = true,
            "read_receipt" => request.read_receipt = true,
            "expiry_days" => request.expiry_days = value,
            "file_name" => request.file_name = value,
            "subject" => request.subject = value,
            "help_url" => request.help_url = value,
            "contact" => request.contact = value,
            "recipient_locale" => request.recipient_locale = value,
            "subject_tag" => request.subject_tag = value,
            _ => {}
        }
    }
    request
}

fn key_of(profile: &EnvelopeProfile) -> String {
    profile.id.map_or_else(|| "default".to_owned(), |id| id.to_string())
}

fn mode_label(state: &AppState, admin: &Admin, mode: Option<DeliveryMode>) -> String {
    let t = &admin.visitor.t;
    let label = |mode: DeliveryMode| t.get(&format!("delivery-mode-{}", mode.as_str()));
    match mode {
        Some(mode) => label(mode),
        None => t.get_with(
            "profile-delivery-default",
            &[(
                "mode",
                Arg::Text(&label(state.services.messaging_config().delivery_mode)),
            )],
        ),
    }
}

fn form_view(state: &AppState, admin: &Admin, values: ProfileRequest) -> ProfileFormView {
    let t = &admin.visitor.t;
    let security = SecurityLevel::OFFERED
        .into_iter()
        .map(|level| ModeChoice {
            value: level.as_str(),
            label: t.get(&format!("security-level-{}", level.as_str())),
            hint: t.get(&format!("security-level-{}-hint", level.as_str())),
            checked: values.security == level.as_str(),
        })
        .collect();
    let mut delivery = vec![ModeChoice {
        value: "",
        label: mode_label(state, admin, None),
        hint: String::new(),
        checked: values.delivery_mode.is_empty(),
    }];
    delivery.extend(DeliveryMode::ALL.map(|mode| ModeChoice {
        value: mode.as_str(),
        label: mode_label(state, admin, Some(mode)),
        hint: t.get(&format!("delivery-mode-{}-hint", mode.as_str())),
        checked: values.delivery_mode == mode.as_str(),
    }));
    let languages = Locale::ALL
        .into_iter()
        .map(|l| (l.tag(), l.native_name(), values.recipient_locale == l.tag()))
        .collect();
    ProfileFormView {
        values,
        security,
        delivery,
        languages,
    }
}

async fn profiles_page(
    state: &AppState,
    admin: &Admin,
    scope: &AccountScope,
    form: Option<ProfileRequest>,
    error: Option<FormError>,
) -> Result<ProfilesPage, WebError> {
    let locale = admin.visitor.locale;
    let profiles = state.services.envelope_profiles(scope).await.or_page(locale)?;
    let t = &admin.visitor.t;
    let rows = profiles
        .iter()
        .map(|p| ProfileRow {
            key: key_of(p),
            name: p.name.clone(),
            is_default: p.is_default,
            security: t.get(&format!("security-level-{}", p.security.as_str())),
            delivery: mode_label(state, admin, p.delivery_mode),
            language: p.recipient_locale.native_name(),
        })
        .collect();
    // A new profile starts as a copy of the default, under no name.
    let form = form.unwrap_or_else(|| {
        let mut values = profiles
            .iter()
            .find(|p| p.is_default)
            .map(ProfileRequest::from_profile)
            .unwrap_or_default();
        values.name = String::new();
        values
    });
    Ok(ProfilesPage {
        page: admin_page(&admin.visitor, t.get("tab-profiles")),
        account: scope.account().clone(),
        tab: AccountTab::Profiles,
        profiles: rows,
        form: form_view(state, admin, form),
        error,
    })
}

async fn profile_page(
    state: &AppState,
    admin: &Admin,
    scope: &AccountScope,
    which: ProfileRef,
    form: Option<ProfileRequest>,
    error: Option<FormError>,
) -> Result<ProfilePage, WebError> {
    let profile = match state.services.envelope_profile(scope, which).await {
        Ok(profile) => profile,
        Err(DomainError::NotFound) => return Err(admin.visitor.not_found()),
        Err(error) => return Err(error).or_page(admin.visitor.locale),
    };
    let values = form.unwrap_or_else(|| ProfileRequest::from_profile(&profile));
    Ok(ProfilePage {
        page: admin_page(
            &admin.visitor,
            admin
                .visitor
                .t
                .get_with("profiles-edit-heading", &[("name", Arg::Text(&profile.name))]),
        ),
        account: scope.account().clone(),
        tab: AccountTab::Profiles,
        key: key_of(&profile),
        form: form_view(state, admin, values),
        error,
    })
}

fn which(admin: &Admin, raw: &str) -> Result<ProfileRef, WebError> {
    ProfileRef::parse(raw).ok_or_else(|| admin.visitor.not_found())
}

/// `GET /admin/accounts/{number}/profiles`: the BCE Config tab.
pub async fn list_profiles(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
) -> Result<Response, WebError> {
    let page = profiles_page(&state, &admin, &scope, None, None).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /admin/accounts/{number}/profiles`: creates a named profile, or shows
/// the form again (422) with what was typed and why it was refused.
pub async fn create_profile(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let request = request_from(pairs);
    match state.services.create_envelope_profile(&scope, &request).await {
        Ok(profile) => Ok(back_to_list(&state, &number, "flash-profile-created", &profile.name)),
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                profiles_page(&state, &admin, &scope, Some(request), Some(error)).await
            })
            .await
        }
    }
}

/// `GET /admin/accounts/{number}/profiles/{profile}`: one profile's form.
pub async fn show_profile(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
    Path((_, profile)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let which = which(&admin, &profile)?;
    let page = profile_page(&state, &admin, &scope, which, None, None).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /admin/accounts/{number}/profiles/{profile}`: saves a profile.
pub async fn save_profile(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, profile)): Path<(String, String)>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let which = which(&admin, &profile)?;
    let request = request_from(pairs);
    match state.services.save_envelope_profile(&scope, which, &request).await {
        Ok(saved) => Ok(back_to_list(&state, &number, "flash-profile-saved", &saved.name)),
        Err(DomainError::NotFound) => Err(admin.visitor.not_found()),
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                profile_page(&state, &admin, &scope, which, Some(request), Some(error)).await
            })
            .await
        }
    }
}

/// Back to the profile list, with `flash` naming the profile.
fn back_to_list(state: &AppState, number: &str, flash: &'static str, name: &str) -> Response {
    see_other_with_flash(
        state,
        &format!("/admin/accounts/{number}/profiles"),
        &Flash::new(flash, &[name]),
    )
}

/// The profile the path names and its name (for the confirmation), or 404.
async fn named_profile(
    state: &AppState,
    admin: &Admin,
    scope: &AccountScope,
    profile: &str,
) -> Result<(ProfileRef, String), WebError> {
    let which = which(admin, profile)?;
    match state.services.envelope_profile(scope, which).await {
        Ok(found) => Ok((which, found.name)),
        Err(DomainError::NotFound) => Err(admin.visitor.not_found()),
        Err(error) => Err(error).or_page(admin.visitor.locale),
    }
}

/// `POST /admin/accounts/{number}/profiles/{profile}/delete`: the default stays
/// (the tab again, 422, saying why).
pub async fn delete_profile(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, profile)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let (which, name) = named_profile(&state, &admin, &scope, &profile).await?;
    match state.services.delete_envelope_profile(&scope, which).await {
        Ok(()) => Ok(back_to_list(&state, &number, "flash-profile-deleted", &name)),
        Err(DomainError::NotFound) => Err(admin.visitor.not_found()),
        Err(error) => {
            form_again(&admin.visitor, error, async |error| {
                profiles_page(&state, &admin, &scope, None, Some(error)).await
            })
            .await
        }
    }
}

/// `POST /admin/accounts/{number}/profiles/{profile}/default`.
pub async fn make_default(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    Path((_, profile)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    let (which, name) = named_profile(&state, &admin, &scope, &profile).await?;
    match state.services.make_default_envelope_profile(&scope, which).await {
        Ok(()) => Ok(back_to_list(&state, &number, "flash-profile-default", &name)),
        Err(DomainError::NotFound) => Err(admin.visitor.not_found()),
        Err(error) => Err(error).or_page(admin.visitor.locale),
    }
}
