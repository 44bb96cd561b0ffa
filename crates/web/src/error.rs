//! [`WebError`]: how a failed request answers.
//!
//! | error | status | page |
//! |---|---|---|
//! | `NotFound` (also another account's object) | 404 | "Page not found" |
//! | `Forbidden` | 403 | "You do not have access" |
//! | `Csrf` | 403 | "This form has expired" |
//! | `Redirect` | 303 | (to the login or password page) |
//! | `Unavailable` (storage full) | 503 + `Retry-After` | "Temporarily unable to store anything" |
//! | `Internal` | 500 | generic page with a request id; detail in the log only |
//!
//! Validation problems never reach here: handlers show them on the form itself.
//!
//! `Unavailable` is not logged per request: the storage logs one line when it
//! becomes unwritable and one when it recovers. A request answers it only when it
//! had to write; reads that need no write keep working. Opening a message is such
//! a write (the opening is recorded, with its audit event and read receipt, before
//! the content is shown), so while the disk is full a message answers 503 rather
//! than being shown unrecorded.

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
    /// The storage cannot take writes for now: come back later.
    Unavailable(Locale),
    Internal(Locale, String),
}

/// How long a client is asked to wait when the storage cannot take writes, in
/// seconds: long enough for an operator to free space, short enough to notice.
pub const RETRY_AFTER_SECONDS: u32 = 60;

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
            DomainError::Unavailable(_) => Self::Unavailable(locale),
            DomainError::Internal(source) => Self::Internal(locale, format!("{source:#}")),
        }
    }

    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) | Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::Redirect(_) => StatusCode::SEE_OTHER,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            Self::Unavailable(l) => (*l, "error-storage-full-title", "error-storage-full-body", None),
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
        let mut response = (status, render(&page)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
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
            (
                WebError::from_domain(
                    Locale::De,
                    DomainError::unavailable(std::io::Error::from(std::io::ErrorKind::StorageFull)),
                ),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.into_response().status(), status);
        }
    }

    #[test]
    fn a_full_storage_asks_to_come_back_later_in_the_visitors_language() {
        let response = WebError::from_domain(
            Locale::De,
            DomainError::unavailable(std::io::Error::from(std::io::ErrorKind::StorageFull)),
        )
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("60")
        );
    }
}
