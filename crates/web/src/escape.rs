//! HTML escaping of long text, found with `memchr`'s vector search.
//!
//! Templates auto-escape everything they show; askama's escaper looks at one byte
//! after another, which for a message body of 100 KB was the largest single cost
//! of the message page. [`EscapedText`] escapes the same five characters into the
//! same entities (`&#38;` `&#60;` `&#62;` `&#34;` `&#39;`): it finds the next of
//! them with `memchr3` (`& < >`) and `memchr2` (`" '`), which compare 16 or 32
//! bytes at a time, and writes the clean run before it in one piece, straight into
//! the page (no escaped copy is built first). askama writes it as it is (it is
//! [`HtmlSafe`](askama::filters::HtmlSafe)). Use it only where a profile shows
//! escaping; everywhere else the template's own escaping is the rule.

use std::fmt;

/// Text shown escaped for HTML (element content and quoted attribute values),
/// escaped as it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscapedText<'a>(&'a str);

impl<'a> EscapedText<'a> {
    /// `text`, to be escaped when shown.
    pub fn new(text: &'a str) -> Self {
        Self(text)
    }

    /// How many bytes the text has before escaping (what a page reserves for it).
    pub fn unescaped_len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Display for EscapedText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, bytes) = (self.0, self.0.as_bytes());
        let markup = |from: usize| {
            bytes
                .get(from..)
                .and_then(|rest| memchr::memchr3(b'&', b'<', b'>', rest))
                .map(|at| at + from)
        };
        let quote = |from: usize| {
            bytes
                .get(from..)
                .and_then(|rest| memchr::memchr2(b'"', b'\'', rest))
                .map(|at| at + from)
        };
        let (mut next_markup, mut next_quote) = (markup(0), quote(0));
        let mut start = 0;
        loop {
            let at = match (next_markup, next_quote) {
                (None, None) => break,
                (Some(at), None) | (None, Some(at)) => at,
                (Some(a), Some(b)) => a.min(b),
            };
            // The five characters are ASCII, so `at` and `at + 1` are character
            // boundaries.
            f.write_str(text.get(start..at).unwrap_or_default())?;
            f.write_str(bytes.get(at).copied().and_then(entity).unwrap_or_default())?;
            start = at + 1;
            if next_markup == Some(at) {
                next_markup = markup(start);
            } else {
                next_quote = quote(start);
            }
        }
        f.write_str(text.get(start..).unwrap_or_default())
    }
}

impl askama::filters::HtmlSafe for EscapedText<'_> {}

/// The entity askama writes for `byte`, if it is one of the five it escapes.
fn entity(byte: u8) -> Option<&'static str> {
    match byte {
        b'&' => Some("&#38;"),
        b'<' => Some("&#60;"),
        b'>' => Some("&#62;"),
        b'"' => Some("&#34;"),
        b'\'' => Some("&#39;"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn askama(text: &str) -> String {
        askama::filters::escape(text, askama::filters::Html)
            .map(|safe| safe.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn escapes_exactly_as_the_templates_do() {
        let samples = [
            "",
            "plain text without anything to escape, longer than eight bytes",
            "<script>alert('x') && \"y\"</script>",
            "&&&&&&&&&&&&&&&&&",
            "ünïcödé <b> 🦘 'quoted' & done>",
            "a<",
            ">b",
            "12345678<12345678>",
        ];
        for text in samples {
            assert_eq!(EscapedText::new(text).to_string(), askama(text), "{text:?}");
        }
    }

    #[test]
    fn every_position_of_every_special_character_is_escaped() {
        for special in ['&', '<', '>', '"', '\''] {
            for at in 0..70 {
                let mut text: String = "é".repeat(3) + &"x".repeat(at);
                text.push(special);
                text.push_str("tail text");
                assert_eq!(EscapedText::new(&text).to_string(), askama(&text), "{text:?}");
            }
        }
    }
}
