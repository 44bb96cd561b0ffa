//! Benchmark of the administration pages at scale, against the real `sealpost`
//! binary over HTTP. Prints figures; asserts only that pages answer correctly.
//!
//! Seeds a SQLite database with 100,000 users and a group of 10,000 members, starts
//! `sealpost serve`, and measures:
//! - time from process start to the first answered request;
//! - resident memory at idle, and after the measured load;
//! - latency (p50, p95, max over 200 requests) of the Users list (first page,
//!   next page, search by address prefix) and of the group's member page;
//! - with 10,000 accounts: the Accounts list's first page by name, a late page,
//!   a search by part of a name and by leading digits of a number.
//!
//! Run: `cargo bench -p sealpost-cli --bench admin_pages`

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use sealpost_crypto::keys::Key256;
use sealpost_domain::ports::{Clock, SystemClock};
use sealpost_domain::services::Services;
use sealpost_domain::services::messages::{Messaging, MessagingConfig};
use sealpost_domain::services::users::CreateUserRequest;
use sealpost_domain::types::Locale;
use sealpost_mail::MailNotifier;
use sealpost_storage::{ObjectBlobStore, SqlStore};

const USERS: usize = 100_000;
const MEMBERS: usize = 10_000;
const ROUNDS: usize = 200;
const ACCOUNTS: usize = 10_000;
const OPERATOR: &str = "operator@bench.example";
const PASSWORD: &str = "Bench-Password-42";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn seed(url: &str, dir: &Path) -> anyhow::Result<(String, String)> {
    let store = Arc::new(SqlStore::connect(url).await?);
    store.migrate().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let config = MessagingConfig::default();
    let messaging = Messaging {
        blobs: Arc::new(ObjectBlobStore::local(dir.join("blobs"))?),
        notifier: Arc::new(MailNotifier::new("Sealpost", &config.from_address, clock.clone())?),
        master_key: Arc::new(Key256::generate()?),
        config,
        outbox_waker: Arc::default(),
    };
    let services = Services::new(store.clone(), clock, vec![], messaging);
    let request = CreateUserRequest {
        username: OPERATOR.into(),
        first_name: "Bench".into(),
        last_name: "Operator".into(),
        password: PASSWORD.into(),
        confirm_password: PASSWORD.into(),
        force_password_change: false,
        mailbox_vouched: false,
    };
    services
        .create_user(None, &request, None)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let operator = services.grant_operator(OPERATOR).await.map_err(|e| anyhow!("{e:?}"))?;
    let account = services
        .create_account(None, "Bench Corp", Locale::En, Some(OPERATOR), None)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let scope = services
        .account_scope(
            &services.act_as(operator.id).await.map_err(|e| anyhow!("{e:?}"))?,
            account.number,
            None,
        )
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let group = services
        .create_group(&scope, "Staff")
        .await
        .map_err(|e| anyhow!("{e:?}"))?;

    let started = Instant::now();
    let pool = store.pool();
    let mut tx = pool.begin().await?;
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('user{i:06}@bench.example', 'User', 'Number {i}', NULL, 'active', 0, {})",
                    1_700_000_000_000_i64 + *i as i64
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO users (email, first_name, last_name, password_hash, status, must_change_password, created_at) VALUES {}",
            values.join(",")
        ))
        .execute(&mut *tx)
        .await?;
    }
    // Every tenth user joins Staff: 10,000 members spread over the whole address range.
    sqlx::query(&format!(
        "INSERT INTO group_members (group_id, user_id, user_email, added_by, added_at) \
         SELECT {}, id, email, {}, 1700000000000 FROM users WHERE email LIKE 'user%@bench.example' AND (id % 10) = 0 LIMIT {MEMBERS}",
        group.id, operator.id
    ))
    .execute(&mut *tx)
    .await?;
    // Accounts numbered 2000000…, named so that sorting by name differs from by number.
    for chunk in (0..ACCOUNTS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "({}, 'Customer {:05}', 'en', 1700000000000)",
                    2_000_000 + i,
                    (i * 7_919) % ACCOUNTS
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO accounts (number, name, default_locale, created_at) VALUES {}",
            values.join(",")
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    println!(
        "seeded {USERS} users, {MEMBERS} members and {ACCOUNTS} accounts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok((account.number.to_string(), group.id.to_string()))
}

async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let page = client.get(format!("{base}/admin/login")).send().await?.text().await?;
    let start = page.find("name=\"csrf\" value=\"").context("no csrf")? + 19;
    let csrf = &page[start..start + page[start..].find('"').context("csrf end")?];
    let answer = client
        .post(format!("{base}/admin/login"))
        .form(&[("csrf", csrf), ("email", OPERATOR), ("password", PASSWORD)])
        .send()
        .await?;
    if answer.status().as_u16() != 303 {
        bail!("login failed: {}", answer.status());
    }
    Ok(())
}

async fn measure(client: &reqwest::Client, base: &str, name: &str, path: &str, expect: &str) -> anyhow::Result<()> {
    let url = format!("{base}{path}");
    for _ in 0..10 {
        client.get(&url).send().await?.text().await?;
    }
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let response = client.get(&url).send().await?;
        let status = response.status();
        let body = response.text().await?;
        times.push(started.elapsed());
        if !status.is_success() || !body.contains(expect) {
            bail!("{name}: {path} answered {status} without {expect:?}");
        }
    }
    times.sort();
    println!(
        "{name:<34} p50 {:>6.2} ms   p95 {:>6.2} ms   max {:>6.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.95).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sealpost.db").display());
    let (number, group) = seed(&url, dir.path()).await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_sealpost"))
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("SEALPOST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let server = Server(child);
    let probe = reqwest::Client::new();
    loop {
        if probe
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the server did not answer within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    println!(
        "start to first answered request: {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = server.0.id();
    println!(
        "resident memory at idle: {:.1} MiB",
        rss_kib(pid).unwrap_or(0) as f64 / 1024.0
    );

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    login(&client, &base).await?;
    measure(
        &client,
        &base,
        "users list, first page",
        "/admin/users",
        "user000000@bench.example",
    )
    .await?;
    measure(
        &client,
        &base,
        "users list, a later page",
        "/admin/users?after=user050000%40bench.example",
        "user050001@bench.example",
    )
    .await?;
    measure(
        &client,
        &base,
        "users search by prefix 'user0999'",
        "/admin/users?q=user0999",
        "user099900@bench.example",
    )
    .await?;
    measure(
        &client,
        &base,
        "group member page (10,000 members)",
        &format!("/admin/accounts/{number}/groups/{group}"),
        "@bench.example",
    )
    .await?;
    measure(
        &client,
        &base,
        "groups tab",
        &format!("/admin/accounts/{number}/groups"),
        "Showing 2 group(s).",
    )
    .await?;
    measure(
        &client,
        &base,
        "accounts list, first page by name",
        "/admin/accounts",
        "Customer 00000",
    )
    .await?;
    measure(
        &client,
        &base,
        "accounts list, page 150 by name",
        "/admin/accounts?sort=name&page=150",
        "Customer 07460",
    )
    .await?;
    measure(
        &client,
        &base,
        "accounts search 'mer 0999'",
        "/admin/accounts?q=mer+0999",
        "Customer 09990",
    )
    .await?;
    measure(
        &client,
        &base,
        "accounts search by number '20050'",
        "/admin/accounts?q=20050&sort=number",
        "2005000",
    )
    .await?;
    println!(
        "resident memory after {} requests: {:.1} MiB",
        ROUNDS * 9 + 90,
        rss_kib(pid).unwrap_or(0) as f64 / 1024.0
    );
    drop(server);
    Ok(())
}
