//! The Images tab: the account's display name, brand colour and logo, which
//! recipients see on the envelope, in the notification and on the pages they
//! reach from it (see `sealpost_domain::branding` for the rules and where each is
//! kept).
//!
//! One multipart form, read in order with the CSRF token first (no byte of an
//! upload is decoded for a forged post), answers "Preview" with the page and the
//! look it would give (200, nothing saved; the re-encoded logo travels on in a
//! hidden field, re-checked when saved) and "Save" with a redirect. A refusal
//! re-renders the form (422) with what was typed. "Reset to default" is its own
//! small form.

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Field, Multipart};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealpost_domain::branding::{BrandColour, Branding, BrandingError, DisplayName, Logo};
use sealpost_domain::model::Account;
use sealpost_domain::policy::AccountScope;
use sealpost_domain::services::branding::BrandingChange;
use sealpost_i18n::Arg;

use super::{AccountAdmin, admin_page};
use crate::AppState;
use crate::auth::see_other_with_flash;
use crate::brand::BrandView;
use crate::context::{Admin, CsrfForm, NoFields};
use crate::error::OrErrorPage as _;
use crate::error::Refuses as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{AccountTab, Area, FormError, Page, render_status};

/// The most a text field of the form may hold.
const MAX_TEXT: usize = 4 * 1024;
/// The most the hidden re-encoded logo may hold (base64 of a 600×200 PNG).
const MAX_KEPT: usize = 1024 * 1024;
/// Logos decoded at once: each may take [`Logo::DECODER_MEMORY`].
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// The most the whole form may carry: the upload, the kept logo and the rest.
pub const MAX_BODY: usize = Logo::MAX_UPLOAD_BYTES + MAX_KEPT + 64 * 1024;

#[derive(Template)]
#[template(path = "admin/images.html")]
pub struct ImagesPage {
    pub page: Page,
    pub account: Account,
    pub tab: AccountTab,
    /// The look saved now (`None`: Sealpost's default).
    pub current: Option<BrandView>,
    /// The look the form would give, after "Preview".
    pub preview: Option<BrandView>,
    pub form: ImagesForm,
    pub error: Option<FormError>,
}

/// The form as typed.
#[derive(Default)]
pub struct ImagesForm {
    pub display_name: String,
    pub colour: String,
    /// A logo already checked and re-encoded by a preview, base64 PNG.
    pub kept_logo: String,
}

async fn images_page(
    state: &AppState,
    admin: &Admin,
    scope: &AccountScope,
    form: ImagesForm,
    preview: Option<BrandView>,
    error: Option<FormError>,
) -> Result<ImagesPage, WebError> {
    let branding = state
        .services
        .account_branding(scope)
        .await
        .or_page(admin.visitor.locale)?;
    let t = &admin.visitor.t;
    Ok(ImagesPage {
        page: admin_page(&admin.visitor, t.get("tab-images")),
        account: scope.account().clone(),
        tab: AccountTab::Images,
        current: BrandView::of(&branding, t),
        preview,
        form,
        error,
    })
}

/// `GET /admin/accounts/{number}/images`: the current look and the form, filled
/// with what is saved.
pub async fn show_images(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, .. }: AccountAdmin,
) -> Result<Response, WebError> {
    let branding = state
        .services
        .account_branding(&scope)
        .await
        .or_page(admin.visitor.locale)?;
    let form = ImagesForm {
        display_name: branding
            .display_name
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
        colour: branding.colour.map(|c| c.css()).unwrap_or_default(),
        kept_logo: String::new(),
    };
    let page = images_page(&state, &admin, &scope, form, None, None).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// What the multipart form carried.
#[derive(Default)]
struct Posted {
    csrf: String,
    form: ImagesForm,
    /// The uploaded file, when one was chosen (a file part with a name).
    upload: Option<Vec<u8>>,
    /// The upload was larger than [`Logo::MAX_UPLOAD_BYTES`] (read no further).
    upload_too_large: bool,
    preview: bool,
}

/// Why reading the form stopped.
enum Stop {
    Csrf,
    Broken,
}

/// Reads a field whole, up to `limit` bytes; `Ok(None)` past it.
async fn read_limited(mut field: Field<'_>, limit: usize) -> Result<Option<Vec<u8>>, Stop> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| Stop::Broken)? {
        if bytes.len() + chunk.len() > limit {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

async fn read_text(field: Field<'_>, limit: usize) -> Result<String, Stop> {
    let bytes = read_limited(field, limit).await?.ok_or(Stop::Broken)?;
    String::from_utf8(bytes).map_err(|_| Stop::Broken)
}

/// Reads the form in order into `posted`; the CSRF token must come before
/// anything else.
async fn read_form(admin: &Admin, multipart: &mut Multipart, posted: &mut Posted) -> Result<(), Stop> {
    while let Some(field) = multipart.next_field().await.map_err(|_| Stop::Broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "csrf" && !admin.visitor.csrf_ok(&posted.csrf) {
            return Err(Stop::Csrf);
        }
        match name.as_str() {
            "csrf" => posted.csrf = read_text(field, MAX_TEXT).await.map_err(|_| Stop::Csrf)?,
            "display_name" => posted.form.display_name = read_text(field, MAX_TEXT).await?,
            "colour" => posted.form.colour = read_text(field, MAX_TEXT).await?,
            "kept_logo" => posted.form.kept_logo = read_text(field, MAX_KEPT).await?,
            "action" => posted.preview = read_text(field, MAX_TEXT).await? == "preview",
            "logo" => {
                // No file chosen: browsers send an empty part without a file name.
                if field.file_name().is_none_or(str::is_empty) {
                    read_limited(field, MAX_TEXT).await?;
                    continue;
                }
                match read_limited(field, Logo::MAX_UPLOAD_BYTES).await? {
                    Some(bytes) => posted.upload = Some(bytes),
                    None => posted.upload_too_large = true,
                }
            }
            _ => {
                read_limited(field, MAX_TEXT).await?;
            }
        }
    }
    if !admin.visitor.csrf_ok(&posted.csrf) {
        return Err(Stop::Csrf);
    }
    Ok(())
}

/// The form's values as the domain's types, or the first refusal.
fn parse(posted: &Posted) -> Result<BrandingChange, BrandingError> {
    let display_name = DisplayName::parse(&posted.form.display_name)?;
    let colour = BrandColour::parse(&posted.form.colour)?;
    if posted.upload_too_large {
        return Err(BrandingError::LogoTooLarge);
    }
    let new_logo = match &posted.upload {
        Some(bytes) => Some(Logo::from_upload(bytes)?),
        // A logo a preview re-encoded comes back from the browser: checked again.
        None if !posted.form.kept_logo.is_empty() => {
            let bytes = STANDARD
                .decode(posted.form.kept_logo.trim())
                .map_err(|_| BrandingError::LogoDamaged)?;
            Some(Logo::from_upload(&bytes)?)
        }
        None => None,
    };
    Ok(BrandingChange {
        display_name,
        colour,
        new_logo,
    })
}

/// `POST /admin/accounts/{number}/images`: "Preview" shows the look (nothing
/// saved), "Save" saves it; a refusal shows the form again (422).
pub async fn save_images(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let locale = admin.visitor.locale;
    let mut posted = Posted::default();
    let read = match read_form(&admin, &mut multipart, &mut posted).await {
        Ok(()) => {
            // Decoding takes tens of milliseconds and up to the decoder's memory
            // limit: off the async executor, a few at a time.
            let _slot = DECODING
                .acquire()
                .await
                .map_err(|e| WebError::Internal(locale, e.to_string()))?;
            let (back, parsed) = tokio::task::spawn_blocking(move || {
                let parsed = parse(&posted);
                (posted, parsed)
            })
            .await
            .map_err(|e| WebError::Internal(locale, e.to_string()))?;
            posted = back;
            parsed
        }
        Err(Stop::Csrf) => {
            tracing::warn!(client = %admin.visitor.client, "images form refused: CSRF token missing or wrong");
            return Err(WebError::Csrf(locale));
        }
        // The body ended early or passed its limit (an upload far over the
        // limit): the fields read so far are shown again.
        Err(Stop::Broken) => Err(BrandingError::LogoTooLarge),
    };
    let change = match read {
        Ok(change) => change,
        Err(refusal) => {
            let t = &admin.visitor.t;
            let message = match refusal.ratio_text() {
                Some(ratio) => t.get_with(refusal.message_id(), &[("ratio", Arg::Text(&ratio))]),
                None => t.get(refusal.message_id()),
            };
            if refusal.field() == "logo" {
                posted.form.kept_logo.clear();
            }
            let error = FormError {
                field: Some(refusal.field()),
                message,
            };
            let page = images_page(&state, &admin, &scope, posted.form, None, Some(error)).await?;
            return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    if posted.preview {
        let current = state.services.account_branding(&scope).await.or_page(locale)?;
        let look = Branding {
            display_name: change.display_name.clone(),
            colour: change.colour,
            logo: change.new_logo.clone().or(current.logo),
        };
        let mut form = posted.form;
        form.kept_logo = change
            .new_logo
            .as_ref()
            .map(|l| STANDARD.encode(l.png()))
            .unwrap_or_default();
        let preview = BrandView::of(&look, &admin.visitor.t);
        let page = images_page(&state, &admin, &scope, form, preview, None).await?;
        return Ok(render_status(StatusCode::OK, &page));
    }
    state.services.save_branding(&scope, change).await.or_page(locale)?;
    Ok(see_other_with_flash(
        &state,
        &format!("/admin/accounts/{number}/images"),
        &Flash::new("flash-branding-saved", &[]),
    ))
}

/// `POST /admin/accounts/{number}/images/reset`: back to Sealpost's default look.
pub async fn reset_images(
    State(state): State<AppState>,
    AccountAdmin { admin, scope, number }: AccountAdmin,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    state
        .services
        .reset_branding(&scope)
        .await
        .or_page(admin.visitor.locale)?;
    Ok(see_other_with_flash(
        &state,
        &format!("/admin/accounts/{number}/images"),
        &Flash::new("flash-branding-reset", &[]),
    ))
}
