//! What every handler knows about the request: who is asking, in which language,
//! and which CSRF token their forms must carry.
//!
//! - [`Visitor`]: anyone; resolves the session cookie, the language and the client address.
//! - [`Signed`]: a full session (redirects to the login page, or to "set a new
//!   password" for a temporary-password session).
//! - [`Admin`]: a full session of an operator or account administrator (403 otherwise).
//! - [`CsrfForm`]: a form body whose `csrf` field matches the visitor's token (403 otherwise).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use axum::http::{Method, Uri};
use sealpost_crypto::token;
use sealpost_domain::model::{Session, SessionKind};
use sealpost_domain::policy::Actor;
use sealpost_domain::types::Locale;
use sealpost_i18n::{DateFormatter, Translator, negotiate};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::OrErrorPage as _;
use crate::error::WebError;
use crate::flash::Flash;
use crate::views::{Area, Page};
use crate::{AppState, cookies};

/// What the pre-session middleware put into the request: a fresh CSRF token for
/// visitors without one (empty when the `sp_pre` cookie already holds one), and
/// where to note that the session cookie named no live session.
#[derive(Debug, Clone)]
pub struct PreSessionToken {
    pub token: String,
    pub session_dead: Arc<AtomicBool>,
}

/// Anyone making a request.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub session: Option<(Session, Actor)>,
    pub locale: Locale,
    pub t: Translator,
    /// Writes dates in the visitor's language and time zone (UTC unless a signed-in
    /// user chose one on `/me`).
    pub dates: DateFormatter,
    /// The token this visitor's forms carry.
    pub csrf: String,
    /// The client's address (for throttling and the audit trail).
    pub client: String,
    /// The path and query asked for, so the language switch can come back here.
    pub path: String,
    pub flash: Option<Flash>,
    /// Whether the visitor chose a language with the switch (the `sp_lang` cookie).
    pub has_language_cookie: bool,
}

impl Visitor {
    /// The page frame for a view in `area`.
    pub fn page(&self, area: Area, title: String) -> Page {
        Page {
            t: self.t.clone(),
            dates: self.dates.clone(),
            lang: self.locale.tag(),
            title,
            csrf: self.csrf.clone(),
            user_email: self.full_session().map(|(_, a)| a.user().email.to_string()),
            signed_in: self.session.is_some(),
            area,
            flash: self.flash.as_ref().map(|f| f.render(&self.t)),
            back: self.path.clone(),
            is_admin_nav: false,
            brand: None,
            can_compose: false,
        }
    }

    /// The visitor's session when it is a full one (not one that may only change
    /// its password).
    pub fn full_session(&self) -> Option<&(Session, Actor)> {
        self.session.as_ref().filter(|(s, _)| s.kind == SessionKind::Full)
    }

    /// The same visitor, addressed in `locale`.
    pub fn speaking(mut self, locale: Locale) -> Self {
        self.locale = locale;
        self.t = Translator::new(locale);
        self.dates = DateFormatter::new(locale, Some(self.dates.time_zone()));
        self
    }

    /// Whether `submitted` is this visitor's CSRF token.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        !self.csrf.is_empty() && token::constant_time_eq(&self.csrf, submitted)
    }

    /// The error for this visitor's language.
    pub fn not_found(&self) -> WebError {
        WebError::NotFound(self.locale)
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(visitor) = parts.extensions.get::<Visitor>() {
            return Ok(visitor.clone());
        }
        let headers = &parts.headers;
        let secure = state.config.secure_cookies;
        let session = match cookies::get(headers, cookies::SESSION, secure) {
            Some(raw) if !raw.is_empty() => state
                .services
                .resume_session(raw)
                .await
                .map_err(|e| WebError::from_domain(Locale::En, e))?,
            _ => None,
        };
        let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let user_locale = session.as_ref().and_then(|(_, a)| a.user().locale);
        let locale = negotiate(user_locale, cookies::get(headers, cookies::LANGUAGE, secure), accept);
        let pre = parts.extensions.get::<PreSessionToken>();
        let csrf = match &session {
            Some((s, _)) => s.csrf_token.clone(),
            None => {
                if let Some(pre) = pre {
                    pre.session_dead.store(true, Ordering::Relaxed);
                }
                pre.map(|t| t.token.clone())
                    .filter(|t| !t.is_empty())
                    .or_else(|| cookies::get(headers, cookies::PRE_SESSION, secure).map(str::to_owned))
                    .unwrap_or_default()
            }
        };
        let client = client_address(parts, state.config.trust_forwarded_for);
        let dates = DateFormatter::new(locale, session.as_ref().and_then(|(_, a)| a.user().time_zone.as_ref()));
        let visitor = Visitor {
            session,
            locale,
            t: Translator::new(locale),
            dates,
            csrf,
            client,
            path: original_uri(parts)
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned()),
            flash: cookies::get(headers, cookies::FLASH, secure).and_then(Flash::decode),
            has_language_cookie: cookies::get(headers, cookies::LANGUAGE, secure)
                .is_some_and(|v| Locale::from_tag(v).is_some()),
        };
        parts.extensions.insert(visitor.clone());
        Ok(visitor)
    }
}

/// The URI as the client sent it (nested routers see only the rest of the path).
fn original_uri(parts: &Parts) -> axum::http::Uri {
    parts
        .extensions
        .get::<OriginalUri>()
        .map(|OriginalUri(uri)| uri.clone())
        .unwrap_or_else(|| parts.uri.clone())
}

/// The client's address: the connection's peer, or behind a trusted proxy the
/// rightmost `X-Forwarded-For` entry, the one that proxy appended. Entries to its
/// left were written by the client and prove nothing.
fn client_address(parts: &Parts, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(added) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return added.to_string();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Where someone who is not logged in is sent from `uri`: the login of its area,
/// which leads back to the page once they are in (`?next=`, checked by
/// `safe_next` when used). Only a `GET` is a page to come back to (a link in a
/// mail, a bookmark); a form's target is not, nor the area's own start pages.
fn login_redirect(method: &Method, uri: &Uri) -> String {
    let path = uri.path();
    let (starts, login): (&[&str], _) = if path.starts_with("/admin") {
        (&["/admin", "/admin/accounts"], "/admin/login")
    } else {
        (&["/portal"], "/portal/login")
    };
    if method != Method::GET || starts.contains(&path) {
        return login.to_owned();
    }
    let target = uri.path_and_query().map_or(path, |whole| whole.as_str());
    match serde_urlencoded::to_string([("next", target)]) {
        Ok(query) => format!("{login}?{query}"),
        Err(_) => login.to_owned(),
    }
}

/// A visitor with a full session.
#[derive(Debug, Clone)]
pub struct Signed {
    pub visitor: Visitor,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match &visitor.session {
            None => Err(WebError::Redirect(login_redirect(&parts.method, &original_uri(parts)))),
            Some((session, _)) if session.kind == SessionKind::PasswordChangeOnly => {
                Err(WebError::Redirect("/password".to_owned()))
            }
            Some((_, actor)) => {
                let actor = actor.clone();
                Ok(Self { visitor, actor })
            }
        }
    }
}

/// A full session of someone who may use the administration portal.
#[derive(Debug, Clone)]
pub struct Admin {
    pub visitor: Visitor,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Signed { visitor, actor } = Signed::from_request_parts(parts, state).await?;
        let allowed = state.services.is_administrator(&actor).await.or_page(visitor.locale)?;
        if !allowed {
            return Err(WebError::Forbidden(visitor.locale));
        }
        Ok(Self { visitor, actor })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfField {
    csrf: String,
}

/// A url-encoded form whose `csrf` field matched the visitor's token.
pub struct CsrfForm<T>(pub T);

/// A form with nothing but its CSRF token (a button).
#[derive(serde::Deserialize, Default)]
pub struct NoFields {}

/// A form or query with nothing but where to go next (`next`, checked by
/// `safe_next` before use).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NextForm {
    pub next: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| WebError::Csrf(visitor.locale))?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| WebError::Csrf(visitor.locale))?;
        if !visitor.csrf_ok(&token.csrf) {
            tracing::warn!(client = %visitor.client, "form refused: CSRF token missing or wrong");
            return Err(WebError::Csrf(visitor.locale));
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| WebError::NotFound(visitor.locale))?;
        Ok(Self(form))
    }
}
