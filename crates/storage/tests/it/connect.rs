//! Connecting: URLs, the SQLite settings, and migrations that match per backend.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use sealpost_domain::messages::MailKind;
use sealpost_domain::ports::{OutboxStore, UserStore};
use sealpost_storage::{Backend, SqlStore};
use sqlx::Row;
use sqlx::migrate::Migrator;

use crate::messages::mail;
use crate::support::{T0, on_both_backends, run, run_unmigrated, user};

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

/// Migration 0033 (security notices) on a database with mail queued: SQLite
/// rebuilds `outbox` and `outbox_mail` for the new kind. Every queued mail keeps its
/// bytes, and a new row's id comes after every id ever given, a deleted row's too.
async fn queued_mail_survives_the_upgrade_to_security_notices(store: SqlStore) {
    let folder = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(folder);
    let before = tempfile::tempdir().expect("a temporary directory");
    for name in file_names(&source).into_iter().filter(|name| name.as_str() < "0033") {
        std::fs::copy(source.join(&name), before.path().join(&name)).expect("copied");
    }
    let migrator = Migrator::new(before.path()).await.expect("the migrations before 0033");
    migrator.run(store.pool()).await.expect("migrated up to 0032");
    let queued = vec![
        mail(MailKind::Notification, "ann@example.com", None),
        mail(MailKind::PasswordReset, "bob@example.com", None),
        mail(MailKind::Bounce, "gone@example.com", None),
    ];
    store.enqueue(queued).await.expect("queued before the upgrade");
    sqlx::query("DELETE FROM outbox WHERE to_email = 'gone@example.com'")
        .execute(store.pool())
        .await
        .expect("the newest row removed");

    store.migrate().await.expect("migrates to the end");

    store
        .enqueue(vec![mail(MailKind::SecurityNotice, "max@example.com", None)])
        .await
        .expect("the new kind is accepted");
    let claimed = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    let seen: Vec<(i64, MailKind, String)> = claimed
        .iter()
        .map(|item| (item.id, item.kind, String::from_utf8_lossy(&item.raw).into_owned()))
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].1, MailKind::Notification);
    assert!(seen[0].2.contains("To: ann@example.com"), "{seen:?}");
    assert_eq!(seen[1].1, MailKind::PasswordReset);
    assert!(seen[1].2.contains("To: bob@example.com"), "{seen:?}");
    assert_eq!(seen[2].1, MailKind::SecurityNotice);
    assert!(
        seen[2].0 > seen[1].0 + 1,
        "the deleted row's id is not given again: {seen:?}"
    );
}

#[tokio::test]
async fn queued_mail_survives_the_upgrade_to_security_notices_on_sqlite() {
    run_unmigrated(Backend::Sqlite, queued_mail_survives_the_upgrade_to_security_notices).await;
}

#[tokio::test]
async fn queued_mail_survives_the_upgrade_to_security_notices_on_postgres() {
    run_unmigrated(Backend::Postgres, queued_mail_survives_the_upgrade_to_security_notices).await;
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
