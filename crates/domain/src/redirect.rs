//! Redirect targets that come from links and forms (`next`, `back`): only paths
//! of this site, as a browser would resolve them.
//!
//! Checking the text is not enough: the URL standard drops tabs and newlines,
//! reads `\` as `/`, and takes `//host` (however it was spelled) for another
//! site, so `/%09/evil.example` passed a prefix check and left the site. Here a
//! target is resolved with the same WHATWG parser browsers follow, against a
//! stand-in origin; it is accepted only when it stays on that origin, is an
//! absolute path, and is already written the way the parser writes it back (so
//! what the browser receives is exactly what was checked).

use url::Url;

use crate::links::PORTAL_PATH;

/// The stand-in origin targets are resolved against.
const HERE: &str = "http://sealpost.invalid/";

/// `target` when it is a path of this site written plainly (`/m/abc?r=x`),
/// else `None`.
pub fn same_origin_path(target: &str) -> Option<&str> {
    if !target.starts_with('/') || target.starts_with("//") {
        return None;
    }
    let here = Url::parse(HERE).ok()?;
    let there = here.join(target).ok()?;
    if there.origin() != here.origin() {
        return None;
    }
    // Everything after the origin, as the parser writes it back.
    let written = there.as_str().strip_prefix(HERE.trim_end_matches('/'))?;
    (written == target && !written.starts_with("//")).then_some(target)
}

/// Where to go after logging in or activating: `next` when it is a plain path of
/// this site, else the portal's start page.
pub fn safe_next(next: &str) -> &str {
    same_origin_path(next).unwrap_or(PORTAL_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_this_site_pass_unchanged() {
        for ok in [
            "/portal",
            "/m/0123abcd?r=bob%40example.com",
            "/portal/sent?page=2#top",
            "/",
        ] {
            assert_eq!(same_origin_path(ok), Some(ok), "{ok}");
        }
    }

    #[test]
    fn what_a_browser_would_take_elsewhere_is_refused() {
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t/evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/.//evil.example",
            "/%2e//evil.example",
            "https://evil.example/",
            "https:evil.example",
            "javascript:alert(1)",
            "/\u{0}/x",
            "/ /evil.example",
            "",
            "m/relative",
        ] {
            assert_eq!(same_origin_path(bad), None, "{bad:?}");
            assert_eq!(safe_next(bad), "/portal", "{bad:?}");
        }
    }
}
