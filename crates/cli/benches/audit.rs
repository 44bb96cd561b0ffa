//! Benchmark of the Audit tab's query at scale, on SQLite and (when it answers)
//! PostgreSQL. Prints figures; asserts only that the pages hold what they should.
//!
//! Bulk-inserts 1,000,000 audit events with one SQL statement per backend: 900,000
//! in the measured account (80 % message views, the rest changes by 1,000 users,
//! one event a second over ten days) and 100,000 in nine others. Then measures
//! `SqlStore::search_audit` (the total, the page, the probe of the other direction:
//! what one Audit page asks of the database), median and max of 25 runs, for the
//! first page and a deep page (a cursor 90 % down the filter's rows, at most 300,000) of: the default
//! (views hidden), the views alone, one area (groups), one person, one day.
//!
//! Run: `cargo bench -p sealpost-cli --bench audit` (PostgreSQL from
//! `SEALPOST_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use sealpost_domain::ports::{AuditKind, AuditPageAt, AuditQuery, AuditStore as _};
use sealpost_domain::types::{AccountId, Timestamp};
use sealpost_storage::SqlStore;

const EVENTS: i64 = 1_000_000;
const MEASURED: i64 = 900_000;
const RUNS: usize = 25;
const T0: i64 = 1_780_000_000_000;

/// One statement making every event: row `x` of a generated series.
fn seed_sql(series: &str) -> String {
    format!(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         SELECT {T0} + x * 1000, \
                CASE WHEN x % 5 = 0 THEN 1 + (x / 5) % 1000 ELSE NULL END, \
                CASE WHEN x <= {MEASURED} THEN 1 ELSE 2 + x % 9 END, \
                CASE WHEN x % 5 <> 0 THEN 'message.opened' \
                     WHEN x % 15 = 0 THEN 'group.member_added' \
                     WHEN x % 15 = 5 THEN 'account.renamed' \
                     ELSE 'session.login' END, \
                'target-' || x, '192.0.2.1', 'ok' \
         FROM {series}"
    )
}

async fn seed(store: &SqlStore) -> anyhow::Result<()> {
    let pool = store.pool();
    let postgres = matches!(store.backend(), sealpost_storage::Backend::Postgres);
    let started = Instant::now();
    for i in 1..=1000 {
        sqlx::query(&format!(
            "INSERT INTO users (email, first_name, last_name, status, must_change_password, created_at) \
             VALUES ('user{i}@bench.example', 'B', 'U', 'active', FALSE, {T0})"
        ))
        .execute(pool)
        .await
        .context("a user")?;
    }
    let series = if postgres {
        format!("generate_series(1, {EVENTS}) AS s(x)")
    } else {
        format!("(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {EVENTS}) SELECT x FROM c)")
    };
    sqlx::query(&seed_sql(&series))
        .execute(pool)
        .await
        .context("the events")?;
    sqlx::query(if postgres {
        "VACUUM ANALYZE audit_events"
    } else {
        "ANALYZE"
    })
    .execute(pool)
    .await?;
    println!("  seeded {EVENTS} events in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn median(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

/// The cursor 90 % down the rows `query` matches (at most 300,000 down), found
/// once by reading that many rows in one page (not measured).
async fn deep_cursor(store: &SqlStore, query: &AuditQuery) -> anyhow::Result<AuditPageAt> {
    let total = store.search_audit(AccountId(1), query).await?.total;
    let mut q = query.clone();
    q.limit = u32::try_from((total * 9 / 10).min(300_000)).unwrap_or(300_000);
    let listing = store.search_audit(AccountId(1), &q).await?;
    Ok(listing
        .entries
        .last()
        .map_or(AuditPageAt::First, |e| AuditPageAt::OlderThan(e.position)))
}

async fn measure(store: &SqlStore, name: &str, query: AuditQuery) -> anyhow::Result<()> {
    for (page_name, page) in [
        ("first", AuditPageAt::First),
        ("deep", deep_cursor(store, &query).await?),
    ] {
        let mut q = query.clone();
        q.page = page;
        let mut times = Vec::with_capacity(RUNS);
        let mut shown = 0;
        let mut total = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let listing = store.search_audit(AccountId(1), &q).await?;
            times.push(started.elapsed());
            shown = listing.entries.len();
            total = listing.total;
        }
        anyhow::ensure!(shown > 0, "{name} {page_name}: an empty page");
        let (p50, max) = median(times);
        println!(
            "  {name:<28} {page_name:<5} page: median {:>7.2} ms, max {:>7.2} ms ({shown} rows of {total})",
            p50.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

async fn run(label: &str, url: String) -> anyhow::Result<()> {
    println!("{label}");
    let store = &SqlStore::connect(&url).await?;
    store.migrate().await?;
    seed(store).await?;
    let base = AuditQuery {
        limit: 50,
        ..AuditQuery::default()
    };
    measure(store, "views hidden (default)", base.clone()).await?;
    measure(
        store,
        "message views",
        AuditQuery {
            kind: AuditKind::Views,
            ..base.clone()
        },
    )
    .await?;
    measure(
        store,
        "groups",
        AuditQuery {
            kind: AuditKind::Group,
            ..base.clone()
        },
    )
    .await?;
    measure(
        store,
        "who = user42@",
        AuditQuery {
            who: "user42@".to_owned(),
            kind: AuditKind::All,
            ..base.clone()
        },
    )
    .await?;
    let day = Timestamp(T0 + 5 * 86_400_000);
    measure(
        store,
        "one day, views hidden",
        AuditQuery {
            from: Some(day),
            until: Some(day.plus_seconds(86_400)),
            ..base.clone()
        },
    )
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sealpost_testkit::postgres::on_both_databases("bench_audit", run).await
}
