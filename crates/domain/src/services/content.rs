//! The plaintext layout of a message's content part (part 0) before sealing:
//! subject, body and the list of attachments. It only ever exists in memory.
//!
//! Layout (all integers big-endian): version `2` (u8) · body format (u8: 0 plain
//! text, 1 HTML) · subject (u32 length + UTF-8) · body (u32 length + UTF-8) ·
//! attachment count (u32) · for each: part (u32), name (u32 length + UTF-8), content
//! type (u32 length + UTF-8), size (u64). Version `1` (no format byte, plain text)
//! is still read.
//!
//! Also here: the payload container an envelope file carries ([`pack_parts`],
//! [`unpack_parts`]). Both layouts are specified, with an example, in
//! `docs/ENVELOPE-FORMAT.md`, "What the envelope file carries"; `property` and
//! the cargo-fuzz targets in `fuzz/` check that neither parser panics.

/// An attachment as the content part lists it; its bytes are sealed part `part`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub part: u32,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// How a body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyFormat {
    /// Shown as typed, escaped.
    #[default]
    Text,
    /// Sanitized when shown, in a sandboxed frame without scripts.
    Html,
}

/// A message's readable content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    pub subject: String,
    pub body: String,
    pub format: BodyFormat,
    pub attachments: Vec<AttachmentMeta>,
}

impl Content {
    /// The body as plain text (tags of an HTML body removed), for quoting in replies.
    pub fn body_text(&self) -> String {
        match self.format {
            BodyFormat::Text => self.body.clone(),
            BodyFormat::Html => html_to_text(&self.body),
        }
    }
}

/// A rough plain-text rendering of HTML: block ends become line breaks, tags go,
/// the common entities are decoded.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        if ["br", "p", "div", "li", "tr", "h1", "h2", "h3"]
            .iter()
            .any(|t| tag == *t || tag.starts_with(&format!("{t} ")))
        {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&u32::try_from(text.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_be_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_be_bytes)
    }

    fn text(&mut self) -> Option<String> {
        let len = usize::try_from(self.u32()?).ok()?;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

impl Content {
    /// The bytes to seal.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![2u8, u8::from(self.format == BodyFormat::Html)];
        put_text(&mut out, &self.subject);
        put_text(&mut out, &self.body);
        out.extend_from_slice(&u32::try_from(self.attachments.len()).unwrap_or(u32::MAX).to_be_bytes());
        for a in &self.attachments {
            out.extend_from_slice(&a.part.to_be_bytes());
            put_text(&mut out, &a.name);
            put_text(&mut out, &a.content_type);
            out.extend_from_slice(&a.size.to_be_bytes());
        }
        out
    }

    /// Reads [`Content::encode`]'s output; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut c = Cursor(bytes);
        let format = match c.take(1)? {
            [1] => BodyFormat::Text,
            [2] => match c.take(1)? {
                [0] => BodyFormat::Text,
                [1] => BodyFormat::Html,
                _ => return None,
            },
            _ => return None,
        };
        let subject = c.text()?;
        let body = c.text()?;
        let count = c.u32()?;
        let mut attachments = Vec::new();
        for _ in 0..count {
            attachments.push(AttachmentMeta {
                part: c.u32()?,
                name: c.text()?,
                content_type: c.text()?,
                size: c.u64()?,
            });
        }
        c.0.is_empty().then_some(Self {
            subject,
            body,
            format,
            attachments,
        })
    }
}

/// The most parts a payload container may hold. Each part read costs a
/// buffer of its own, so a forged container of many empty parts must not grow
/// one past this.
pub const MAX_PARTS: u32 = 10_000;

/// The envelope's payload: the sealed parts of a message, concatenated with their
/// indexes and lengths: magic `SPC1` · count (u32) · for each: part (u32), length
/// (u64), sealed bytes. [`unpack_parts`] reads at most [`MAX_PARTS`] parts.
pub fn pack_parts(parts: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = b"SPC1".to_vec();
    out.extend_from_slice(&u32::try_from(parts.len()).unwrap_or(u32::MAX).to_be_bytes());
    for (part, bytes) in parts {
        out.extend_from_slice(&part.to_be_bytes());
        out.extend_from_slice(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

/// Reads [`pack_parts`]'s output; `None` when malformed, or when it claims more
/// than [`MAX_PARTS`] parts. Exactly one byte string reads as a given list of parts.
pub fn unpack_parts(bytes: &[u8]) -> Option<Vec<(u32, Vec<u8>)>> {
    let mut c = Cursor(bytes);
    if c.take(4)? != b"SPC1" {
        return None;
    }
    let count = c.u32()?;
    if count > MAX_PARTS {
        return None;
    }
    let mut parts = Vec::new();
    for _ in 0..count {
        let part = c.u32()?;
        let len = usize::try_from(c.u64()?).ok()?;
        parts.push((part, c.take(len)?.to_vec()));
    }
    c.0.is_empty().then_some(parts)
}

#[cfg(test)]
mod property;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_round_trips_and_rejects_garbage() {
        let content = Content {
            subject: "Quarterly figures — Q3".into(),
            body: "Hello,\nsee attached.\n".into(),
            format: BodyFormat::Text,
            attachments: vec![AttachmentMeta {
                part: 1,
                name: "report.pdf".into(),
                content_type: "application/pdf".into(),
                size: 12345,
            }],
        };
        let bytes = content.encode();
        assert_eq!(Content::decode(&bytes), Some(content));
        assert_eq!(Content::decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Content::decode(b"\x03"), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Content::decode(&longer), None);
    }

    #[test]
    fn html_bodies_round_trip_and_quote_as_text() {
        let content = Content {
            subject: "S".into(),
            body: "<p>Hi &amp; <b>bye</b></p><p>x</p>".into(),
            format: BodyFormat::Html,
            attachments: vec![],
        };
        assert_eq!(Content::decode(&content.encode()), Some(content.clone()));
        assert_eq!(content.body_text().trim(), "Hi & bye\n\nx");
        // Version 1 (before formats) still reads, as plain text.
        let mut v1 = vec![1u8];
        for text in ["S", "B"] {
            v1.extend_from_slice(&(text.len() as u32).to_be_bytes());
            v1.extend_from_slice(text.as_bytes());
        }
        v1.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(Content::decode(&v1).map(|c| c.format), Some(BodyFormat::Text));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn the_examples_in_the_format_document_are_reproduced() {
        // docs/ENVELOPE-FORMAT.md, "What the envelope file carries".
        let content = Content {
            subject: "Hi".into(),
            body: "Hello".into(),
            format: BodyFormat::Text,
            attachments: vec![AttachmentMeta {
                part: 1,
                name: "a.txt".into(),
                content_type: "text/plain".into(),
                size: 3,
            }],
        };
        assert_eq!(
            hex(&content.encode()),
            concat!(
                "0200",
                "000000024869",
                "0000000548656c6c6f",
                "00000001",
                "00000001",
                "00000005612e747874",
                "0000000a746578742f706c61696e",
                "0000000000000003",
            )
        );
        let packed = pack_parts(&[(0, vec![0xaa, 0xbb, 0xcc]), (1, vec![])]);
        assert_eq!(
            hex(&packed),
            concat!(
                "53504331",
                "00000002",
                "00000000",
                "0000000000000003",
                "aabbcc",
                "00000001",
                "0000000000000000",
            )
        );
    }

    #[test]
    fn parts_pack_and_unpack() {
        let parts = vec![(0, b"sealed content".to_vec()), (1, vec![]), (2, vec![7; 300])];
        let packed = pack_parts(&parts);
        assert_eq!(unpack_parts(&packed), Some(parts));
        assert_eq!(unpack_parts(&packed[..packed.len() - 3]), None);
        assert_eq!(unpack_parts(b"nope"), None);
    }
}
