//! Benchmark of the Reports tab's query at scale, on SQLite and (when it answers)
//! PostgreSQL. Prints figures; asserts only that the counts are the seeded ones.
//!
//! Seeds, with one SQL statement a table (and the monthly counts as migration
//! 0031 makes them): 120,000 messages (100,000 in the
//! measured account, one every 315 s through 2026; 20,000 in nine others), two
//! recipients each (all notified, a third of the messages opened), and 235,000
//! audit events: 20,000 registrations and 15,000 activations of the measured
//! account's recipients, 200,000 message views. Then measures
//! `SqlStore::monthly_counts` (everything one Reports page asks of the database),
//! median and max of 15 runs, for the whole year and for one month.
//!
//! Run: `cargo bench -p sealpost-storage --bench reports` (release), or with
//! `--profile dev` on a busy machine: the time is the databases' (SQLite is built
//! with `opt-level = 3` in the dev profile too). PostgreSQL from
//! `SEALPOST_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use sealpost_domain::ports::ReportStore as _;
use sealpost_domain::types::{AccountId, Timestamp};
use sealpost_storage::{Backend, SqlStore};

/// 2026-01-01 00:00 UTC.
const T0: i64 = 1_767_225_600_000;
/// 2027-01-01 00:00 UTC.
const T1: i64 = 1_798_761_600_000;
/// 2026-06-01 and 2026-07-01 00:00 UTC.
const JUNE: i64 = 1_780_272_000_000;
const JULY: i64 = 1_782_864_000_000;
const MESSAGES: i64 = 120_000;
const MEASURED: i64 = 100_000;
const RUNS: usize = 15;

fn series(backend: Backend, n: i64) -> String {
    match backend {
        Backend::Postgres => format!("generate_series(CAST(1 AS BIGINT), {n}) AS s(x)"),
        Backend::Sqlite => {
            format!("(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT x FROM c)")
        }
    }
}

async fn seed(store: &SqlStore) -> anyhow::Result<()> {
    let pool = store.pool();
    let backend = store.backend();
    let started = Instant::now();
    for i in 1..=10 {
        sqlx::query(&format!(
            "INSERT INTO users (email, first_name, last_name, status, must_change_password, created_at) \
             VALUES ('sender{i}@bench.example', 'B', 'S', 'active', FALSE, {T0})"
        ))
        .execute(pool)
        .await
        .context("a sender")?;
        sqlx::query(&format!(
            "INSERT INTO accounts (number, name, default_locale, created_at) VALUES ({}, 'Bench {i}', 'en', {T0})",
            100_000 + i
        ))
        .execute(pool)
        .await
        .context("an account")?;
    }
    let public_id = match backend {
        Backend::Postgres => "decode(lpad(to_hex(x), 32, '0'), 'hex')",
        Backend::Sqlite => "CAST(printf('%016d', x) AS BLOB)",
    };
    let created = format!("({T0} + x * 315000)");
    sqlx::query(&format!(
        "INSERT INTO messages (public_id, account_id, sender_id, created_at, options, mode, wrapped_dek, \
         key_version, sealed_subject, part_count, payload_len, security_level) \
         SELECT {public_id}, CASE WHEN x <= {MEASURED} THEN 1 ELSE 2 + x % 9 END, \
                CASE WHEN x <= {MEASURED} THEN 1 ELSE 2 + x % 9 END, \
                CASE WHEN x <= {MEASURED} THEN {created} ELSE {T0} + (x - {MEASURED}) * 1500000 END, \
                0, 'stored', {public_id}, 1, {public_id}, 1, 100, 'medium' FROM {}",
        series(backend, MESSAGES)
    ))
    .execute(pool)
    .await
    .context("the messages")?;
    sqlx::query(
        "INSERT INTO message_recipients (message_id, position, email, kind, opened_at, notified_at) \
         SELECT m.id, p.position, \
                CASE WHEN p.position = 0 THEN 'r' || (m.id % 20000) || '@bench.example' \
                     ELSE 'c' || m.id || '@bench.example' END, \
                'to', CASE WHEN m.id % 3 = 0 AND p.position = 0 THEN m.created_at + 60000 ELSE NULL END, \
                m.created_at + 1000 \
         FROM messages m CROSS JOIN (SELECT 0 AS position UNION ALL SELECT 1) p",
    )
    .execute(pool)
    .await
    .context("the recipients")?;
    // Registrations of the first 20,000 recipients (`r0`…), three in four activated
    // a day later, all after the first message to them; and message views.
    sqlx::query(&format!(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         SELECT {T0} + 400 * 315000 + x * 1200000, NULL, NULL, 'user.registered', \
                'r' || (x % 20000) || '@bench.example', '192.0.2.1', 'ok' FROM {}",
        series(backend, 20_000)
    ))
    .execute(pool)
    .await
    .context("the registrations")?;
    sqlx::query(&format!(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         SELECT {T0} + 400 * 315000 + x * 1200000 + 86400000, NULL, NULL, 'user.activated', \
                'r' || (x % 20000) || '@bench.example', '192.0.2.1', 'ok' FROM {} WHERE x % 4 <> 0",
        series(backend, 20_000)
    ))
    .execute(pool)
    .await
    .context("the activations")?;
    sqlx::query(&format!(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         SELECT {T0} + x * 150000, NULL, 1, 'message.opened', 'm' || x, '192.0.2.1', 'ok' FROM {}",
        series(backend, 200_000)
    ))
    .execute(pool)
    .await
    .context("the views")?;
    // The monthly counts the writes keep, as migration 0031 makes them from
    // existing messages (the seed went around the writes).
    let month = match backend {
        Backend::Postgres => "CAST(to_char(to_timestamp(m.created_at / 1000) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT)",
        Backend::Sqlite => "CAST(strftime('%Y%m', m.created_at / 1000, 'unixepoch') AS INTEGER)",
    };
    sqlx::query(&format!(
        "INSERT INTO report_months (account_id, month, sent, notified, opened) \
         SELECT m.account_id, {month}, COUNT(*), \
                SUM((SELECT COUNT(*) FROM message_recipients r WHERE r.message_id = m.id AND r.notified_at IS NOT NULL)), \
                SUM(CASE WHEN EXISTS (SELECT 1 FROM message_recipients r \
                                      WHERE r.message_id = m.id AND r.opened_at IS NOT NULL) THEN 1 ELSE 0 END) \
         FROM messages m GROUP BY 1, 2"
    ))
    .execute(pool)
    .await
    .context("the monthly counts")?;
    let month_at = month.replace("m.created_at", "a.at");
    sqlx::query(&format!(
        "INSERT INTO report_people (account_id, month, kind, email) \
         SELECT DISTINCT m.account_id, {month_at}, \
                CASE a.action WHEN 'user.registered' THEN 'registered' ELSE 'activated' END, a.target \
         FROM audit_events a JOIN message_recipients r ON r.email = a.target \
         JOIN messages m ON m.id = r.message_id AND m.created_at <= a.at \
         WHERE a.account_id IS NULL AND a.action IN ('user.registered', 'user.activated') AND a.outcome = 'ok'"
    ))
    .execute(pool)
    .await
    .context("the people")?;
    sqlx::query(
        "INSERT INTO report_months (account_id, month, registrations, activations) \
         SELECT account_id, month, SUM(CASE WHEN kind = 'registered' THEN 1 ELSE 0 END), \
                SUM(CASE WHEN kind = 'activated' THEN 1 ELSE 0 END) \
         FROM report_people WHERE 1 = 1 GROUP BY account_id, month \
         ON CONFLICT (account_id, month) DO UPDATE \
         SET registrations = excluded.registrations, activations = excluded.activations",
    )
    .execute(pool)
    .await
    .context("the people's counts")?;
    sqlx::query("ANALYZE").execute(pool).await?;
    println!("  seeded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn median(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

async fn measure(store: &SqlStore, name: &str, from: i64, until: i64) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(RUNS);
    let mut months = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        months = store
            .monthly_counts(AccountId(1), Timestamp(from), Timestamp(until))
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        times.push(started.elapsed());
    }
    let sent: u64 = months.iter().map(|(_, c)| c.sent).sum();
    let registrations: u64 = months.iter().map(|(_, c)| c.registrations).sum();
    let activations: u64 = months.iter().map(|(_, c)| c.activations).sum();
    let (p50, max) = median(times);
    println!(
        "  {name:<10} median {:>8.2} ms, max {:>8.2} ms ({} months, {sent} sent, {registrations} registrations, \
         {activations} activations)",
        p50.as_secs_f64() * 1000.0,
        max.as_secs_f64() * 1000.0,
        months.len()
    );
    Ok(())
}

async fn run(label: &str, url: String) -> anyhow::Result<()> {
    println!("{label}");
    let store = &SqlStore::connect(&url).await?;
    store.migrate().await?;
    seed(store).await?;
    measure(store, "year 2026", T0, T1).await?;
    measure(store, "June 2026", JUNE, JULY).await?;
    let year = store
        .monthly_counts(AccountId(1), Timestamp(T0), Timestamp(T1))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    anyhow::ensure!(
        year.iter().map(|(_, c)| c.sent).sum::<u64>() == MEASURED as u64,
        "every message of the measured account counted"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sealpost_testkit::postgres::on_both_databases("bench_reports", run).await
}
