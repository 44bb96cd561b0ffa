//! The blob port: where sealed payload parts are kept (a local directory by
//! default, S3 by construction), written and read in chunks.

use async_trait::async_trait;

use crate::error::DomainError;

/// Writes one blob in chunks (bounded memory).
#[async_trait]
pub trait BlobWriter: Send {
    /// Appends a chunk.
    async fn write(&mut self, chunk: Vec<u8>) -> Result<(), DomainError>;
    /// Makes the blob durable and visible.
    async fn finish(self: Box<Self>) -> Result<(), DomainError>;
    /// Drops a half-written blob.
    async fn abort(self: Box<Self>);
}

/// Reads one blob in chunks.
#[async_trait]
pub trait BlobReader: Send {
    /// The next chunk, `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, DomainError>;
}

/// Where sealed payload parts are kept. Keys look like `<public id>/<part>`.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Starts writing the blob `key` (replacing any previous one).
    async fn writer(&self, key: &str) -> Result<Box<dyn BlobWriter>, DomainError>;
    /// Reads the blob `key`; `NotFound` if absent.
    async fn reader(&self, key: &str) -> Result<Box<dyn BlobReader>, DomainError>;
    /// Deletes the blob `key`; deleting a missing one is no error.
    async fn delete(&self, key: &str) -> Result<(), DomainError>;
    /// Deletes every blob whose key starts with `prefix`.
    async fn delete_prefix(&self, prefix: &str) -> Result<(), DomainError>;
    /// Reads the whole blob `key` into memory; `NotFound` if absent. For parts
    /// small enough to hold (a message's content part), in one read rather than
    /// chunk by chunk; large ones stream through [`BlobStore::reader`].
    async fn read_all(&self, key: &str) -> Result<Vec<u8>, DomainError> {
        let mut reader = self.reader(key).await?;
        let mut out = Vec::new();
        while let Some(chunk) = reader.next_chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}
