//! One attachment streaming into a draft: sealed chunk by chunk as it arrives,
//! kept in memory while the message may still keep its parts in its row, moved to
//! the blob store once it outgrows that room; and the taming of its name and type.

use super::super::*;
use super::Draft;

/// One attachment streaming into a draft: sealed as it arrives, never whole in memory.
pub struct AttachmentUpload {
    meta: AttachmentMeta,
    /// `None` once finished.
    sealer: Option<Sealer>,
    writer: Option<Box<dyn BlobWriter>>,
    memory: Option<Vec<u8>>,
    /// Where the part goes should it outgrow the room left in the message's row
    /// (a message whose parts go to the blob store); `None` in envelope mode.
    pub(super) spill: Option<Spill>,
    sealed_len: u64,
    limit: u64,
}

/// How an attachment kept in memory moves to the blob store once the message no
/// longer fits in its row: the upload is noted first (so that a crash leaves no
/// blob nobody knows of), then what was kept is written and the rest follows.
pub(super) struct Spill {
    pub(super) blobs: Arc<dyn BlobStore>,
    pub(super) store: Arc<dyn crate::ports::Store>,
    pub(super) public_id: PublicId,
    pub(super) key: String,
    pub(super) now: Timestamp,
    /// Sealed bytes this part may still hold in memory.
    pub(super) room: u64,
    /// Whether the draft's upload is noted (before, or by this spill).
    pub(super) noted: bool,
}

impl AttachmentUpload {
    /// A part `meta` sealed by `sealer`, kept in memory until it outgrows the
    /// row's room (see [`Spill`], set by the caller where the message stores its
    /// payload), refused past `limit` bytes.
    pub(super) fn new(meta: AttachmentMeta, sealer: Sealer, limit: u64) -> Self {
        Self {
            meta,
            sealer: Some(sealer),
            writer: None,
            memory: Some(Vec::new()),
            spill: None,
            sealed_len: 0,
            limit,
        }
    }

    /// Counts, and keeps or writes, the next sealed bytes (the header first).
    pub(super) async fn emit(&mut self, sealed: Vec<u8>) -> Result<(), DomainError> {
        self.sealed_len += sealed.len() as u64;
        if self.memory.is_some() && self.spill.as_ref().is_some_and(|s| self.sealed_len > s.room) {
            self.spill_to_blob().await?;
        }
        if let Some(writer) = self.writer.as_mut() {
            if !sealed.is_empty() {
                writer.write(sealed).await?;
            }
        } else if let Some(memory) = self.memory.as_mut() {
            memory.extend_from_slice(&sealed);
        }
        Ok(())
    }

    /// Moves the part kept in memory to the blob store; the rest follows it there.
    async fn spill_to_blob(&mut self) -> Result<(), DomainError> {
        let (Some(spill), Some(kept)) = (self.spill.as_mut(), self.memory.take()) else {
            return Ok(());
        };
        if !spill.noted {
            spill.store.begin_upload(&spill.public_id, spill.now).await?;
            spill.noted = true;
        }
        let mut writer = spill.blobs.writer(&spill.key).await?;
        if !kept.is_empty()
            && let Err(error) = writer.write(kept).await
        {
            writer.abort().await;
            return Err(error);
        }
        self.writer = Some(writer);
        Ok(())
    }

    /// Seals and stores the next chunk; refuses once the message's limit is passed.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), DomainError> {
        self.meta.size += chunk.len() as u64;
        if self.meta.size > self.limit {
            return Err(DomainError::invalid(
                "attachments",
                ValidationError::AttachmentsTooLarge,
            ));
        }
        let sealed = self.sealer.as_mut().map(|s| s.push(chunk)).unwrap_or_default();
        self.emit(sealed).await
    }

    /// Finishes the attachment and adds it to the draft.
    pub async fn finish(mut self, draft: &mut Draft) -> Result<(), DomainError> {
        if let Some(sealer) = self.sealer.take() {
            let last = sealer.finish().map_err(DomainError::internal)?;
            self.emit(last).await?;
        }
        if let Some(writer) = self.writer.take() {
            writer.finish().await?;
        }
        if let Some(memory) = self.memory.take() {
            draft.in_memory.push((self.meta.part, memory));
        }
        if let Some(spill) = &self.spill {
            draft.upload_noted |= spill.noted;
        }
        draft.sealed_len += self.sealed_len;
        draft.plain_len += self.meta.size;
        draft.attachments.push(self.meta);
        Ok(())
    }

    /// Drops a half-uploaded attachment. An upload it noted stays noted until the
    /// draft is discarded, which deletes what it wrote.
    pub async fn abort(mut self) {
        if let Some(writer) = self.writer.take() {
            writer.abort().await;
        }
    }
}

/// A file name safe to show and to send in `Content-Disposition`.
pub(super) fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && !is_bidi_control(*c))
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

/// The invisible characters that reorder text: in a file name they make
/// `invoice\u{202e}fdp.exe` look like `invoiceexe.pdf`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A content type of the form `type/subtype`, else `application/octet-stream`.
pub(super) fn sanitize_content_type(content_type: &str) -> String {
    let value = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let ok = value.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "/+-.".contains(c))
    });
    if ok {
        value
    } else {
        "application/octet-stream".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redirect::safe_next;

    #[test]
    fn attachment_names_and_types_are_tamed() {
        assert_eq!(
            sanitize_file_name("C:\\\\Users\\\\x\\\\report \"final\".pdf"),
            "report final.pdf"
        );
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name(""), "attachment");
        assert_eq!(sanitize_content_type("text/plain; charset=utf-8"), "text/plain");
        assert_eq!(sanitize_content_type("<script>"), "application/octet-stream");
        assert_eq!(safe_next("//evil.example"), "/portal");
        assert_eq!(safe_next("/m/abc"), "/m/abc");
    }

    #[test]
    fn attachment_names_lose_the_characters_that_reorder_text() {
        assert_eq!(sanitize_file_name("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
        assert_eq!(sanitize_file_name("\u{2067}a\u{2069}\u{200f}b.txt\u{061c}"), "ab.txt");
        assert_eq!(sanitize_file_name("Zürich – été.pdf"), "Zürich – été.pdf");
    }
}
