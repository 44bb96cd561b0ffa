//! Connecting: URLs, the SQLite settings, and migrations that match per backend.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use sealpost_domain::ports::UserStore;
use sealpost_storage::{Backend, SqlStore};
use sqlx::Row;

use crate::support::{on_both_backends, run, user};

on_both_backends!(migrating_again_keeps_the_data);

async fn migrating_again_keeps_the_data(store: SqlStore) {
    user(&store, "alice@example.com").await;
    store.migrate().await.expect("a second migration is a no-op");
    assert_eq!(store.count_users().await.expect("counted"), 1);
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("the migrations folder exists")
        .map(|entry| {
            entry
                .expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn migration_folders_of_both_backends_hold_the_same_file_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let sqlite = file_names(&root.join("sqlite"));
    let postgres = file_names(&root.join("postgres"));
    assert!(sqlite.contains("0001_foundation.sql"), "found {sqlite:?}");
    assert!(sqlite.contains("0002_messages.sql"), "found {sqlite:?}");
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn store_reports_the_backend_its_url_names() {
    run(Backend::Sqlite, |store| async move {
        assert_eq!(store.backend(), Backend::Sqlite);
    })
    .await;
    run(Backend::Postgres, |store| async move {
        assert_eq!(store.backend(), Backend::Postgres);
    })
    .await;
}

#[tokio::test]
async fn a_sqlite_url_that_cannot_create_its_file_says_what_to_check_and_asks_for_no_password() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("sealpost.db").display());
    let Err(error) = SqlStore::connect(&url).await else {
        panic!("no file and no mode=rwc: the connection must be refused");
    };
    let message = format!("{error:#}");
    assert!(
        message.contains("SQLite database") && message.contains("mode=rwc"),
        "{message}"
    );
    assert!(
        !message.contains("password"),
        "SQLite has no password to check: {message}"
    );
}

#[tokio::test]
async fn sqlite_store_creates_its_directory_and_runs_with_wal_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("not").join("yet").join("sealpost.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let store = SqlStore::connect(&url).await.expect("connects");
    store.migrate().await.expect("migrates");
    assert!(file.exists(), "the database file was created");

    let mut conn = store.pool().acquire().await.expect("a connection");
    let mut pragma = async |name: &str| -> String {
        let row = sqlx::query(&format!("PRAGMA {name}"))
            .fetch_one(&mut *conn)
            .await
            .expect("pragma answers");
        row.try_get::<String, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
            .expect("a text or integer answer")
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("synchronous").await, "2", "2 is FULL");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("busy_timeout").await, "5000");
    drop(conn);
    store.close().await;
}

#[tokio::test]
async fn in_memory_sqlite_is_refused_with_a_hint() {
    let error = SqlStore::connect("sqlite::memory:")
        .await
        .expect_err("an in-memory database is refused");
    let message = format!("{error:#}");
    assert!(message.contains("in-memory"), "{message}");
    assert!(message.contains("sqlite://data/sealpost.db"), "{message}");
}

#[tokio::test]
async fn unsupported_database_url_is_refused_with_a_hint() {
    let error = SqlStore::connect("mysql://root@localhost/sealpost")
        .await
        .expect_err("MySQL is not supported");
    let message = format!("{error:#}");
    assert!(message.contains("sqlite://"), "{message}");
    assert!(message.contains("postgres://"), "{message}");
}

#[tokio::test]
async fn unreachable_postgres_is_reported_without_the_password() {
    let connecting = SqlStore::connect("postgres://sealpost:s3cret@127.0.0.1:1/sealpost");
    let error = tokio::time::timeout(Duration::from_secs(60), connecting)
        .await
        .expect("the refusal comes back in time")
        .expect_err("nothing listens on port 1");
    let message = format!("{error:#}");
    assert!(message.contains("PostgreSQL"), "{message}");
    assert!(message.contains("sealpost:***@127.0.0.1:1"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}
