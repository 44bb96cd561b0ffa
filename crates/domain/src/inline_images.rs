//! Inline images of an HTML body (RFC 2392 `cid:` URLs).
//!
//! A mail's HTML points at the images sent with it by their `Content-ID`
//! (`<img src="cid:logo@example.com">`). When the SMTP gateway seals such a mail,
//! each reference to one of its own parts is written as `cid:sealpost-part-N`, N
//! the part the image is stored as ([`point_at_part`]); whoever shows the body
//! finds those parts ([`parts_in`]) and puts the images in (`web` writes them
//! into the page as `data:` URLs, so the body's sandboxed frame fetches
//! nothing). A reference to anything else stays as written and shows nothing.

/// What a reference to part N starts with.
const PREFIX: &str = "cid:sealpost-part-";

/// How many inline images one body shows at most.
pub const MAX_IMAGES: usize = 32;

/// The `cid:` URL of part `part`.
pub fn part_url(part: u32) -> String {
    format!("{PREFIX}{part}")
}

/// Whether `c` ends a URL written in HTML (an attribute's quote, white space,
/// the tag's end, or CSS's closing parenthesis).
fn ends_url(c: char) -> bool {
    matches!(c, '"' | '\'' | '>' | ')' | '<') || c.is_whitespace()
}

/// `body` with every `cid:` reference to Content-ID `content_id` (angle
/// brackets or not; the reference may %-escape, as RFC 2392 says) written as
/// [`part_url`]`(part)`.
pub fn point_at_part(body: &str, content_id: &str, part: u32) -> String {
    let wanted = content_id.trim().trim_start_matches('<').trim_end_matches('>');
    if wanted.is_empty() {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = find_scheme(rest) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let url_len = from.find(ends_url).unwrap_or(from.len());
        let (url, after) = from.split_at(url_len);
        if percent_decoded(&url[4..]).as_deref() == Some(wanted) {
            out.push_str(&part_url(part));
        } else {
            out.push_str(url);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The parts `body` points at ([`part_url`]), in order of first mention, each
/// once, [`MAX_IMAGES`] at most.
pub fn parts_in(body: &str) -> Vec<u32> {
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find(PREFIX) {
        let digits = &rest[at + PREFIX.len()..];
        let len = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
        if let Ok(part) = digits[..len].parse::<u32>()
            && !parts.contains(&part)
            && parts.len() < MAX_IMAGES
        {
            parts.push(part);
        }
        rest = &digits[len..];
    }
    parts
}

/// Where the next `cid:` (any case) that begins a URL starts in `text`: at the
/// start, or after a quote, `=`, `(` or white space (not inside another URL).
fn find_scheme(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(3)).find(|&at| {
        bytes[at..at + 4].eq_ignore_ascii_case(b"cid:")
            && (at == 0 || matches!(bytes[at - 1], b'"' | b'\'' | b'=' | b'(') || bytes[at - 1].is_ascii_whitespace())
    })
}

/// `text` with `%XX` escapes decoded; `None` when that is not UTF-8.
fn percent_decoded(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_to_a_content_id_point_at_its_part_and_nothing_else_changes() {
        let body = r#"<p>Hi</p><img src="cid:logo@example.com"><img src='CID:logo@example.com' alt=x>
<img src="cid:logo@example.com.evil"><img src="cid:other@example.com"><a href="https://example.com/cid:logo@example.com">x</a>"#;
        let pointed = point_at_part(body, "<logo@example.com>", 3);
        assert_eq!(
            pointed,
            r#"<p>Hi</p><img src="cid:sealpost-part-3"><img src='cid:sealpost-part-3' alt=x>
<img src="cid:logo@example.com.evil"><img src="cid:other@example.com"><a href="https://example.com/cid:logo@example.com">x</a>"#
        );
        assert_eq!(parts_in(&pointed), [3]);
    }

    #[test]
    fn a_percent_escaped_reference_is_the_same_id() {
        let pointed = point_at_part(r#"<img src="cid:image%20001@mail">"#, "image 001@mail", 1);
        assert_eq!(pointed, r#"<img src="cid:sealpost-part-1">"#);
    }

    #[test]
    fn parts_are_listed_once_in_order_and_bounded() {
        let body = "cid:sealpost-part-2 cid:sealpost-part-1 cid:sealpost-part-2 cid:sealpost-part-x cid:sealpost-part-99999999999";
        assert_eq!(parts_in(body), [2, 1]);
        let many: String = (1..=100).map(|n| format!("<img src=\"{}\">", part_url(n))).collect();
        assert_eq!(parts_in(&many).len(), MAX_IMAGES);
        assert_eq!(point_at_part("no references", "", 1), "no references");
    }
}
