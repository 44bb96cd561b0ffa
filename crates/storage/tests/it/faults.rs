//! Faults of the storage underneath: a full disk, and a transaction that the
//! database ended by itself. After either, the next write must work as soon as the
//! cause is gone: no connection goes back to the pool half inside a transaction.
//!
//! The full disk is real: a small tmpfs mounted for the test (the tests run as root
//! here and in CI). Where mounting is refused, that test says so loudly on stderr and
//! passes; the failpoint test below needs no root and covers the pool's side.

use std::io::Write as _;
use std::time::{Duration, Instant};

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::MailKind;
use sealpost_domain::ports::{OutboxStore, UserStore};
use sealpost_storage::{Backend, SqlStore};
use sealpost_testkit::Tmpfs;

use crate::messages::mail;
use crate::support::{T0, on_both_backends, user};

on_both_backends!(a_transaction_the_database_ended_itself_leaves_later_writes_working);

/// Makes every insert of a user whose address starts with `refused` fail inside the
/// database, ending the transaction there: on SQLite with `RAISE(ROLLBACK)` (as
/// SQLITE_FULL does), on PostgreSQL with the `disk_full` SQLSTATE (53100).
async fn install_failpoint(store: &SqlStore) {
    let statements: &[&str] = match store.backend() {
        Backend::Sqlite => &["CREATE TRIGGER failpoint BEFORE INSERT ON users \
             WHEN NEW.email LIKE 'refused%' \
             BEGIN SELECT RAISE(ROLLBACK, 'failpoint: the database ended the transaction'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION failpoint() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.email LIKE 'refused%' THEN \
             RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; \
             END IF; RETURN NEW; END $$",
            "CREATE TRIGGER failpoint BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION failpoint()",
        ],
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("the failpoint is installed");
    }
}

async fn a_transaction_the_database_ended_itself_leaves_later_writes_working(store: SqlStore) {
    install_failpoint(&store).await;
    for round in 0..5 {
        let refused = store
            .insert_user(crate::support::new_user(&format!("refused{round}@example.com")), None)
            .await;
        match (store.backend(), refused) {
            (_, Ok(_)) => panic!("the failpoint let a write through"),
            (Backend::Postgres, Err(error)) => assert!(
                matches!(error, DomainError::Unavailable(_)),
                "PostgreSQL's disk_full is reported as storage unavailable, not {error:?}"
            ),
            (Backend::Sqlite, Err(_)) => {}
        }
        for n in 0..4 {
            let address = format!("ok{round}-{n}@example.com");
            if let Err(error) = store.insert_user(crate::support::new_user(&address), None).await {
                panic!("write {n} after refused write {round} failed: {error:?}");
            }
        }
    }
    assert_eq!(store.count_users().await.expect("counted"), 20);
}

/// A migrated SQLite store on a 2 MB tmpfs below `dir`; `None` (the test is
/// skipped, saying so) where no tmpfs can be mounted.
async fn store_on_a_small_disk(dir: &std::path::Path) -> Option<(Tmpfs, SqlStore)> {
    let disk = Tmpfs::mount(
        &dir.join("disk"),
        "2m",
        "The failpoint test still covers the connection pool.",
    )
    .expect("the mount point is created")?;
    let url = format!("sqlite://{}?mode=rwc", disk.path.join("sealpost.db").display());
    let store = SqlStore::connect(&url).await.expect("SQLite connects");
    store.migrate().await.expect("SQLite migrates");
    Some((disk, store))
}

#[tokio::test]
async fn sqlite_on_a_full_disk_refuses_writes_as_unavailable_and_recovers_once_space_is_freed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some((disk, store)) = store_on_a_small_disk(dir.path()).await else {
        return;
    };
    user(&store, "before@example.com").await;

    let filler = disk.fill().expect("the filler stops on ENOSPC");
    let mut refused = 0;
    for n in 0..20 {
        let mut new = crate::support::new_user(&format!("full{n}@example.com"));
        new.first_name = "F".repeat(2000);
        match store.insert_user(new, None).await {
            Ok(_) => {}
            Err(DomainError::Unavailable(_)) => refused += 1,
            Err(other) => panic!("a write on a full disk failed as {other:?}, not as storage unavailable"),
        }
    }
    assert!(refused > 0, "no write failed although the disk is full");

    std::fs::remove_file(&filler).expect("the filler is removed");
    let freed = Instant::now();
    let mut first_success = None;
    while freed.elapsed() < Duration::from_secs(10) {
        let address = format!("after{}@example.com", freed.elapsed().as_nanos());
        match store.insert_user(crate::support::new_user(&address), None).await {
            Ok(_) => {
                first_success = Some(freed.elapsed());
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let Some(took) = first_success else {
        panic!("no write succeeded within 10 s of space returning");
    };
    let _ = writeln!(
        std::io::stderr(),
        "FIGURE: first successful write {:.3} s after space returned",
        took.as_secs_f64()
    );
    for n in 0..20 {
        if let Err(error) = store
            .insert_user(crate::support::new_user(&format!("later{n}@example.com")), None)
            .await
        {
            panic!("write {n} after recovery failed: {error:?}");
        }
    }
    store.close().await;
    drop(disk);
}

/// Writes bulky rows until the full disk refuses one; panics if it never does.
async fn until_writes_fail(store: &SqlStore) {
    for n in 0..500 {
        let mut new = crate::support::new_user(&format!("bulk{n}@example.com"));
        new.first_name = "B".repeat(4000);
        match store.insert_user(new, None).await {
            Ok(_) => {}
            Err(DomainError::Unavailable(_)) => return,
            Err(other) => panic!("a write on a full disk failed as {other:?}, not as storage unavailable"),
        }
    }
    panic!("500 writes went through on a full disk");
}

#[tokio::test]
async fn sqlite_a_delivery_recorded_on_a_full_disk_is_recorded_once_space_returns_and_not_sent_again() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some((disk, store)) = store_on_a_small_disk(dir.path()).await else {
        return;
    };
    store
        .enqueue(vec![mail(MailKind::Activation, "bob@example.org", None)])
        .await
        .expect("queued");
    let claimed = store.claim_outbox(T0, T0.plus_seconds(120), 10).await.expect("claimed");
    assert_eq!(claimed.len(), 1);

    // The worker has handed the mail to the relay; the disk is full when it comes
    // to record that, and an operator frees space a second later.
    let filler = disk.fill().expect("the filler stops on ENOSPC");
    until_writes_fail(&store).await;
    let operator = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        std::fs::remove_file(&filler).expect("the filler is removed");
        Instant::now()
    });
    let recorded = store.outbox_sent(claimed[0].id, T0.plus_seconds(1)).await;
    let recorded_at = Instant::now();
    let freed_at = operator.join().expect("the operator's thread");
    if let Err(error) = recorded {
        panic!("the delivery was not recorded although space returned: {error:?}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "FIGURE: delivery recorded {:.3} s after space returned",
        recorded_at.saturating_duration_since(freed_at).as_secs_f64()
    );

    // A restart hands leftover leases back: nothing is left to send again.
    store.release_outbox_leases(T0.plus_seconds(2)).await.expect("released");
    let again = store
        .claim_outbox(T0.plus_seconds(3), T0.plus_seconds(123), 10)
        .await
        .expect("claimed");
    assert!(again.is_empty(), "a delivered mail would be sent twice: {again:?}");
    store.close().await;
    drop(disk);
}
