//! The blob store on a local directory: large blobs written and read in chunks,
//! visibility only once finished, aborts, missing blobs, deleting by prefix, and
//! keys that could escape the directory.

use std::path::Path;

use sealpost_domain::error::DomainError;
use sealpost_domain::ports::{BlobReader, BlobStore};
use sealpost_storage::ObjectBlobStore;
use sealpost_storage::blobs::{InvalidBlobKey, MAX_PARTS_IN_FLIGHT, PART_SIZE};

const MESSAGE: &str = "0123456789abcdef0123456789abcdef";
const OTHER: &str = "fedcba9876543210fedcba9876543210";

/// 64 KiB of deterministic, position-dependent bytes: chunk `n` of a test blob.
fn chunk(n: usize) -> Vec<u8> {
    let mut state = u64::try_from(n).expect("small").wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..64 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// Bytes of regular files under `dir`, staging files included.
fn bytes_on_disk(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("readable") {
        let entry = entry.expect("entry");
        let meta = entry.metadata().expect("metadata");
        total += if meta.is_dir() {
            bytes_on_disk(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

/// Reads a whole (small) blob.
async fn read_all(store: &ObjectBlobStore, key: &str) -> Result<Vec<u8>, DomainError> {
    let mut reader = store.reader(key).await?;
    let mut out = Vec::new();
    while let Some(chunk) = reader.next_chunk().await? {
        out.extend(chunk);
    }
    Ok(out)
}

async fn put(store: &ObjectBlobStore, key: &str, content: &[u8]) {
    let mut writer = store.writer(key).await.expect("a writer");
    writer.write(content.to_vec()).await.expect("written");
    writer.finish().await.expect("finished");
}

/// Compares a reader's stream with `expected` chunk by chunk, never holding more than
/// one chunk of each; returns the size of the largest chunk read.
async fn assert_stream_equals(reader: &mut Box<dyn BlobReader>, chunks: usize) -> usize {
    let mut expected_index = 0;
    let mut expected = chunk(0);
    let mut offset = 0;
    let mut largest = 0;
    let mut total = 0;
    while let Some(read) = reader.next_chunk().await.expect("a chunk") {
        largest = largest.max(read.len());
        total += read.len();
        let mut rest = &read[..];
        while !rest.is_empty() {
            assert!(expected_index < chunks, "more bytes than were written");
            let take = rest.len().min(expected.len() - offset);
            assert!(
                rest[..take] == expected[offset..offset + take],
                "content differs in chunk {expected_index} at {offset}"
            );
            rest = &rest[take..];
            offset += take;
            if offset == expected.len() {
                expected_index += 1;
                expected = chunk(expected_index);
                offset = 0;
            }
        }
    }
    assert_eq!(total, chunks * 64 * 1024, "every byte came back");
    largest
}

#[tokio::test]
async fn twenty_mebibytes_round_trip_in_chunks_and_spill_to_disk_while_written() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().join("blobs");
    let store = ObjectBlobStore::local(&root).expect("the store opens and creates its directory");
    let key = format!("{MESSAGE}/0");
    const CHUNKS: usize = 320; // 20 MiB

    let mut writer = store.writer(&key).await.expect("a writer");
    for n in 0..CHUNKS {
        writer.write(chunk(n)).await.expect("written");
    }
    let spilled = bytes_on_disk(&root);
    assert!(
        spilled >= u64::try_from(PART_SIZE).expect("fits"),
        "parts reach the disk before the end ({spilled} bytes), so memory stays bounded"
    );
    let in_memory_at_most = (MAX_PARTS_IN_FLIGHT + 1) * PART_SIZE;
    assert!(
        20 * 1024 * 1024 - usize::try_from(spilled).expect("fits") <= in_memory_at_most + 64 * 1024,
        "at most {in_memory_at_most} bytes wait in memory, {spilled} of 20 MiB were on disk"
    );
    let unfinished = store.reader(&key).await;
    assert!(
        matches!(unfinished, Err(DomainError::NotFound)),
        "an unfinished blob is invisible: {:?}",
        unfinished.err()
    );
    writer.finish().await.expect("finished");
    assert_eq!(bytes_on_disk(&root), 20 * 1024 * 1024, "no staging file is left");

    let mut reader = store.reader(&key).await.expect("a reader");
    let largest = assert_stream_equals(&mut reader, CHUNKS).await;
    assert!(
        largest <= 1024 * 1024,
        "read in bounded chunks, the largest {largest} bytes"
    );
    assert!(reader.next_chunk().await.expect("still the end").is_none());
}

#[tokio::test]
async fn writing_a_key_again_replaces_the_blob() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = ObjectBlobStore::local(dir.path()).expect("opens");
    let key = format!("{MESSAGE}/1");
    put(&store, &key, b"first version, longer").await;
    put(&store, &key, b"second").await;
    assert_eq!(read_all(&store, &key).await.expect("read"), b"second");
    let empty = format!("{MESSAGE}/2");
    let writer = store.writer(&empty).await.expect("a writer");
    writer.finish().await.expect("an empty blob is a blob");
    assert_eq!(read_all(&store, &empty).await.expect("read"), b"");
}

#[tokio::test]
async fn aborted_blob_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = ObjectBlobStore::local(dir.path()).expect("opens");
    let key = format!("{MESSAGE}/0");
    let mut writer = store.writer(&key).await.expect("a writer");
    for n in 0..100 {
        writer.write(chunk(n)).await.expect("written");
    }
    writer.abort().await;
    let read = store.reader(&key).await;
    assert!(matches!(read, Err(DomainError::NotFound)), "{:?}", read.err());
    assert_eq!(bytes_on_disk(dir.path()), 0, "the staging file is gone");
}

#[tokio::test]
async fn missing_blob_is_not_found() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = ObjectBlobStore::local(dir.path()).expect("opens");
    let read = store.reader(&format!("{MESSAGE}/0")).await;
    assert!(matches!(read, Err(DomainError::NotFound)), "{:?}", read.err());
}

#[tokio::test]
async fn deleting_a_prefix_removes_that_messages_parts_only() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = ObjectBlobStore::local(dir.path()).expect("opens");
    for part in ["0", "1", "10", "2"] {
        put(&store, &format!("{MESSAGE}/{part}"), part.as_bytes()).await;
    }
    put(&store, &format!("{OTHER}/0"), b"other").await;

    store.delete_prefix(&format!("{MESSAGE}/1")).await.expect("deleted");
    for (part, exists) in [("0", true), ("1", false), ("10", false), ("2", true)] {
        let found = read_all(&store, &format!("{MESSAGE}/{part}")).await;
        assert_eq!(found.is_ok(), exists, "part {part}");
    }

    store.delete_prefix(&format!("{MESSAGE}/")).await.expect("deleted");
    for part in ["0", "2"] {
        let found = store.reader(&format!("{MESSAGE}/{part}")).await;
        assert!(matches!(found, Err(DomainError::NotFound)), "part {part}");
    }
    assert!(!dir.path().join(MESSAGE).exists(), "the emptied directory is removed");
    assert_eq!(read_all(&store, &format!("{OTHER}/0")).await.expect("kept"), b"other");

    store
        .delete_prefix(&format!("{MESSAGE}/"))
        .await
        .expect("deleting what is gone is not an error");
    store
        .delete_prefix("00000000000000000000000000000000/")
        .await
        .expect("deleting what never existed is not an error");
}

/// Names of the files under `dir/folder`.
fn file_names(dir: &Path, folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(folder))
        .map(|entries| {
            entries
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn deleting_a_prefix_also_removes_what_an_interrupted_write_left() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = ObjectBlobStore::local(dir.path()).expect("opens");
    put(&store, &format!("{MESSAGE}/0"), b"content").await;
    // Two writes the process never finished nor aborted (it was killed), a part
    // and more each; their staging files exist from the first byte.
    for key in [format!("{MESSAGE}/1"), format!("{OTHER}/1")] {
        let mut writer = store.writer(&key).await.expect("a writer");
        for n in 0..(PART_SIZE / (64 * 1024) + 4) {
            writer.write(chunk(n)).await.expect("written");
        }
        std::mem::forget(writer);
    }
    assert_eq!(
        file_names(dir.path(), MESSAGE),
        ["0", "1#1"],
        "the staging file is there"
    );

    store.delete_prefix(&format!("{MESSAGE}/")).await.expect("deleted");
    assert!(
        !dir.path().join(MESSAGE).exists(),
        "nothing is left of the message: {:?}",
        file_names(dir.path(), MESSAGE)
    );
    assert_eq!(
        file_names(dir.path(), OTHER),
        ["1#1"],
        "another message's unfinished write is not touched"
    );
}

#[tokio::test]
async fn deleting_one_blob_leaves_its_neighbours() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = ObjectBlobStore::local(dir.path()).expect("opens");
    for part in ["1", "10", "2"] {
        put(&store, &format!("{MESSAGE}/{part}"), part.as_bytes()).await;
    }
    store.delete(&format!("{MESSAGE}/1")).await.expect("deleted");
    for (part, exists) in [("1", false), ("10", true), ("2", true)] {
        let found = read_all(&store, &format!("{MESSAGE}/{part}")).await;
        assert_eq!(found.is_ok(), exists, "part {part}");
    }
    store
        .delete(&format!("{MESSAGE}/1"))
        .await
        .expect("deleting what is gone is not an error");
    assert!(
        store.delete("../outside").await.is_err(),
        "a key outside the folder is refused"
    );
}

#[tokio::test]
async fn keys_that_could_leave_the_directory_are_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().join("blobs");
    let store = ObjectBlobStore::local(&root).expect("opens");
    let bad = [
        "",
        "/etc/passwd",
        "../outside",
        "a/../../outside",
        &format!("{MESSAGE}/../{OTHER}/0"),
        "a/./b",
        "a//b",
        "a/b/",
        "a\\..\\b",
        "a b",
        "a/b#1",
        "a%2f..",
        "ümlaut",
    ];
    for key in bad {
        let writer = store.writer(key).await;
        let refused = |e: &DomainError| match e {
            DomainError::Internal(inner) => inner.downcast_ref::<InvalidBlobKey>().is_some(),
            _ => false,
        };
        assert!(
            writer.as_ref().err().is_some_and(refused),
            "writer({key:?}) was not refused as an invalid key"
        );
        let reader = store.reader(key).await;
        assert!(reader.as_ref().err().is_some_and(refused), "reader({key:?})");
    }
    for prefix in ["", "/", "../", "..", "/tmp/"] {
        let deleted = store.delete_prefix(prefix).await;
        assert!(deleted.is_err(), "delete_prefix({prefix:?}) was not refused");
    }
    assert!(!dir.path().join("outside").exists());
    let message = DomainError::internal(InvalidBlobKey("../x".to_owned()));
    let detail = std::error::Error::source(&message)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(detail.contains("\"../x\""), "the log names the key: {detail}");
    put(&store, "0123456789abcdef0123456789abcdef/4294967295", b"summary part").await;
}

/// A whole blob read at once, as an opened message's content is: small files
/// are read on the calling thread, larger ones on a blocking thread, and either
/// way the bytes are the blob's, with nothing missing at the sizes around the
/// boundary between the two (256 KiB); a missing blob is `NotFound`.
#[tokio::test]
async fn a_blob_read_whole_is_the_blob_at_every_size() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = ObjectBlobStore::local(dir.path()).expect("opens");
    let content: Vec<u8> = (0..17).flat_map(chunk).collect();
    for (part, len) in [0, 1, 65_536, 262_143, 262_144, 262_145, content.len()]
        .into_iter()
        .enumerate()
    {
        let key = format!("{MESSAGE}/{part}");
        let expected = content.get(..len).expect("within the content");
        put(&store, &key, expected).await;
        let read = BlobStore::read_all(&store, &key).await.expect("read whole");
        assert_eq!(read.len(), len, "the length of a blob of {len} bytes");
        assert!(read == expected, "the bytes of a blob of {len} bytes");
    }
    let missing = BlobStore::read_all(&store, &format!("{OTHER}/0")).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}
