//! [`WebError`]: how a failed request answers.
//!
//! | error | status | page |
//! |---|---|---|
//! | `NotFound` (also another account's object) | 404 | "Page not found" |
//! | `Forbidden` | 403 | "You do not have access" |
//! | `Csrf` | 403 | "This form has expired" |
//! | `Redirect` | 303 | (to the login or password page) |
//! | `Internal` | 500 | generic page with a request id; detail in the log only |
//!
//! Validation problems never reach here: handlers show them on the form itself.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sealpost_domain::DomainError;
use sealpost_domain::types::Locale;
use sealpost_i18n::Translator;

use crate::views::{ErrorPage, render};

/// A request that cannot be answered with the page it asked for.
#[derive(Debug)]
pub enum WebError {
    NotFound(Locale),
    Forbidden(Locale),
    Csrf(Locale),
    Redirect(String),
    Internal(Locale, String),
}

impl WebError {
    /// Maps a domain error for a visitor speaking `locale`. Validation errors that a
    /// handler did not catch are treated as 404 (the object was not there to act on).
    pub fn from_domain(locale: Locale, error: DomainError) -> Self {
        match error {
            DomainError::NotFound
            | DomainError::Validation(_)
            | DomainError::Invalid { .. }
            | DomainError::Conflict { .. } => Self::NotFound(locale),
            DomainError::Forbidden => Self::Forbidden(locale),
            DomainError::Internal(source) => Self::Internal(locale, format!("{source:#}")),
        }
    }

    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) | Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::Redirect(_) => StatusCode::SEE_OTHER,
            Self::Internal(..) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (locale, title, body, request_id) = match &self {
            Self::Redirect(to) => {
                let mut response = status.into_response();
                if let Ok(value) = HeaderValue::from_str(to) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                return response;
            }
            Self::NotFound(l) => (*l, "error-not-found-title", "error-not-found-body", None),
            Self::Forbidden(l) => (*l, "error-forbidden-title", "error-forbidden-body", None),
            Self::Csrf(l) => (*l, "error-csrf-title", "error-csrf-body", None),
            Self::Internal(l, detail) => {
                let id = sealpost_crypto::token::random_token(9).unwrap_or_else(|_| "unknown".to_owned());
                tracing::error!(request_id = %id, error = %detail, "request failed");
                (*l, "error-internal-title", "error-internal-body", Some(id))
            }
        };
        let t = Translator::new(locale);
        let page = ErrorPage {
            lang: locale.tag(),
            title: t.get(title),
            body: t.get(body),
            request_id,
            t,
        };
        (status, render(&page)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_answers_with_its_status() {
        let cases = [
            (
                WebError::from_domain(Locale::En, DomainError::NotFound),
                StatusCode::NOT_FOUND,
            ),
            (
                WebError::from_domain(Locale::En, DomainError::Forbidden),
                StatusCode::FORBIDDEN,
            ),
            (WebError::Csrf(Locale::De), StatusCode::FORBIDDEN),
            (WebError::Redirect("/admin/login".into()), StatusCode::SEE_OTHER),
            (
                WebError::from_domain(Locale::Fr, DomainError::internal(std::io::Error::other("disk"))),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.into_response().status(), status);
        }
    }
}
