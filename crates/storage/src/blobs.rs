//! The blob store: sealed payload parts, kept by the `object_store` crate.
//!
//! [`ObjectBlobStore`] works over any [`ObjectStore`]: a local directory by default
//! ([`ObjectBlobStore::local`]), or an S3-compatible bucket for scale-out, built with
//! `object_store::aws::AmazonS3Builder` (crate feature `aws`) and handed to
//! [`ObjectBlobStore::new`]. Nothing else changes between the two.
//!
//! Memory stays bounded whatever the blob's size: a [`BlobWriter`] uploads in parts
//! of [`PART_SIZE`] (the S3 multipart minimum), with at most [`MAX_PARTS_IN_FLIGHT`]
//! parts under way, and a [`BlobReader`] hands out the store's stream chunk by chunk.
//! A blob becomes visible only when its writer finishes (the local store writes to a
//! staging file and renames it; S3 completes the multipart upload).
//!
//! Interrupted writes: the local store's staging file (`<key>#<n>`) is invisible to
//! listings, so a process killed mid-upload would leave it for ever;
//! [`BlobStore::delete_prefix`] deletes such files too, which is how the clean-up of
//! abandoned uploads reaches them. On S3 an interrupted multipart upload is not an
//! object either: give the bucket a lifecycle rule that aborts incomplete multipart
//! uploads after a day.
//!
//! A full disk (`ENOSPC`) is [`DomainError::Unavailable`], logged once when writes
//! start failing and once when they work again, like the database's.
//!
//! Keys look like `<public id in hex>/<part>`. They are checked before use
//! ([`validate_key`]): only ASCII letters, digits, `.`, `_`, `-` and `/` between
//! non-empty segments, no `.` or `..` segment, no leading `/`, so no key can reach
//! outside the store's directory.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sealpost_domain::error::DomainError;
use sealpost_domain::ports::{BlobReader, BlobStore, BlobWriter};

use crate::{SqlStore, WriteHealth, is_storage_full};

/// The blob store, as named in the log lines of [`WriteHealth`].
const BLOBS: &str = "blob store";

/// The size of each uploaded part: 5 MiB, the smallest part S3 accepts.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

/// Parts uploaded at once by one writer. With the part being filled, a writer holds
/// at most `(MAX_PARTS_IN_FLIGHT + 1) * PART_SIZE` bytes plus the chunk it was given.
pub const MAX_PARTS_IN_FLIGHT: usize = 2;

/// The largest local file [`read_local`] reads on the calling thread.
const READ_INLINE_MAX: u64 = 256 * 1024;

/// Reads a local file whole. Every opened message reads its content here, and
/// handing the read to a blocking thread and back cost more than the read
/// itself (a third of the page view's thread wake-ups, measured under `wrk`),
/// so a file of at most [`READ_INLINE_MAX`] bytes, read from the page cache in
/// microseconds, is read on the calling thread, as SQLite's pages are
/// ([`crate::readers`]); a larger one, in one hand-off to a blocking thread
/// (object_store would take two: open, then read).
async fn read_local(file: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let opened = std::fs::File::open(file)?;
    let len = opened.metadata()?.len();
    if len > READ_INLINE_MAX {
        return tokio::task::spawn_blocking(move || read_whole(opened, len))
            .await
            .map_err(std::io::Error::other)?;
    }
    read_whole(opened, len)
}

/// Reads an opened file of `len` bytes whole, into a buffer of one byte more, so
/// that the read ending the file needs no second allocation (a file grown
/// meanwhile is still read whole).
fn read_whole(mut file: std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The longest key accepted.
const MAX_KEY_LEN: usize = 512;

/// The [`BlobStore`] over an [`ObjectStore`]. Cheap to clone: clones share the store.
#[derive(Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    /// The directory of a local store, whose staging files of interrupted writes
    /// only a look at the directory finds; `None` for other stores.
    local_root: Option<PathBuf>,
    /// Whether writes currently fail for want of space.
    health: Arc<WriteHealth>,
}

impl fmt::Debug for ObjectBlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectBlobStore({})", self.store)
    }
}

impl ObjectBlobStore {
    /// Blobs under any object store: S3, or a wrapped store in tests.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            local_root: None,
            health: Arc::default(),
        }
    }

    /// Blobs as files under `dir`, which is created when missing. Writes are synced
    /// to disk before they count as finished, as a remote store's are durable, and
    /// directories emptied by deletions are removed.
    pub fn local(dir: impl AsRef<std::path::Path>) -> anyhow::Result<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "while creating the blob directory {}; check the permissions of its parent",
                dir.display()
            )
        })?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .with_context(|| format!("while opening the blob directory {}", dir.display()))?
            .with_fsync(true)
            .with_automatic_cleanup(true);
        let root = dir
            .canonicalize()
            .with_context(|| format!("while resolving the blob directory {}", dir.display()))?;
        Ok(Self {
            local_root: Some(root),
            ..Self::new(Arc::new(store))
        })
    }

    /// Reports full-disk refusals to the same health as `store`'s database (one
    /// outage, one pair of log lines, seen by `/healthz`), as both usually share a
    /// disk and either being full stops the service's writes.
    pub fn reporting_to(mut self, store: &SqlStore) -> Self {
        self.health = Arc::clone(&store.health);
        self
    }

    /// Deletes the staging files that interrupted writes of keys starting with
    /// `prefix` left in a local store: `<key>#<digits>`, which listings skip.
    async fn delete_staging_files(&self, prefix: &str) -> Result<(), DomainError> {
        let Some(root) = self.local_root.clone() else {
            return Ok(());
        };
        let (folder, name_prefix) = match prefix.rsplit_once('/') {
            Some((folder, name)) => (root.join(folder), name.to_owned()),
            None => (root, prefix.to_owned()),
        };
        let removed = tokio::task::spawn_blocking(move || remove_staging_files(&folder, &name_prefix))
            .await
            .map_err(DomainError::internal)?;
        removed.map_err(DomainError::internal)
    }
}

/// Removes `<name>#<digits>` files in `folder` whose name starts with `name_prefix`,
/// then the folder itself if that emptied it. A missing folder has nothing to remove.
fn remove_staging_files(folder: &std::path::Path, name_prefix: &str) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    let mut removed_any = false;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let staging = name.starts_with(name_prefix)
            && name
                .rsplit_once('#')
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if staging && entry.file_type()?.is_file() {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed_any = true,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
    }
    // Only when empty; a folder still holding other blobs stays. A whole folder
    // being deleted (`name_prefix` empty) goes even if it held nothing: a process
    // killed between creating it and writing its first file left it so.
    if removed_any || name_prefix.is_empty() {
        let _ = std::fs::remove_dir(folder);
    }
    Ok(())
}

/// A key that is not of the expected shape: a bug in the caller, never user input.
#[derive(Debug)]
pub struct InvalidBlobKey(pub String);

impl fmt::Display for InvalidBlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid blob key {:?}: expected segments of ASCII letters, digits, '.', '_' or '-' \
             separated by '/', without '.' or '..' segments or a leading '/'",
            self.0
        )
    }
}

impl std::error::Error for InvalidBlobKey {}

/// Checks a key and turns it into an object store path. Anything that could escape
/// the store's root, or that the store would rewrite, is refused as
/// [`DomainError::Internal`] with [`InvalidBlobKey`].
pub fn validate_key(key: &str) -> Result<Path, DomainError> {
    parse_key(key, false)
}

/// [`validate_key`], or with `prefix` the same rules for a key prefix, which may end
/// in `/`.
fn parse_key(key: &str, prefix: bool) -> Result<Path, DomainError> {
    let invalid = || DomainError::internal(InvalidBlobKey(key.to_owned()));
    let body = if prefix {
        key.strip_suffix('/').unwrap_or(key)
    } else {
        key
    };
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    let segments_ok = body
        .split('/')
        .all(|segment| !segment.is_empty() && segment != "." && segment != ".." && segment.bytes().all(allowed));
    if body.is_empty() || key.len() > MAX_KEY_LEN || !segments_ok {
        return Err(invalid());
    }
    Path::parse(body).map_err(|_| invalid())
}

/// Maps an object store failure: a missing object is [`DomainError::NotFound`], a
/// full disk [`DomainError::Unavailable`].
fn blob_error(error: object_store::Error) -> DomainError {
    match error {
        object_store::Error::NotFound { .. } => DomainError::NotFound,
        other if is_storage_full(&other) => DomainError::unavailable(other),
        other => DomainError::internal(other),
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn writer(&self, key: &str) -> Result<Box<dyn BlobWriter>, DomainError> {
        let path = validate_key(key)?;
        let upload = self
            .health
            .watch(BLOBS, self.store.put_multipart(&path).await.map_err(blob_error))?;
        Ok(Box::new(ObjectBlobWriter {
            upload: WriteMultipart::new_with_chunk_size(upload, PART_SIZE),
            health: Arc::clone(&self.health),
        }))
    }

    async fn reader(&self, key: &str) -> Result<Box<dyn BlobReader>, DomainError> {
        let path = validate_key(key)?;
        let found = self.store.get(&path).await.map_err(blob_error)?;
        Ok(Box::new(ObjectBlobReader {
            stream: found.into_stream(),
        }))
    }

    // perf: one read of the whole file instead of one per 8 KiB chunk, and no
    // hand-off at all when it is small.
    async fn read_all(&self, key: &str) -> Result<Vec<u8>, DomainError> {
        let path = validate_key(key)?;
        if let Some(root) = &self.local_root {
            return read_local(&root.join(path.as_ref()))
                .await
                .map_err(|error| match error.kind() {
                    std::io::ErrorKind::NotFound => DomainError::NotFound,
                    _ => DomainError::internal(error),
                });
        }
        let found = self.store.get(&path).await.map_err(blob_error)?;
        Ok(found.bytes().await.map_err(blob_error)?.into())
    }

    async fn delete(&self, key: &str) -> Result<(), DomainError> {
        match self.store.delete(&validate_key(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(DomainError::internal(error)),
        }
    }

    /// Deletes every blob whose key starts with `prefix` (as a string: `ab/1` takes
    /// `ab/1` and `ab/10`). The listing covers only the folder the prefix ends in, so
    /// pass `<public id>/` to delete one message's parts cheaply. An empty prefix is
    /// refused rather than taken as "everything". Staging files of interrupted
    /// writes under the prefix go too.
    async fn delete_prefix(&self, prefix: &str) -> Result<(), DomainError> {
        parse_key(prefix, true)?;
        let folder = match prefix.rsplit_once('/') {
            Some((folder, _)) => Some(Path::parse(folder).map_err(DomainError::internal)?),
            None => None,
        };
        let wanted = prefix.to_owned();
        let locations = self
            .store
            .list(folder.as_ref())
            .map_ok(|meta| meta.location)
            .try_filter(move |location| std::future::ready(location.as_ref().starts_with(wanted.as_str())))
            .boxed();
        let mut deleted = self.store.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            match result {
                // Deleted meanwhile by someone else: that one's goal is reached; go on.
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(DomainError::internal(error)),
            }
        }
        self.delete_staging_files(prefix).await
    }
}

/// Uploads one blob in parts of [`PART_SIZE`].
struct ObjectBlobWriter {
    upload: WriteMultipart,
    health: Arc<WriteHealth>,
}

#[async_trait]
impl BlobWriter for ObjectBlobWriter {
    async fn write(&mut self, chunk: Vec<u8>) -> Result<(), DomainError> {
        // Back pressure: wait for a part to finish before buffering more.
        let capacity = self.upload.wait_for_capacity(MAX_PARTS_IN_FLIGHT).await;
        self.health.watch(BLOBS, capacity.map_err(blob_error))?;
        self.upload.put(Bytes::from(chunk));
        Ok(())
    }

    async fn finish(self: Box<Self>) -> Result<(), DomainError> {
        let health = self.health;
        health.watch(BLOBS, self.upload.finish().await.map_err(blob_error))?;
        health.accepted();
        Ok(())
    }

    async fn abort(self: Box<Self>) {
        // Best effort: the staging file or multipart upload is garbage either way.
        let _ = self.upload.abort().await;
    }
}

/// Streams one blob.
struct ObjectBlobReader {
    stream: BoxStream<'static, object_store::Result<Bytes>>,
}

#[async_trait]
impl BlobReader for ObjectBlobReader {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, DomainError> {
        match self.stream.next().await {
            Some(Ok(bytes)) => Ok(Some(Vec::from(bytes))),
            Some(Err(error)) => Err(blob_error(error)),
            None => Ok(None),
        }
    }
}
