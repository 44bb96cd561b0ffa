//! `GET/POST /password/forgot` and `GET/POST /password/reset`: a forgotten password
//! reset by email.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sealpost_domain::DomainError;
use serde::Deserialize;

use crate::auth::see_other;
use crate::context::{CsrfForm, Visitor};
use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::views::{Area, ForgotPage, FormError, NoticePage, ResetPage, render, render_status};
use crate::{AppState, cookies};

use super::TokenQuery;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ForgotForm {
    email: String,
}

pub(super) async fn forgot_form(visitor: Visitor) -> Response {
    render(&ForgotPage {
        page: visitor.page(Area::Portal, visitor.t.get("forgot-title")),
        email: String::new(),
    })
}

pub(super) async fn forgot(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<Response, WebError> {
    state
        .services
        .request_password_reset(&form.email, visitor.locale, Some(&visitor.client))
        .await
        .or_page(visitor.locale)?;
    let t = &visitor.t;
    Ok(render(&NoticePage {
        page: visitor.page(Area::Portal, t.get("forgot-sent-title")),
        paragraphs: vec![t.get_with("forgot-sent", &[("email", sealpost_i18n::Arg::Text(form.email.trim()))])],
        form: None,
        link: Some(("/portal/login".to_owned(), t.get("login-title-portal"))),
    }))
}

fn invalid_link_page(visitor: &Visitor) -> Response {
    let t = &visitor.t;
    render_status(
        StatusCode::GONE,
        &NoticePage {
            page: visitor.page(Area::Portal, t.get("link-invalid-title")),
            paragraphs: vec![t.get("error-link-invalid")],
            form: None,
            link: Some(("/password/forgot".to_owned(), t.get("forgot-title"))),
        },
    )
}

pub(super) async fn reset_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
) -> Result<Response, WebError> {
    if !state
        .services
        .reset_link_valid(&query.token)
        .await
        .or_page(visitor.locale)?
    {
        return Ok(invalid_link_page(&visitor));
    }
    Ok(render(&ResetPage {
        page: visitor.page(Area::Portal, visitor.t.get("reset-title")),
        token: query.token,
        error: None,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ResetForm {
    token: String,
    new_password: String,
    confirm_password: String,
}

pub(super) async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, WebError> {
    match state
        .services
        .reset_password(
            &form.token,
            &form.new_password,
            &form.confirm_password,
            visitor.locale,
            Some(&visitor.client),
        )
        .await
    {
        Ok(opened) => {
            let secure = state.config.secure_cookies;
            Ok(see_other(
                "/portal",
                &[
                    cookies::set(cookies::SESSION, &opened.token, None, secure),
                    cookies::clear(cookies::PRE_SESSION, secure),
                    crate::flash::Flash::new("flash-password-changed", &[]).cookie(secure),
                ],
            ))
        }
        Err(DomainError::Invalid { field: "token", .. }) => Ok(invalid_link_page(&visitor)),
        Err(DomainError::Invalid { field, error }) => {
            let error = FormError {
                field: Some(field),
                message: visitor.t.get(error.message_id()),
            };
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ResetPage {
                    page: visitor.page(Area::Portal, visitor.t.get("reset-title")),
                    token: form.token,
                    error: Some(error),
                },
            ))
        }
        Err(error) => Err(WebError::from_domain(visitor.locale, error)),
    }
}
