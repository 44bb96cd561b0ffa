//! HTML escaping of long text, eight bytes at a time.
//!
//! Templates auto-escape everything they show; askama's escaper looks at one byte
//! after another, which for a message body of 100 KB was the largest single cost
//! of the message page. [`EscapedText`] escapes the same five characters into the
//! same entities (`&#38;` `&#60;` `&#62;` `&#34;` `&#39;`), skipping eight clean
//! bytes per step, and askama writes the result as it is (it is
//! [`HtmlSafe`](askama::filters::HtmlSafe)). Use it only where a profile shows
//! escaping; everywhere else the template's own escaping is the rule.

use std::fmt;

/// Text escaped for HTML (element content and quoted attribute values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapedText(String);

impl EscapedText {
    /// Escapes `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len() + text.len() / 32);
        let (mut start, mut i) = (0, 0);
        while i < bytes.len() {
            if let Some(word) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
                if !has_special(word) {
                    i += 8;
                    continue;
                }
            }
            if let Some(entity) = bytes.get(i).copied().and_then(entity) {
                // The five characters are ASCII, so `i` and `i + 1` are character
                // boundaries.
                out.push_str(text.get(start..i).unwrap_or_default());
                out.push_str(entity);
                start = i + 1;
            }
            i += 1;
        }
        out.push_str(text.get(start..).unwrap_or_default());
        Self(out)
    }
}

impl fmt::Display for EscapedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for EscapedText {}

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

/// Whether any byte of `word` may be one that needs escaping (never a false
/// "no"; a rare false "yes" only sends those bytes through the slow path).
fn has_special(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    [b'&', b'<', b'>', b'"', b'\'']
        .into_iter()
        .any(|special| has_zero(word ^ (ONES * u64::from(special))))
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
            for at in 0..20 {
                let mut text: String = "é".repeat(3) + &"x".repeat(at);
                text.push(special);
                text.push_str("tail text");
                assert_eq!(EscapedText::new(&text).to_string(), askama(&text), "{text:?}");
            }
        }
    }
}
