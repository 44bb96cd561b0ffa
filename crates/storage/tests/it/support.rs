//! Fresh databases for tests, on both backends, and small fixtures.
//!
//! [`run`] gives each test its own empty, migrated store: a SQLite file in a
//! temporary directory, or a PostgreSQL database created for the test on the server
//! at `SEALPOST_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped afterwards. When that server cannot be reached the PostgreSQL half of
//! each test says so on stderr and passes, unless `SEALPOST_REQUIRE_POSTGRES=1`.

use std::future::Future;

use sealpost_domain::model::{AuditEvent, NewUser, User, UserStatus};
use sealpost_domain::ports::{AuditStore, UserStore};
use sealpost_domain::types::{EmailAddress, Timestamp, UserId};
use sealpost_storage::{Backend, SqlStore};
use sealpost_testkit::postgres::Scratch;

/// Generates, for each named `async fn(SqlStore)` of the calling module, one test in
/// `mod sqlite` and one in `mod postgres`, so each test is written once.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::support::run(sealpost_storage::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::support::run(sealpost_storage::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// A fixed "now" for fixtures: 2023-11-14 22:13:20 UTC.
pub const T0: Timestamp = Timestamp(1_700_000_000_000);

/// Runs `test` on a fresh store of `backend`, then disposes of the database, also
/// when the test fails (the failure is re-raised afterwards).
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(SqlStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(backend, true, test).await;
}

/// [`run`] on an empty database, no migration run: for tests of an upgrade.
pub async fn run_unmigrated<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(SqlStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_with(backend, false, test).await;
}

async fn run_with<F, Fut>(backend: Backend, migrate: bool, test: F)
where
    F: FnOnce(SqlStore) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("sealpost.db").display());
            let store = SqlStore::connect(&url).await.expect("SQLite connects");
            if migrate {
                store.migrate().await.expect("SQLite migrates");
            }
            let outcome = tokio::spawn(test(store.clone())).await;
            store.close().await;
            drop(dir);
            rethrow(outcome);
        }
        Backend::Postgres => {
            let database = Scratch::create("test", "PostgreSQL backend NOT tested")
                .await
                .expect("a database for the test");
            let Some(database) = database else {
                return;
            };
            let store = SqlStore::connect(database.url()).await.expect("PostgreSQL connects");
            if migrate {
                store.migrate().await.expect("PostgreSQL migrates");
            }
            let outcome = tokio::spawn(test(store.clone())).await;
            store.close().await;
            // Best effort: a database left behind only costs the test server disk.
            if let Err(error) = database.drop_now().await {
                eprintln!("{error:#}");
            }
            rethrow(outcome);
        }
    }
}

fn rethrow(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("test task did not finish: {error}"),
        }
    }
}

/// An address known to be valid.
pub fn email(raw: &str) -> EmailAddress {
    EmailAddress::parse(raw).expect("a valid address")
}

/// A new active user with a password, created by nobody.
pub fn new_user(address: &str) -> NewUser {
    NewUser {
        email: email(address),
        first_name: "Alex".to_owned(),
        last_name: "Example".to_owned(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        status: UserStatus::Active,
        must_change_password: false,
        locale: None,
        created_by: None,
        created_at: T0,
        mailbox_verified_at: None,
    }
}

/// Inserts [`new_user`] and returns it.
pub async fn user(store: &SqlStore, address: &str) -> User {
    store
        .insert_user(new_user(address), None)
        .await
        .expect("the user is inserted")
}

/// Inserts [`new_user`] created by `creator`.
pub async fn user_created_by(store: &SqlStore, address: &str, creator: UserId) -> User {
    let mut new = new_user(address);
    new.created_by = Some(creator);
    store.insert_user(new, None).await.expect("the user is inserted")
}

/// An audit event as services write them.
pub fn event(action: &str, target: &str) -> AuditEvent {
    AuditEvent {
        at: T0,
        actor: None,
        account_id: None,
        action: action.to_owned(),
        target: target.to_owned(),
        ip: Some("192.0.2.1".to_owned()),
        outcome: "ok".to_owned(),
    }
}

/// The targets of the last ten audit events of `action`, newest first.
pub async fn targets_of(store: &SqlStore, action: &str) -> Vec<String> {
    store
        .list_audit(None, 10)
        .await
        .expect("the audit trail is readable")
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| e.target)
        .collect()
}

/// How many of the newest fifty audit events of the whole service are of `action`.
pub async fn count_of(store: &SqlStore, action: &str) -> usize {
    store
        .list_audit(None, 50)
        .await
        .expect("the audit trail is readable")
        .into_iter()
        .filter(|e| e.action == action)
        .count()
}

/// The actions of the newest `n` events of the whole service, newest first.
pub async fn recent_actions(store: &SqlStore, n: u32) -> Vec<String> {
    store
        .list_audit(None, n)
        .await
        .expect("the audit trail is readable")
        .into_iter()
        .map(|e| e.action)
        .collect()
}
