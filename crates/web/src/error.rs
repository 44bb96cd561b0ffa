//! [`WebError`]: how a failed request answers.
//!
//! One status table, for pages now and the JSON API later:
//!
//! | error | from `DomainError` | status | page |
//! |---|---|---|---|
//! | `NotFound` (also another account's object) | `NotFound` | 404 | "Page not found" |
//! | `Conflict` | `Conflict` | 409 | "This was changed meanwhile" |
//! | `Unprocessable` | `Invalid`, `Validation` | 422 | "This cannot be done" and the rule's own sentence |
//! | `Forbidden` | `Forbidden` | 403 | "You do not have access" |
//! | `Csrf` | | 403 | "This form has expired" |
//! | `Unauthenticated` | | 401 | "Please log in" |
//! | `TooManyRequests` | | 429 + `Retry-After` | "Too many attempts" |
//! | `Redirect` | | 303 | (to the login or password page) |
//! | `Unavailable` (storage full) | `Unavailable` | 503 + `Retry-After` | "Temporarily unable to store anything" |
//! | `Internal` | `Internal` | 500 | generic page with a request id; detail in the log only |
//!
//! Handlers turn a domain result into a web one with [`OrErrorPage::or_page`], and
//! a refusal they show on the form itself with [`form_error`]; a validation error
//! no form shows answers 422, never 404. Templates ask that refusal which field it
//! is of with [`Refuses::refuses`].
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

use crate::views::{ErrorPage, FormError, render};

/// A request that cannot be answered with the page it asked for.
#[derive(Debug)]
pub enum WebError {
    NotFound(Locale),
    /// The object changed or exists already (a taken name, a concurrent change).
    Conflict(Locale),
    /// The request is well-formed but asks for something the rules refuse; the
    /// Fluent id of the rule's own sentence, shown as the page's body.
    Unprocessable(Locale, &'static str),
    Forbidden(Locale),
    Csrf(Locale),
    /// Not logged in where a login is needed (the JSON API; pages redirect).
    Unauthenticated(Locale),
    /// Throttled: come back after a while.
    TooManyRequests(Locale),
    Redirect(String),
    /// The storage cannot take writes for now: come back later.
    Unavailable(Locale),
    Internal(Locale, String),
}

/// How long a client is asked to wait when the storage cannot take writes, in
/// seconds: long enough for an operator to free space, short enough to notice.
pub const RETRY_AFTER_SECONDS: u32 = 60;

impl WebError {
    /// Maps a domain error for a visitor speaking `locale`, by the table above.
    pub fn from_domain(locale: Locale, error: DomainError) -> Self {
        match error {
            DomainError::NotFound => Self::NotFound(locale),
            DomainError::Conflict { .. } => Self::Conflict(locale),
            DomainError::Validation(error) | DomainError::Invalid { error, .. } => {
                Self::Unprocessable(locale, error.message_id())
            }
            DomainError::Forbidden => Self::Forbidden(locale),
            DomainError::Unavailable(_) => Self::Unavailable(locale),
            DomainError::Internal(source) => Self::Internal(locale, format!("{source:#}")),
        }
    }

    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(..) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Forbidden(_) | Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
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
            Self::Conflict(l) => (*l, "error-conflict-title", "error-conflict-body", None),
            Self::Unprocessable(l, why) => (*l, "error-unprocessable-title", *why, None),
            Self::Unauthenticated(l) => (*l, "error-unauthenticated-title", "error-unauthenticated-body", None),
            Self::TooManyRequests(l) => (*l, "error-too-many-title", "error-too-many-body", None),
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
        if matches!(status, StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}

/// Turns a domain result into a web one: the error page of the table above, in
/// the visitor's language.
pub trait OrErrorPage<T> {
    /// `Ok` as it is; an error as its [`WebError`] for a visitor speaking `locale`.
    fn or_page(self, locale: Locale) -> Result<T, WebError>;
}

impl<T> OrErrorPage<T> for Result<T, DomainError> {
    fn or_page(self, locale: Locale) -> Result<T, WebError> {
        self.map_err(|error| WebError::from_domain(locale, error))
    }
}

/// A refusal to show on the form that caused it (its field marked when it names
/// one); any other error answers with its page.
pub fn form_error(t: &Translator, locale: Locale, error: DomainError) -> Result<FormError, WebError> {
    match &error {
        DomainError::Invalid { field, error } => Ok(FormError {
            field: Some(field),
            message: t.get(error.message_id()),
        }),
        DomainError::Validation(v) => Ok(FormError {
            field: None,
            message: t.get(v.message_id()),
        }),
        _ => Err(WebError::from_domain(locale, error)),
    }
}

/// Asks the refusal a page shows (its `error`) whether it is of one form field:
/// templates write `error.refuses("name")` to mark that field invalid.
pub trait Refuses {
    /// Whether the refusal is of the form field `field`.
    fn refuses(&self, field: &str) -> bool;
}

impl Refuses for Option<FormError> {
    fn refuses(&self, field: &str) -> bool {
        self.as_ref().is_some_and(|e| e.is(field))
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
            (
                WebError::from_domain(Locale::En, DomainError::Conflict { field: "group_name" }),
                StatusCode::CONFLICT,
            ),
            (
                WebError::from_domain(
                    Locale::De,
                    DomainError::invalid("email", sealpost_domain::ValidationError::EmailMalformed),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                WebError::from_domain(
                    Locale::Fr,
                    DomainError::Validation(sealpost_domain::ValidationError::LastAdministrator),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (WebError::Unauthenticated(Locale::En), StatusCode::UNAUTHORIZED),
            (WebError::TooManyRequests(Locale::De), StatusCode::TOO_MANY_REQUESTS),
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

#[cfg(test)]
mod pages {
    use super::*;

    /// Every row of the table has its own page, in every language.
    #[test]
    fn every_error_page_is_written_in_every_language() {
        for locale in [Locale::En, Locale::De, Locale::Fr] {
            for error in [
                WebError::NotFound(locale),
                WebError::Conflict(locale),
                WebError::Unprocessable(locale, "error-not-allowed-by-message"),
                WebError::Forbidden(locale),
                WebError::Csrf(locale),
                WebError::Unauthenticated(locale),
                WebError::TooManyRequests(locale),
                WebError::Unavailable(locale),
            ] {
                let status = error.status();
                let response = error.into_response();
                assert_eq!(response.status(), status);
                let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
                assert!(
                    content_type.is_some_and(|v| v.to_str().is_ok_and(|v| v.starts_with("text/html"))),
                    "{status} answers with a page"
                );
            }
        }
    }

    #[test]
    fn a_refusal_on_a_form_names_its_field_and_says_why() -> Result<(), WebError> {
        let t = Translator::new(Locale::De);
        let shown = form_error(
            &t,
            Locale::De,
            DomainError::invalid("username", sealpost_domain::ValidationError::UsernameTaken),
        )?;
        assert!(shown.is("username"));
        assert_eq!(shown.message, t.get("error-username-taken"));
        let other = form_error(&t, Locale::De, DomainError::NotFound);
        assert!(matches!(other, Err(WebError::NotFound(Locale::De))));
        Ok(())
    }
}
