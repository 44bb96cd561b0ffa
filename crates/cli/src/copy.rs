//! `sealpost copy database|blobs`: moving an installation to PostgreSQL and a
//! bucket as it grows (and back to a file and a folder while it is small).
//!
//! The database copy lives in `sealpost_storage::copy`; this file holds the
//! commands and the copy of the sealed payloads between the local folder and the
//! configured bucket. Objects are read and written through `object_store` (the
//! folder through its local store, as `serve` writes it), streamed, hashed with
//! SHA-256 on the way, and read back from the target to check size and hash.
//! A target that already holds objects is refused unless `--resume`, which skips
//! the objects already there with the same size and hash.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail};
use clap::{ArgGroup, Subcommand};
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};
use sealpost_storage::blobs::PART_SIZE;
use sealpost_storage::copy::{CopyOptions, copy_database};
use sha2::{Digest as _, Sha256};

use crate::config::Config;

/// Objects copied side by side (a bucket's latency, not its bandwidth, bounds
/// one object at a time).
const OBJECTS_IN_FLIGHT: usize = 4;

#[derive(Debug, Subcommand)]
pub enum CopyCommand {
    /// Copy the database between SQLite and PostgreSQL (either way), then verify
    /// every table's row count and checksum. Stop every `sealpost serve` first.
    Database {
        /// The database to copy; by default the configured one (--database-url).
        #[arg(long)]
        from: Option<String>,
        /// The new database: empty (the command migrates it), or holding an
        /// unfinished copy from the same source with --resume.
        #[arg(long)]
        to: String,
        /// Finish a copy that was interrupted.
        #[arg(long)]
        resume: bool,
        /// Rows read and written at once.
        #[arg(long, default_value_t = 500)]
        batch_rows: usize,
        /// Stop after this many batches (tests interrupt a copy with it).
        #[arg(long, hide = true)]
        stop_after_batches: Option<u64>,
    },
    /// Copy the sealed payloads between the local folder and the configured bucket
    /// (s3_bucket, s3_endpoint, s3_region, s3_prefix; AWS_* credentials).
    #[command(group(ArgGroup::new("direction").required(true).args(["to_bucket", "to_folder"])))]
    Blobs {
        /// From the folder into the bucket.
        #[arg(long)]
        to_bucket: bool,
        /// From the bucket into the folder.
        #[arg(long)]
        to_folder: bool,
        /// The folder; by default the configured blob_dir.
        #[arg(long)]
        folder: Option<PathBuf>,
        /// Finish a copy that was interrupted: objects already in the target with
        /// the same size and SHA-256 are skipped.
        #[arg(long)]
        resume: bool,
        /// Stop after this many objects (tests interrupt a copy with it).
        #[arg(long, hide = true)]
        stop_after: Option<u64>,
    },
}

/// Runs one copy command.
pub async fn run(config: &Config, command: CopyCommand) -> anyhow::Result<()> {
    match command {
        CopyCommand::Database {
            from,
            to,
            resume,
            batch_rows,
            stop_after_batches,
        } => {
            let from = from.unwrap_or_else(|| config.database_url.clone());
            let options = CopyOptions {
                resume,
                batch_rows,
                stop_after_batches,
            };
            let mut say = |line: String| println!("{line}");
            let tables = copy_database(&from, &to, &options, &mut say).await?;
            let rows: u64 = tables.iter().map(|t| t.rows).sum();
            println!(
                "Verified {} tables, {rows} rows: the row counts and checksums of the copy equal the source's.",
                tables.len()
            );
            println!(
                "Next: copy the payloads if they move too (`sealpost copy blobs`), set database_url to {} and start sealpost.",
                crate::redact(&to)
            );
            Ok(())
        }
        CopyCommand::Blobs {
            to_bucket,
            to_folder: _,
            folder,
            resume,
            stop_after,
        } => {
            let Some(s3) = &config.messaging.s3 else {
                bail!(
                    "no bucket is configured: set s3_bucket (and s3_endpoint, s3_region, s3_prefix) in sealpost.toml \
                     or SEALPOST_S3_BUCKET, with the AWS_* credentials, then run the copy again"
                );
            };
            let dir = folder.unwrap_or_else(|| config.messaging.blob_dir.clone());
            std::fs::create_dir_all(&dir).with_context(|| format!("while creating the folder {}", dir.display()))?;
            let local: Arc<dyn ObjectStore> = Arc::new(
                LocalFileSystem::new_with_prefix(&dir)
                    .with_context(|| format!("while opening the folder {}", dir.display()))?
                    .with_fsync(true),
            );
            let bucket = crate::messaging::bucket_store(s3)?;
            let folder_name = format!("the folder {}", dir.display());
            let bucket_name = format!(
                "the bucket {}{}",
                s3.bucket,
                if s3.prefix.is_empty() {
                    String::new()
                } else {
                    format!(" (prefix {})", s3.prefix)
                }
            );
            let (from, to, to_name) = if to_bucket {
                (local, bucket, bucket_name)
            } else {
                (bucket, local, folder_name)
            };
            let done = copy_blobs(&from, &to, &to_name, resume, stop_after).await?;
            println!(
                "Copied {} object(s) ({} bytes), skipped {} already there; every one read back with the same size and SHA-256.",
                done.copied, done.bytes, done.skipped
            );
            Ok(())
        }
    }
}

/// What a blob copy did.
#[derive(Debug, Default)]
pub struct BlobsCopied {
    pub copied: u64,
    pub skipped: u64,
    pub bytes: u64,
}

/// Copies every object of `from` into `to` (named `to_name` in messages).
pub async fn copy_blobs(
    from: &Arc<dyn ObjectStore>,
    to: &Arc<dyn ObjectStore>,
    to_name: &str,
    resume: bool,
    stop_after: Option<u64>,
) -> anyhow::Result<BlobsCopied> {
    if !resume && let Some(first) = to.list(None).next().await {
        let first = first.with_context(|| format!("while listing {to_name}"))?;
        bail!(
            "{to_name} already holds objects (for example {}); copying into it could mix two installations. \
             Nothing was written. Copy into an empty one, or add --resume to finish a copy this command started",
            first.location
        );
    }
    let objects: Vec<ObjectMeta> = from
        .list(None)
        .try_collect()
        .await
        .context("while listing the source")?;
    let copied = AtomicU64::new(0);
    let skipped = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    futures_util::stream::iter(objects.into_iter().map(Ok::<_, anyhow::Error>))
        // One at a time when told to stop after a count, so the count is exact.
        .try_for_each_concurrent(if stop_after.is_some() { 1 } else { OBJECTS_IN_FLIGHT }, |meta| {
            let (copied, skipped, bytes) = (&copied, &skipped, &bytes);
            async move {
                let size = meta.size;
                if resume
                    && let Ok(there) = to.head(&meta.location).await
                    && there.size == size
                    && hash(to, &meta.location).await? == hash(from, &meta.location).await?
                {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                if let Some(limit) = stop_after
                    && copied.load(Ordering::Relaxed) >= limit
                {
                    bail!("stopped after {limit} objects as asked; run again with --resume");
                }
                let written = copy_object(from, to, &meta.location).await?;
                let read_back = hash(to, &meta.location).await?;
                if written.0 != size || read_back != written {
                    bail!(
                        "{} in {to_name} does not read back as written ({} bytes, expected {size}); run again with --resume",
                        meta.location,
                        read_back.0
                    );
                }
                copied.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(size, Ordering::Relaxed);
                Ok(())
            }
        })
        .await?;
    Ok(BlobsCopied {
        copied: copied.into_inner(),
        skipped: skipped.into_inner(),
        bytes: bytes.into_inner(),
    })
}

/// Size and SHA-256 of an object, streamed.
async fn hash(store: &Arc<dyn ObjectStore>, location: &Path) -> anyhow::Result<(u64, [u8; 32])> {
    let mut stream = store
        .get(location)
        .await
        .with_context(|| format!("while reading {location}"))?
        .into_stream();
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = stream
        .try_next()
        .await
        .with_context(|| format!("while reading {location}"))?
    {
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok((size, hasher.finalize().into()))
}

/// Streams one object across; returns the size and SHA-256 of what was sent.
async fn copy_object(
    from: &Arc<dyn ObjectStore>,
    to: &Arc<dyn ObjectStore>,
    location: &Path,
) -> anyhow::Result<(u64, [u8; 32])> {
    let context = || format!("while copying {location}");
    let found = from.get(location).await.with_context(context)?;
    let small = found.meta.size <= PART_SIZE as u64;
    let mut stream = found.into_stream();
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    if small {
        // One request for what fits one part.
        let mut payload = Vec::new();
        while let Some(chunk) = stream.try_next().await.with_context(context)? {
            hasher.update(&chunk);
            payload.push(chunk);
        }
        size = payload.iter().map(|c| c.len() as u64).sum();
        to.put(location, PutPayload::from_iter(payload))
            .await
            .with_context(context)?;
    } else {
        let upload = to.put_multipart(location).await.with_context(context)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        while let Some(chunk) = stream.try_next().await.with_context(context)? {
            writer.wait_for_capacity(2).await.with_context(context)?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            writer.write(&chunk);
        }
        writer.finish().await.with_context(context)?;
    }
    Ok((size, hasher.finalize().into()))
}
