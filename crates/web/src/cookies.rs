//! The few cookies Sealpost sets, read and written without a cookie framework.
//!
//! | name | holds | lifetime |
//! |---|---|---|
//! | `sp_session` | the random session token (stored hashed server-side) | browser session |
//! | `sp_pre` | the CSRF token of forms shown before login | browser session |
//! | `sp_lang` | the language chosen with the switch | one year |
//! | `sp_flash` | a one-shot confirmation shown after a redirect | until shown |
//! | `sp_device` | a remembered device ("Remember me on this device", stored hashed) | the envelope profile's days |
//!
//! All are `HttpOnly; SameSite=Lax; Path=/`. Served over HTTPS they are also
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
    let wanted = wire_name(name, secure);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == wanted)
        .map(|(_, value)| value)
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
