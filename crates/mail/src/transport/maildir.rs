//! The `.eml` directory: "sending" writes one file per message.
//!
//! The default transport when no SMTP relay is configured. Each message becomes
//! `<dir>/<yyyymmddThhmmss>-<message id>.eml` (UTC; the Message-ID with anything
//! but letters, digits, `.`, `-` and `_` replaced by `_`), written atomically: a
//! temporary file in the same directory is written, flushed to disk and renamed, and
//! the directory itself is synced, so a reader never sees half a message and a crash
//! never leaves one behind. A redelivery of the same message in the same second
//! replaces the file with identical bytes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use sealpost_domain::ports::Clock;
use sealpost_domain::types::EmailAddress;

use super::{SendError, Transport, message_id_of};
use crate::timefmt;

/// Writes messages as `.eml` files into a directory (created when missing).
pub struct MailDir {
    /// Where the files go.
    dir: PathBuf,
    /// Dates the file names.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MailDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailDir")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl MailDir {
    /// A transport writing into `dir` (for example `<data dir>/mail`). The directory
    /// is created on the first message, so a read-only mistake shows up in the
    /// outbox's `last_error` and in the log rather than at startup.
    pub fn new(dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self { dir: dir.into(), clock }
    }

    /// The directory messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The file-name-safe form of a Message-ID.
fn sanitize(message_id: &str) -> String {
    message_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect()
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // Only two writers in the same directory at the same instant could collide;
        // the process id and the clock's nanoseconds keep even that apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        return format!("{:x}-{nanos:x}", std::process::id());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `raw` to `path` through a synced temporary file and a rename.
fn write_atomically(dir: &Path, path: &Path, raw: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".tmp-{}.eml.part", random_suffix()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(raw)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        // Make the rename itself durable (POSIX); other systems cannot open a directory.
        if let Ok(directory) = std::fs::File::open(dir) {
            let _ = directory.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[async_trait]
impl Transport for MailDir {
    async fn send(&self, to: &EmailAddress, _envelope_from: &str, raw: &[u8]) -> Result<(), SendError> {
        let message_id = message_id_of(raw).unwrap_or_else(|| format!("no-message-id-{}", random_suffix()));
        let name = format!(
            "{}-{}.eml",
            timefmt::compact_utc(self.clock.now()),
            sanitize(&message_id)
        );
        let dir = self.dir.clone();
        let path = dir.join(name);
        let raw = raw.to_vec();
        let written = path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&dir, &written, &raw))
            .await
            .map_err(|e| SendError::Transient(format!("the file writer stopped: {e}")))?
            .map_err(|e| {
                SendError::Transient(format!(
                    "could not write {} (check that the mail directory is writable and the disk not full): {e}",
                    path.display()
                ))
            })?;
        tracing::info!(path = %path.display(), %to, message_id, "mail written to the mail directory");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_become_safe_file_names() {
        assert_eq!(sanitize("0af3@mail.example.com"), "0af3_mail.example.com");
        assert_eq!(sanitize("../../etc/passwd"), ".._.._etc_passwd");
        assert!(!sanitize("a/b\\c").contains(['/', '\\']));
    }
}
