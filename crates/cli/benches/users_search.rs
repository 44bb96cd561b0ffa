//! Benchmark of the Users list's queries at 100,000 users, on SQLite and (when it
//! answers at `SEALPOST_TEST_POSTGRES_URL`, by default 127.0.0.1:5432) PostgreSQL: the store's `list_users`, which is a
//! page (`LIMIT 51` by keyset) and its total (`COUNT(*)` over the same conditions).
//!
//! The users are bulk-inserted by SQL (varied first and last names, a tenth of
//! them locked, a tenth pending); an account of 10,000 members gives the account
//! administrator's view. For each case it prints the fastest, median and slowest of
//! 20 runs, and whether the median stays under the 20 ms budget.
//!
//! Run: `cargo bench -p sealpost-cli --bench users_search`

use std::time::{Duration, Instant};

use anyhow::Context as _;
use sealpost_domain::model::{AuditEvent, UserQuery, UserStatus, UserStatusFilter, UserVisibility};
use sealpost_domain::ports::{AccountStore, GroupStore, UserStore};
use sealpost_domain::types::{AccountName, AccountNumber, GroupName, Locale, Timestamp};
use sealpost_storage::SqlStore;
use sealpost_testkit::postgres::Scratch;

const USERS: i64 = 100_000;
const MEMBER_EVERY: i64 = 10;
const RUNS: usize = 20;
const BUDGET: Duration = Duration::from_millis(20);

const FIRST_NAMES: &[&str] = &[
    "Ada", "Bruno", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Lena", "Marta",
    "Nils", "Olga", "Pavel", "Queenie", "Rosa", "Sven", "Tara",
];
const LAST_NAMES: &[&str] = &[
    "Albrecht", "Bauer", "Durand", "Fischer", "García", "Hoffmann", "Jansen", "Keller", "Lambert", "Martin", "Novak",
    "Olsen", "Petit", "Richter", "Schmidt", "Weber",
];

fn event(action: &str) -> AuditEvent {
    AuditEvent {
        at: Timestamp(0),
        actor: None,
        account_id: None,
        action: action.to_owned(),
        target: String::new(),
        ip: None,
        outcome: "ok".to_owned(),
    }
}

/// Seeds the users, one account with a big group, and answers the visibility of
/// that account's administrator.
async fn seed(store: &SqlStore) -> anyhow::Result<UserVisibility> {
    store.migrate().await?;
    // Names from the lists above, chosen by the user's number.
    let firsts: Vec<String> = FIRST_NAMES.iter().map(|n| format!("'{n}'")).collect();
    let lasts: Vec<String> = LAST_NAMES.iter().map(|n| format!("'{n}'")).collect();
    let pick = |list: &[String], modulus: usize, divisor: i64| {
        let cases: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, name)| format!("WHEN {i} THEN {name}"))
            .collect();
        format!("CASE ((n / {divisor}) % {modulus}) {} END", cases.join(" "))
    };
    let sql = format!(
        "INSERT INTO users (email, first_name, last_name, status, must_change_password, created_at) \
         WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1) \
         SELECT 'user' || n || '@example.com', {}, {}, \
         CASE WHEN n % 10 = 3 THEN 'locked' WHEN n % 10 = 7 THEN 'pending' ELSE 'active' END, $2, $3 FROM seq",
        pick(&firsts, FIRST_NAMES.len(), 1),
        pick(&lasts, LAST_NAMES.len(), 7),
    );
    sqlx::query(&sql)
        .bind(USERS)
        .bind(false)
        .bind(0_i64)
        .execute(store.pool())
        .await
        .context("users seeded")?;
    let admin = store
        .user_by_email(&sealpost_domain::types::EmailAddress::parse("user1@example.com")?)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .context("admin")?;
    let account = store
        .create_account(
            AccountNumber(1_234_567),
            &AccountName::parse("Bench")?,
            Locale::En,
            Some(admin.id),
            event("account.created"),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let group = store
        .create_group(
            account.id,
            &GroupName::parse("Everyone", &[])?,
            Timestamp(0),
            event("group.created"),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id, user_email, added_at) \
         SELECT $1, id, email, $2 FROM users WHERE id % $3 = 0",
    )
    .bind(group.id.0)
    .bind(0_i64)
    .bind(MEMBER_EVERY)
    .execute(store.pool())
    .await
    .context("members seeded")?;
    sqlx::query("ANALYZE").execute(store.pool()).await?;
    Ok(UserVisibility::Administrator {
        accounts: vec![account.id],
        creator: admin.id,
    })
}

fn query(
    visibility: &UserVisibility,
    prefix: Option<&str>,
    status: UserStatusFilter,
    after: Option<&str>,
) -> UserQuery {
    UserQuery {
        visibility: visibility.clone(),
        prefix: prefix.map(str::to_owned),
        status,
        after: after.map(str::to_owned),
        limit: 50,
    }
}

async fn measure(store: &SqlStore, backend: &str, administrator: &UserVisibility) -> anyhow::Result<bool> {
    let all = UserVisibility::All;
    let any = UserStatusFilter::Any;
    let locked = UserStatusFilter::Only(UserStatus::Locked);
    let cases = [
        ("operator, first page", query(&all, None, any, None)),
        (
            "operator, deep page",
            query(&all, None, any, Some("user77777@example.com")),
        ),
        (
            "operator, name search 'mar', first page",
            query(&all, Some("mar"), any, None),
        ),
        (
            "operator, name search 'mar', deep page",
            query(&all, Some("mar"), any, Some("user80000@example.com")),
        ),
        (
            "operator, address search 'user5'",
            query(&all, Some("user5"), any, None),
        ),
        ("operator, locked only, first page", query(&all, None, locked, None)),
        (
            "operator, locked only, deep page",
            query(&all, None, locked, Some("user77777@example.com")),
        ),
        ("administrator, first page", query(administrator, None, any, None)),
        (
            "administrator, deep page",
            query(administrator, None, any, Some("user77777@example.com")),
        ),
        (
            "administrator, name search 'mar'",
            query(administrator, Some("mar"), any, None),
        ),
    ];
    let mut all_fast = true;
    for (name, query) in cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut shown = (0, 0);
        for _ in 0..RUNS {
            let start = Instant::now();
            let page = store.list_users(&query).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            times.push(start.elapsed());
            shown = (page.users.len(), page.total);
        }
        times.sort();
        let median = times[RUNS / 2];
        let fast = median < BUDGET;
        all_fast &= fast;
        println!(
            "{backend:<10} {name:<45} best {:>7.2} ms  median {:>7.2} ms  worst {:>7.2} ms  ({} rows of {}) {}",
            times[0].as_secs_f64() * 1000.0,
            median.as_secs_f64() * 1000.0,
            times[RUNS - 1].as_secs_f64() * 1000.0,
            shown.0,
            shown.1,
            if fast { "ok" } else { "OVER 20 ms" }
        );
    }
    Ok(all_fast)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let store = SqlStore::connect(&url).await?;
    let administrator = seed(&store).await?;
    let mut fast = measure(&store, "SQLite", &administrator).await?;

    if let Some(database) = Scratch::create("bench_users", "PostgreSQL NOT measured").await? {
        let store = SqlStore::connect(database.url()).await?;
        let administrator = seed(&store).await?;
        fast &= measure(&store, "PostgreSQL", &administrator).await?;
        store.pool().close().await;
        database.drop_now().await?;
    }
    println!(
        "{}",
        if fast {
            "every median under 20 ms"
        } else {
            "some median over 20 ms"
        }
    );
    Ok(())
}
