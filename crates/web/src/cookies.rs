//! The few cookies Sealpost sets, read and written without a cookie framework.
//!
//! | name | holds | lifetime |
//! |---|---|---|
//! | `sp_session` | the random session token (stored hashed server-side) | browser session |
//! | `sp_pre` | the CSRF token of forms shown before login | browser session |
//! | `sp_lang` | the language chosen with the switch | one year |
//! | `sp_flash` | a one-shot confirmation shown after a redirect | until shown |
//! | `sp_2step` | a login waiting for its second step (the challenge token, stored hashed; not a session) | 10 minutes |
//! | `sp_device` | a remembered device ("Remember me on this device", stored hashed) | the envelope profile's days |
//!
//! | `sp_grant` | a No Password Required message's download grant (sealed, see `services::messages::secret`) | an hour, `Path=/m/{id}/` |
//!
//! All are `HttpOnly; SameSite=Lax; Path=/` but `sp_grant`, scoped to its message's
//! paths (so it is named `__Secure-sp_grant` over HTTPS: `__Host-` requires `Path=/`). Served over HTTPS they are also
//! `Secure` and named with the `__Host-` prefix (`__Host-sp_session`, …): browsers
//! then refuse such a cookie unless this very host set it over HTTPS, so a sibling
//! subdomain or a plain-HTTP man in the middle cannot plant or shadow one. Over
//! plain HTTP (development) the names stay bare, as the prefix requires `Secure`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

pub const SESSION: &str = "sp_session";
pub const PRE_SESSION: &str = "sp_pre";
pub const LANGUAGE: &str = "sp_lang";
pub const FLASH: &str = "sp_flash";
pub const DEVICE: &str = "sp_device";
pub const GRANT: &str = "sp_grant";
pub const TWO_STEP: &str = "sp_2step";

/// The wire name of [`GRANT`]: `__Secure-` over HTTPS.
fn grant_name(secure: bool) -> &'static str {
    if secure { "__Secure-sp_grant" } else { GRANT }
}

/// The download grant in the request, if any.
pub fn grant(headers: &HeaderMap, secure: bool) -> Option<&str> {
    named(headers, grant_name(secure))
}

/// The value of the cookie whose wire name is `wanted`.
fn named<'a>(headers: &'a HeaderMap, wanted: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == wanted)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value of a download grant for the message whose pages are under `path`.
pub fn set_grant(value: &str, path: &str, max_age: i64, secure: bool) -> String {
    let mut cookie = format!(
        "{}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}",
        grant_name(secure)
    );
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The name a cookie has on the wire: `__Host-` + `name` over HTTPS.
fn wire_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The value of cookie `name` in the request, if any (over HTTPS, only the
/// prefixed cookie counts).
pub fn get<'a>(headers: &'a HeaderMap, name: &str, secure: bool) -> Option<&'a str> {
    named(headers, &wire_name(name, secure))
}

/// A `Set-Cookie` value. `max_age` of `Some(0)` deletes the cookie; `None` lasts
/// for the browser session.
pub fn set(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut cookie = format!("{}={value}; Path=/; HttpOnly; SameSite=Lax", wire_name(name, secure));
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear(name: &str, secure: bool) -> String {
    set(name, "", Some(0), secure)
}

/// Whether the `Set-Cookie` value `header` sets (or clears) cookie `name`.
pub fn sets(header: &str, name: &str, secure: bool) -> bool {
    header
        .split_once('=')
        .is_some_and(|(key, _)| key == wire_name(name, secure))
}
