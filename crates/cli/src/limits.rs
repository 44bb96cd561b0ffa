//! What the process asks of the operating system before serving: private files,
//! and as many open files as it is allowed.
//!
//! - [`private_files`]: everything Sealpost creates (data folder, database, blobs,
//!   `.eml` files, the master key) is readable by its own user only (umask 077);
//!   [`create_private_file`] makes a key file 0600 whatever the umask.
//! - [`raise_open_file_limit`]: every connection costs a file descriptor, so the
//!   soft `RLIMIT_NOFILE` (often 1,024) is raised to the hard limit at start.
//! - [`connection_budget`]: how many connections fit in what that limit leaves
//!   for the database, blobs and mail.

use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit, setrlimit};
use nix::sys::stat::{Mode, umask};

/// Below this many open files, `serve` warns that the limit is low.
const COMFORTABLE_OPEN_FILES: u64 = 4096;
/// The highest soft limit asked for when the hard limit is unlimited.
const OPEN_FILES_CEILING: u64 = 1 << 20;
/// Descriptors kept for the database pool (SQLite: database, WAL and shared
/// memory per connection), blobs being written, outgoing mail and logs.
const RESERVED_FILES: u64 = 256;

/// New files and folders get no permissions for group and others.
pub fn private_files() {
    umask(Mode::from_bits_truncate(0o077));
}

/// Creates `path` (and its folder), readable and writable by its owner only, with
/// `bytes` synced to disk; never replaces an existing file. `what` names it in
/// errors ("the master key file").
pub fn create_private_file(path: &std::path::Path, bytes: &[u8], what: &str) -> anyhow::Result<()> {
    use std::io::Write as _;

    use anyhow::Context as _;

    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("while creating the folder {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("while creating {what} {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("while writing {what} {}", path.display()))
}

/// Raises the soft open-file limit to the hard one; returns the limit now in force
/// (`None` when it could not be read).
pub fn raise_open_file_limit() -> Option<u64> {
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(error) => {
            tracing::warn!(%error, "could not read the open-file limit");
            return None;
        }
    };
    let wanted = if hard == RLIM_INFINITY {
        OPEN_FILES_CEILING
    } else {
        hard
    };
    if wanted <= soft {
        return Some(soft);
    }
    match setrlimit(Resource::RLIMIT_NOFILE, wanted, hard) {
        Ok(()) => {
            tracing::info!(from = soft, to = wanted, "raised the open-file limit");
            Some(wanted)
        }
        Err(error) => {
            tracing::warn!(%error, soft, hard, "could not raise the open-file limit");
            Some(soft)
        }
    }
}

/// How many connections may be open at once: `configured`, lowered to what
/// `open_files` leaves after the reserve. Warns when the limit is low.
pub fn connection_budget(open_files: Option<u64>, configured: usize) -> usize {
    let Some(open_files) = open_files else {
        return configured;
    };
    let reserve = RESERVED_FILES.min(open_files / 2);
    let fits = usize::try_from(open_files.saturating_sub(reserve))
        .unwrap_or(usize::MAX)
        .max(1);
    if open_files < COMFORTABLE_OPEN_FILES || fits < configured {
        tracing::warn!(
            open_files,
            connections = fits.min(configured),
            "the open-file limit is low: raise it (systemd: LimitNOFILE=65536; shell: ulimit -n 65536) \
             to serve more connections at once"
        );
    }
    fits.min(configured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_leave_room_for_the_database_and_files() {
        assert_eq!(connection_budget(Some(1024), 10_000), 768);
        assert_eq!(connection_budget(Some(1 << 20), 10_000), 10_000);
        assert_eq!(connection_budget(Some(100), 10_000), 50);
        assert_eq!(connection_budget(None, 500), 500);
    }
}
