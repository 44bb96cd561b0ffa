//! `GET/POST /register` and `GET/POST /activate`: a recipient registers and
//! activates the account from the mailed link.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use sealpost_domain::services::messages::safe_next;
use sealpost_domain::services::registration::RegisterRequest;
use sealpost_domain::types::{EmailAddress, Locale};
use serde::Deserialize;

use crate::auth::{see_other, with_cookies};
use crate::brand::BrandView;
use crate::context::{CsrfForm, Visitor};
use crate::error::WebError;
use crate::views::{Area, FormError, NoticeForm, NoticePage, RegisterPage, render, render_status};
use crate::{AppState, cookies};

use super::TokenQuery;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RegisterForm {
    email: String,
    first_name: String,
    last_name: String,
    password: String,
    confirm_password: String,
    locale: String,
    next: String,
}

pub(super) fn register_page(
    visitor: &Visitor,
    email: String,
    next: String,
    error: Option<FormError>,
    form: RegisterForm,
    brand: Option<BrandView>,
) -> RegisterPage {
    let locale = Locale::from_tag(&form.locale).unwrap_or(visitor.locale);
    let mut page = visitor.page(Area::Portal, visitor.t.get("register-title"));
    page.brand = brand;
    RegisterPage {
        page,
        email,
        first_name: form.first_name,
        last_name: form.last_name,
        locale: locale.tag(),
        next,
        error,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RegisterQuery {
    email: String,
    next: String,
    /// The envelope's language.
    lang: String,
}

pub(super) async fn register_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<RegisterQuery>,
) -> Result<Response, WebError> {
    // From an envelope: speak its language unless the visitor chose one.
    let envelope_locale =
        Locale::from_tag(&query.lang).filter(|_| visitor.session.is_none() && !visitor.has_language_cookie);
    let visitor = match envelope_locale {
        Some(locale) => visitor.speaking(locale),
        None => visitor,
    };
    let language_cookie: Vec<String> = envelope_locale
        .map(|l| {
            cookies::set(
                cookies::LANGUAGE,
                l.tag(),
                Some(365 * 24 * 60 * 60),
                state.config.secure_cookies,
            )
        })
        .into_iter()
        .collect();
    let email = EmailAddress::parse(&query.email).map_err(|_| visitor.not_found())?;
    // The same page for every address: whether it may register, has an account
    // or was never written to is told to its mailbox, not to the visitor.
    let next = safe_next(&query.next).to_owned();
    let brand = BrandView::for_next(&state, &visitor.t, &next).await;
    let mut response = render(&register_page(
        &visitor,
        email.to_string(),
        next,
        None,
        RegisterForm::default(),
        brand,
    ));
    with_cookies(&mut response, &language_cookie);
    Ok(response)
}

pub(super) async fn register(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, WebError> {
    let request = RegisterRequest {
        email: form.email.clone(),
        first_name: form.first_name.clone(),
        last_name: form.last_name.clone(),
        password: form.password.clone(),
        confirm_password: form.confirm_password.clone(),
        locale: Locale::from_tag(&form.locale).unwrap_or(visitor.locale),
        next: form.next.clone(),
    };
    match state.services.register(&request, Some(&visitor.client)).await {
        Ok(()) => {
            let t = &visitor.t;
            let email = EmailAddress::parse(&form.email)
                .map(|e| e.to_string())
                .unwrap_or_default();
            let page = NoticePage {
                page: visitor.page(Area::Portal, t.get("register-check-title")),
                paragraphs: vec![
                    t.get_with("register-check", &[("email", sealpost_i18n::Arg::Text(&email))]),
                    t.get("register-check-hint"),
                ],
                form: None,
                link: None,
            };
            Ok(render(&page))
        }
        Err(error) => {
            let form_error = crate::error::form_error(&visitor.t, visitor.locale, error)?;
            let email = form.email.clone();
            let next = form.next.clone();
            let brand = BrandView::for_next(&state, &visitor.t, &next).await;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &register_page(&visitor, email, next, Some(form_error), form, brand),
            ))
        }
    }
}

pub(super) async fn activation_form(visitor: Visitor, Query(query): Query<TokenQuery>) -> Response {
    let t = &visitor.t;
    render(&NoticePage {
        page: visitor.page(Area::Portal, t.get("activate-title")),
        paragraphs: vec![t.get("activate-intro")],
        form: Some(NoticeForm {
            action: "/activate".to_owned(),
            fields: vec![("token".to_owned(), query.token), ("next".to_owned(), query.next)],
            button: t.get("activate-submit"),
        }),
        link: None,
    })
}

pub(super) async fn activate(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<TokenQuery>,
) -> Result<Response, WebError> {
    match state.services.activate(&form.token, Some(&visitor.client)).await {
        Ok(opened) => {
            let secure = state.config.secure_cookies;
            Ok(see_other(
                safe_next(&form.next),
                &[
                    cookies::set(cookies::SESSION, &opened.token, None, secure),
                    cookies::clear(cookies::PRE_SESSION, secure),
                ],
            ))
        }
        Err(DomainError::Invalid { .. }) => {
            let t = &visitor.t;
            Ok(render_status(
                StatusCode::GONE,
                &NoticePage {
                    page: visitor.page(Area::Portal, t.get("link-invalid-title")),
                    paragraphs: vec![t.get("error-link-invalid"), t.get("activate-invalid-hint")],
                    form: None,
                    link: Some(("/portal/login".to_owned(), t.get("login-title-portal"))),
                },
            ))
        }
        Err(error) => Err(WebError::from_domain(visitor.locale, error)),
    }
}
