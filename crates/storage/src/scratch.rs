//! New, empty databases on both backends for a benchmark to fill and measure, and
//! gone again afterwards (`cargo bench`: the audit, reports and users benches).

use std::future::Future;

use anyhow::Context as _;

use crate::SqlStore;

/// The PostgreSQL server the benchmarks use unless `SEALPOST_TEST_POSTGRES_URL`
/// names another (as the tests do).
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Runs `run` with a migrated store on a new SQLite file in the system's
/// temporary folder, then on a new database `sealpost_bench_<name>_<pid>` of the
/// PostgreSQL server (said and skipped when it does not answer); each is removed
/// afterwards, whatever `run` answered. `run` is told which backend it has.
pub async fn on_both_backends<F, Fut>(name: &str, run: F) -> anyhow::Result<()>
where
    F: Fn(&'static str, SqlStore) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let file = std::env::temp_dir().join(format!("sealpost-bench-{name}-{}.db", std::process::id()));
    let outcome = async {
        let store = SqlStore::connect(&format!("sqlite://{}?mode=rwc", file.display())).await?;
        store.migrate().await?;
        let outcome = run("SQLite", store.clone()).await;
        store.close().await;
        outcome
    }
    .await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    outcome?;

    let admin_url = std::env::var("SEALPOST_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES.to_owned());
    let Ok(admin) = SqlStore::connect(&admin_url).await else {
        println!("PostgreSQL: not reachable at {admin_url}, not measured");
        return Ok(());
    };
    let database = format!("sealpost_bench_{name}_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {database}"))
        .execute(admin.pool())
        .await
        .with_context(|| format!("while creating the database {database}"))?;
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
    let outcome = async {
        let store = SqlStore::connect(&format!("{base}/{database}")).await?;
        store.migrate().await?;
        let outcome = run("PostgreSQL", store.clone()).await;
        store.close().await;
        outcome
    }
    .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(admin.pool())
        .await?;
    admin.close().await;
    outcome
}
