//! Benchmark of several nodes: the opened-message page `/m/{id}` (a 10 KB body)
//! through nginx balancing round robin over one, two and three `sealpost serve`
//! nodes on one PostgreSQL database and one bucket (moto's S3 server), side by
//! side in the same run with nginx serving the same page bytes from a file.
//! `wrk -t2 -c32 -d10s --latency`, each request with the next of 32 recipients'
//! session cookies (the sessions live in the database: any node knows them).
//!
//! On one machine the nodes share its cores with the database, the bucket,
//! nginx and wrk, so more nodes mostly add overhead here; the figures say what
//! the balancer and the shared database cost, not how far more machines scale.
//!
//! Run: `cargo bench -p sealpost-cli --bench nodes` (needs PostgreSQL at
//! `SEALPOST_TEST_POSTGRES_URL`, moto's server, python3 with aiosmtpd, nginx, wrk).

#[path = "../tests/nodes/cluster.rs"]
#[expect(dead_code, reason = "shared with the three-node test, which uses all of it")]
mod cluster;

use std::time::Duration;

use anyhow::{Context as _, ensure};
use sealpost_testkit::load::{self, Nginx, WrkFigures, WrkRun};
use sealpost_testkit::{Browser, Mailbox, SmtpSink, free_port};

use cluster::Cluster;

const SENDER: &str = "sender@bench.example";
const PASSWORD: &str = "Bench-Passphrase-42";
const SESSIONS: usize = 32;
const BODY_BYTES: usize = 10 * 1000;
const WRK_DURATION: Duration = Duration::from_secs(10);
const MARKER: &str = "BenchMarkerWombat";

fn recipient(n: usize) -> String {
    format!("recipient{n:02}@bench.example")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if let Err(missing) = load::tools() {
        println!("{missing}: the nodes benchmark needs both");
        return Ok(());
    }
    let db = cluster::database().await?.context("PostgreSQL is needed")?;
    let sink = SmtpSink::start()?.context("aiosmtpd is needed")?;
    let cluster = Cluster::start(&db, 3, sink.port, "auto", |sealpost| {
        sealpost.add_user(SENDER, ("Bench", "Sender"), PASSWORD, Mailbox::Vouched)?;
        sealpost.create_account("Bench Nodes", SENDER)?;
        for n in 0..SESSIONS {
            sealpost.add_user(&recipient(n), ("Bench", "Reader"), PASSWORD, Mailbox::Vouched)?;
        }
        Ok(())
    })
    .await?
    .context("moto's server is needed")?;

    let sender = Browser::portal(&cluster.base, SENDER, PASSWORD).await?.http;
    let to: Vec<String> = (0..SESSIONS).map(recipient).collect();
    let mut body = format!("{MARKER}\n");
    while body.len() < BODY_BYTES {
        body.push_str("The quick brown fox jumps over the lazy dog, then reads its registered mail.\n");
    }
    let answer = sealpost_testkit::compose(
        &sender,
        &cluster.base,
        &[("to", &to.join(", ")), ("subject", "Benchmark"), ("body", &body)],
        Vec::new(),
    )
    .await?;
    let id = answer.sent_id().context("not sent")?.to_owned();
    let mut cookies = Vec::new();
    for address in &to {
        let browser = Browser::portal(&cluster.base, address, PASSWORD).await?;
        for _ in 0..5 {
            let page = browser.page(&format!("/m/{id}")).await?;
            ensure!(page.contains(MARKER), "the message does not open");
        }
        cookies.push(browser.cookie_header()?);
    }
    let page = reqwest::Client::new()
        .get(format!("{}/m/{id}", cluster.base))
        .header("cookie", &cookies[0])
        .send()
        .await?
        .bytes()
        .await?;

    let dir = tempfile::tempdir()?;
    let run = WrkRun {
        threads: 2,
        connections: SESSIONS,
        duration: WRK_DURATION,
    };
    let mut rows: Vec<(String, WrkFigures)> = Vec::new();
    for count in 1..=3 {
        let port = free_port()?;
        let lb = Nginx::balance(
            &dir.path().join(format!("lb{count}")),
            port,
            &cluster.ports[..count],
            "auto",
        )?;
        let figures = run.run(dir.path(), &format!("{}/m/{id}", lb.url), &cookies);
        let log = lb.error_log();
        drop(lb);
        let figures = figures.with_context(|| format!("the balancer's error log: {log}"))?;
        ensure!(
            figures.bytes_per_request >= page.len() as f64,
            "{count} node(s) answered {:.0} bytes a request, less than the page's {}",
            figures.bytes_per_request,
            page.len()
        );
        rows.push((format!("{count} node(s) via nginx"), figures));
    }
    let direct = run.run(
        dir.path(),
        &format!("http://127.0.0.1:{}/m/{id}", cluster.ports[0]),
        &cookies,
    )?;
    rows.push(("1 node, no balancer".to_owned(), direct));
    let nginx = Nginx::serve(
        &dir.path().join("static"),
        "message.html",
        "text/html; charset=utf-8",
        &page,
    )?;
    let yardstick = run.run(dir.path(), &nginx.url, &[])?;
    drop(nginx);
    rows.push(("nginx, same bytes".to_owned(), yardstick));

    println!();
    println!(
        "sealpost nodes benchmark (PostgreSQL, bucket on moto, {} cores)",
        cores()
    );
    println!(
        "GET /m/{{id}}, {} KB body ({} bytes of page), wrk -t2 -c{SESSIONS} -d{}s --latency, {SESSIONS} sessions",
        BODY_BYTES / 1000,
        page.len(),
        WRK_DURATION.as_secs()
    );
    println!("{:-<86}", "");
    for (name, f) in &rows {
        println!(
            "  {name:<24} {:>8.0} requests/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({:.3}x nginx)",
            f.requests_per_second,
            f.p50.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3,
            f.requests_per_second / yardstick.requests_per_second
        );
    }
    println!("{:-<86}", "");
    drop(cluster);
    db.drop_now().await?;
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
