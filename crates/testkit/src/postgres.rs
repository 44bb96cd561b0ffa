//! Databases of their own on the PostgreSQL server the tests use, created empty
//! for one test, test binary or benchmark and dropped afterwards.
//!
//! The server is `SEALPOST_TEST_POSTGRES_URL`, by default the one on the CI
//! machine: `postgres://postgres@127.0.0.1:5432/postgres` (trust auth). When
//! nothing answers there, [`Scratch::create`] says on stderr what goes untested
//! and answers `None`, so a developer without PostgreSQL still runs the rest;
//! with `SEALPOST_REQUIRE_POSTGRES=1` (as CI sets) that is an error instead.

use std::future::Future;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use sqlx::{Connection as _, PgConnection};

/// The server when `SEALPOST_TEST_POSTGRES_URL` names none.
const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long the server may take to answer before it counts as absent.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's URL, with the database the scratch databases are created from.
fn server_url() -> String {
    std::env::var("SEALPOST_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// Whether an absent server fails the run (`SEALPOST_REQUIRE_POSTGRES=1`).
fn required() -> bool {
    std::env::var("SEALPOST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// A database created for one user of it; dropped (whoever is still connected)
/// by [`Scratch::drop_now`], or else when it goes out of scope.
#[derive(Debug)]
pub struct Scratch {
    url: String,
    server: String,
    name: String,
    dropped: bool,
}

impl Scratch {
    /// Creates an empty database named `sealpost_<prefix>_…` (unique to this
    /// process and call). When the server does not answer and PostgreSQL is not
    /// required (`SEALPOST_REQUIRE_POSTGRES=1`), prints `<untested>: no PostgreSQL answers at …` on stderr
    /// (past the test harness's capture) and answers `None`: `untested` names what
    /// the caller leaves out, e.g. `PostgreSQL backend NOT tested`.
    pub async fn create(prefix: &str, untested: &str) -> anyhow::Result<Option<Self>> {
        let server = server_url();
        let mut admin = match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(&server)).await {
            Ok(Ok(connection)) => connection,
            failed => {
                let reason = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => format!("connecting timed out after {} s", CONNECT_TIMEOUT.as_secs()),
                };
                let shown = without_password(&server);
                if required() {
                    bail!("PostgreSQL is required (SEALPOST_REQUIRE_POSTGRES=1) but {shown} does not answer: {reason}");
                }
                // Straight to stderr, past the test harness's capture: a skip must be seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "{untested}: no PostgreSQL answers at {shown} ({reason}); set SEALPOST_TEST_POSTGRES_URL"
                );
                return Ok(None);
            }
        };
        let name = unique_name(prefix);
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .with_context(|| format!("while creating the database {name}"))?;
        let _ = admin.close().await;
        Ok(Some(Self {
            url: with_database(&server, &name),
            server,
            name,
            dropped: false,
        }))
    }

    /// What `database_url` takes to reach this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection of its own to the database, to look at what was stored.
    pub async fn connect(&self) -> anyhow::Result<PgConnection> {
        Ok(PgConnection::connect(&self.url).await?)
    }

    /// The number `sql` (a `SELECT COUNT(*) …`) answers.
    pub async fn count(&self, sql: &str) -> anyhow::Result<i64> {
        let mut connection = self.connect().await?;
        let n = sqlx::query_scalar(sql).fetch_one(&mut connection).await?;
        let _ = connection.close().await;
        Ok(n)
    }

    /// Drops the database now, closing whatever connections are left on it.
    pub async fn drop_now(mut self) -> anyhow::Result<()> {
        self.dropped = true;
        drop_database(&self.server, &self.name).await
    }
}

/// Best effort, from a thread of its own (`Drop` cannot await, and may run inside
/// or outside a runtime): a database left behind only costs the test server disk.
impl Drop for Scratch {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(drop_database(&server, &name))
        })
        .join();
    }
}

async fn drop_database(server: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(server).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("while dropping the database {name}"))?;
    let _ = admin.close().await;
    Ok(())
}

/// Runs `run` with the URL of a new SQLite file in a temporary folder, labelled
/// `SQLite`, then with that of a new [`Scratch`] database labelled `PostgreSQL`
/// (said and skipped when the server does not answer); each is removed
/// afterwards, whatever `run` answered. For benchmarks that measure both.
pub async fn on_both_databases<F, Fut>(prefix: &str, run: F) -> anyhow::Result<()>
where
    F: Fn(&'static str, String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let dir = tempfile::tempdir()?;
    let file = dir.path().join(format!("{prefix}.db"));
    run("SQLite", format!("sqlite://{}?mode=rwc", file.display())).await?;
    drop(dir);
    let Some(database) = Scratch::create(prefix, "PostgreSQL NOT measured").await? else {
        return Ok(());
    };
    let outcome = run("PostgreSQL", database.url().to_owned()).await;
    database.drop_now().await?;
    outcome
}

/// `sealpost_<prefix>_<process>_<call>_<nanoseconds>`: unique to this call, and
/// unlike any left behind by an earlier process that had the same id.
fn unique_name(prefix: &str) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "sealpost_{prefix}_{}_{}_{nanos}",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with its database (the path) replaced by `database`, its query kept.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    match query {
        Some(query) => format!("{}/{database}?{query}", &base[..path]),
        None => format!("{}/{database}", &base[..path]),
    }
}

/// `url` fit to print: a password in it replaced by `***`, its query (which may
/// carry one too) by `?…`.
fn without_password(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((url, _)) => (url, "?…"),
        None => (url, ""),
    };
    let authority = url.find("://").map_or(0, |i| i + 3);
    let end = url[authority..].find('/').map_or(url.len(), |i| authority + i);
    let masked = url[authority..end].rfind('@').map(|at| authority + at).and_then(|at| {
        let colon = authority + url[authority..at].find(':')?;
        Some(format!("{}:***{}", &url[..colon], &url[at..]))
    });
    format!("{}{query}", masked.as_deref().unwrap_or(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_replaces_the_path_and_the_query_stays() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            (
                "postgres://u:p@h/db?sslmode=disable",
                "postgres://u:p@h/x?sslmode=disable",
            ),
            ("postgres://h:5432", "postgres://h:5432/x"),
            ("postgres://h?sslmode=require", "postgres://h/x?sslmode=require"),
        ];
        for (url, expected) in cases {
            assert_eq!(with_database(url, "x"), expected, "{url}");
        }
    }

    #[test]
    fn a_password_is_never_printed() {
        let cases = [
            ("postgres://u:secret@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u:se:cr@et@h/db", "postgres://u:***@h/db"),
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/postgres",
            ),
            ("postgres://h/db?password=secret", "postgres://h/db?…"),
        ];
        for (url, expected) in cases {
            assert_eq!(without_password(url), expected, "{url}");
        }
    }

    #[test]
    fn every_name_is_new() {
        let (a, b) = (unique_name("t"), unique_name("t"));
        assert_ne!(a, b);
        assert!(a.starts_with("sealpost_t_"), "{a}");
    }
}
