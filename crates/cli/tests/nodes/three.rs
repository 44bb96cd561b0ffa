//! Three nodes, one PostgreSQL database, one bucket, nginx round robin in front:
//! the seed procedure and the whole envelope path with consecutive requests on
//! different nodes (login, CSRF, flash, a refused draft kept on one node and
//! offered back on another), then one node SIGKILLed during a burst of messages:
//! the survivors keep answering and every notification reaches the relay, a
//! repeated one with its original `Message-ID`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail, ensure};
use sealpost_testkit::smtp::SinkOptions;
use sealpost_testkit::{Answer, Attachment, Browser, Mailbox, SmtpSink, compose_form, csrf_of, hidden_field};
use sqlx::Connection as _;

use crate::cluster::{self, Cluster, Database, send, served_by, tried};

const PASSWORD: &str = "Three-Nodes-Passphrase-1";
const SENDER: &str = "sender@nodes.example";
const READER: &str = "reader@nodes.example";
const COLLEAGUE: &str = "colleague@nodes.example";
/// Messages in the burst, one recipient each.
const BURST: usize = 30;
/// Node B is killed just after it stored this many-th message of the burst, while
/// its outbox worker (woken by that message) is delivering it.
const KILL_AT: usize = 10;
/// The relay's pause after storing a mail before its 250, so the delivery node B
/// began is under way when it dies: the relay holds the mail, B never hears so.
const SINK_DELAY: Duration = Duration::from_millis(1000);
const PHASE_LIMIT: Duration = Duration::from_secs(60);

/// A logged-in browser through the balancer.
async fn browser(cluster: &Cluster, login: &str, email: &str) -> Result<Browser> {
    let browser = Browser::new(&cluster.base)?;
    browser.log_in_ok(login, email, PASSWORD).await?;
    Ok(browser)
}

/// Gets `page` for its CSRF token, then posts the form `fields` to `path` on
/// node `port`; returns the answer.
async fn submit_on(
    cluster: &Cluster,
    browser: &Browser,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
    port: u16,
) -> Result<Answer> {
    let csrf = browser.csrf(page).await?;
    cluster.next_goes_to(port).await?;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let (answer, node) = send(browser.http.post(format!("{}{path}", cluster.base)).form(&all)).await?;
    ensure!(node == port, "{path} was meant for node {port}, node {node} answered");
    Ok(answer)
}

/// The compose form (GET on whichever node, POST on node `port`).
async fn compose_on(
    cluster: &Cluster,
    browser: &Browser,
    page: &str,
    fields: &[(&str, &str)],
    files: Vec<Attachment<'_>>,
    port: u16,
) -> Result<Answer> {
    let csrf = csrf_of(&browser.page(page).await?)?;
    cluster.next_goes_to(port).await?;
    let form = compose_form(&csrf, fields, files)?;
    let (answer, node) = send(
        browser
            .http
            .post(format!("{}/portal/compose", cluster.base))
            .multipart(form),
    )
    .await?;
    ensure!(node == port, "compose was meant for node {port}, node {node} answered");
    Ok(answer)
}

/// A GET of `path` on node `port`.
async fn get_on(cluster: &Cluster, browser: &Browser, path: &str, port: u16) -> Result<Answer> {
    cluster.next_goes_to(port).await?;
    let (answer, node) = send(browser.http.get(format!("{}{path}", cluster.base))).await?;
    ensure!(node == port, "{path} was meant for node {port}, node {node} answered");
    Ok(answer)
}

fn now_ms() -> Result<i64> {
    Ok(i64::try_from(
        SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis(),
    )?)
}

#[tokio::test]
async fn three_nodes_serve_any_request_and_lose_no_mail_when_one_dies() -> Result<()> {
    let Some(db) = cluster::database().await? else {
        return Ok(());
    };
    let Some(sink) = SmtpSink::start_with(SinkOptions {
        port: None,
        delay: SINK_DELAY,
    })?
    else {
        return Ok(());
    };
    let seeded = std::sync::Mutex::new(String::new());
    let Some(mut cluster) = Cluster::start(&db, 3, sink.port, "1", |sealpost| {
        for (email, name) in [(SENDER, ("Sam", "Sender")), (READER, ("Rita", "Reader"))] {
            sealpost.add_user(email, name, PASSWORD, Mailbox::Vouched)?;
        }
        let number = sealpost.create_account("Acme Nodes", SENDER)?;
        *seeded.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = number;
        Ok(())
    })
    .await?
    else {
        return Ok(());
    };
    let number = seeded.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
    let [a, b, c] = [cluster.ports[0], cluster.ports[1], cluster.ports[2]];

    // --- The seed procedure, each step on another node ---------------------------
    let admin = browser(&cluster, "/admin/login", SENDER).await?;
    let accounts = get_on(&cluster, &admin, "/admin/accounts", a).await?;
    ensure!(
        accounts
            .body
            .contains(&format!("href=\"/admin/accounts/{number}\">{number}</a>")),
        "the session made on one node is known to another: {}",
        accounts.text()
    );
    let groups = get_on(&cluster, &admin, &format!("/admin/accounts/{number}/groups"), b).await?;
    let members_path = groups
        .body
        .split("href=\"")
        .filter_map(|rest| rest.split_once('"'))
        .find(|(_, after)| after.starts_with(" title=\"Members of Account Administrators\""))
        .map(|(href, _)| href.to_owned())
        .with_context(|| format!("no members link: {}", groups.text()))?;
    let created = submit_on(
        &cluster,
        &admin,
        "/admin/users/new",
        "/admin/users",
        &[
            ("username", COLLEAGUE),
            ("first_name", "Cole"),
            ("last_name", "League"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ],
        c,
    )
    .await?;
    ensure!(
        created.status == 303,
        "Add User on node C: {} {}",
        created.status,
        created.text()
    );
    let added = submit_on(
        &cluster,
        &admin,
        &members_path,
        &format!("{members_path}/members"),
        &[("user_id", COLLEAGUE)],
        a,
    )
    .await?;
    ensure!(
        added.status == 303 && added.location.as_deref() == Some(members_path.as_str()),
        "Add to Group on node A: {} {}",
        added.status,
        added.text()
    );
    // The flash set by node A's answer shows on node B's page.
    let members = get_on(&cluster, &admin, &members_path, b).await?;
    ensure!(
        members.shows(&format!("{COLLEAGUE} was added to the group Account Administrators."))
            && members.shows(&format!("{COLLEAGUE} Cole League")),
        "{}",
        members.text()
    );

    // --- The envelope path: compose on A, open on B, reply on C --------------------
    let sender = browser(&cluster, "/portal/login", SENDER).await?;
    let reader = browser(&cluster, "/portal/login", READER).await?;
    let sent = compose_on(
        &cluster,
        &sender,
        "/portal/compose",
        &[
            ("to", READER),
            ("subject", "Figures across nodes"),
            ("body", "Composed on node A."),
            ("allow_reply", "on"),
        ],
        Vec::new(),
        a,
    )
    .await?;
    let id = sent
        .sent_id()
        .with_context(|| format!("not sent: {} {}", sent.status, sent.text()))?
        .to_owned();
    let opened = get_on(&cluster, &reader, &format!("/m/{id}"), b).await?;
    ensure!(
        opened.status == 200 && opened.shows("Composed on node A."),
        "opened on node B: {} {}",
        opened.status,
        opened.text()
    );
    let replied = compose_on(
        &cluster,
        &reader,
        &format!("/portal/compose?reply={id}&kind=reply"),
        &[("reply", &id), ("kind", "reply"), ("body", "Answered on node C.")],
        Vec::new(),
        c,
    )
    .await?;
    let reply_id = replied
        .sent_id()
        .with_context(|| format!("reply not sent: {} {}", replied.status, replied.text()))?
        .to_owned();
    let answer = get_on(&cluster, &sender, &format!("/m/{reply_id}"), a).await?;
    ensure!(answer.shows("Answered on node C."), "{}", answer.text());

    // --- A refused draft kept on node B is offered back on node C -----------------
    let figures = b"quarter,total\nQ3,42\n".to_vec();
    let refused = compose_on(
        &cluster,
        &sender,
        "/portal/compose",
        &[
            ("to", "reader@"),
            ("subject", "Kept across nodes"),
            ("body", "See the file."),
        ],
        vec![Attachment {
            name: "q3.csv",
            content_type: "text/csv",
            bytes: figures.clone(),
        }],
        b,
    )
    .await?;
    ensure!(
        refused.status == 422 && refused.shows("q3.csv"),
        "{} {}",
        refused.status,
        refused.text()
    );
    let token = hidden_field(&refused.body, "draft").context("the refused form carries its draft")?;
    ensure!(
        db.count("SELECT COUNT(*) FROM kept_drafts").await? == 1,
        "the draft is kept in the database"
    );
    let kept = compose_on(
        &cluster,
        &sender,
        "/portal/compose",
        &[
            ("to", READER),
            ("subject", "Kept across nodes"),
            ("body", "See the file."),
            ("draft", &token),
            ("keep", "1"),
        ],
        Vec::new(),
        c,
    )
    .await?;
    let kept_id = kept
        .sent_id()
        .with_context(|| format!("the corrected form on node C: {} {}", kept.status, kept.text()))?
        .to_owned();
    cluster.next_goes_to(a).await?;
    let file = reader
        .http
        .get(format!("{}/m/{kept_id}/attachments/1", cluster.base))
        .send()
        .await?;
    ensure!(served_by(&file)? == a, "the download was meant for node A");
    ensure!(
        file.error_for_status()?.bytes().await?.as_ref() == figures.as_slice(),
        "the kept file arrives whole"
    );
    ensure!(
        db.count("SELECT COUNT(*) FROM kept_drafts").await? == 0,
        "taken back once"
    );

    // --- A burst of messages; node B is killed in the middle ------------------------
    let mut expected = BTreeSet::new();
    let mut retried = 0;
    let burst_started = Instant::now();
    for n in 0..BURST {
        let to = format!("burst{n:02}@nodes.example");
        let form_page = sender
            .http
            .get(format!("{}/portal/compose", cluster.base))
            .send()
            .await?;
        if tried(&form_page) > 1 {
            retried += 1;
        }
        let csrf = csrf_of(&form_page.text().await?)?;
        let subject = format!("Burst {n}");
        let form = compose_form(&csrf, &[("to", &to), ("subject", &subject), ("body", "x")], Vec::new())?;
        if n + 1 == KILL_AT {
            cluster.next_goes_to(b).await?;
        }
        let response = sender
            .http
            .post(format!("{}/portal/compose", cluster.base))
            .multipart(form)
            .send()
            .await?;
        if tried(&response) > 1 {
            retried += 1;
        }
        let node = served_by(&response)?;
        let answer = Answer::read(response).await?;
        ensure!(
            answer.status == 303,
            "message {n} (node {node}): {} {}",
            answer.status,
            answer.text()
        );
        ensure!(n < KILL_AT || node != b, "node B answered after it was killed");
        expected.insert(to);
        if n + 1 == KILL_AT {
            ensure!(
                node == b,
                "the message before the kill was meant for node B, node {node} answered"
            );
            // B's worker claims the row at once and hands the mail to the relay.
            tokio::time::sleep(SINK_DELAY / 2).await;
            cluster.kill(1)?;
        }
    }
    let burst_time = burst_started.elapsed();
    ensure!(
        retried >= 1,
        "the first request nginx sent to the dead node should have gone on to another"
    );
    // The survivors answer, directly and through the balancer.
    for port in [a, c] {
        let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await?;
        ensure!(
            health.status().is_success(),
            "node {port} after the kill: {}",
            health.status()
        );
    }
    for _ in 0..6 {
        let (page, node) = send(sender.http.get(format!("{}/portal/sent", cluster.base))).await?;
        ensure!(page.status == 200 && node != b, "{} from {node}", page.status);
    }

    // Rows the dead node had claimed wait for their lease; once nothing else moves,
    // time passes for them (the lease is set to now) and a survivor takes them.
    let stranded = wait_until_only_stranded(&db, &cluster).await?;
    ensure!(
        (1..=sealpost_mail::worker::DEFAULT_LANES).contains(&stranded),
        "node B died delivering: between one row and one per lane wait for its lease, {stranded} do"
    );
    let mut conn = db.connect().await?;
    sqlx::query("UPDATE outbox SET lease_until = $1 WHERE status = 'sending'")
        .bind(now_ms()?)
        .execute(&mut conn)
        .await?;
    conn.close().await?;

    let started = Instant::now();
    loop {
        let got = by_recipient(&sink)?;
        if expected.iter().all(|to| got.contains_key(to)) {
            break;
        }
        if started.elapsed() > PHASE_LIMIT {
            let missing: Vec<&String> = expected.iter().filter(|to| !got.contains_key(*to)).collect();
            bail!("notifications missing: {missing:?}\n{}", cluster.logs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each message has its own Message-ID; a repeated mail carries its original one.
    let rows = outbox(&db).await?;
    let got = by_recipient(&sink)?;
    let mut duplicates = 0;
    let mut ids = BTreeSet::new();
    for to in &expected {
        let row = rows.get(to).with_context(|| format!("no outbox row for {to}"))?;
        let received = &got[to];
        ensure!(
            received.iter().all(|id| id.as_deref() == Some(row.as_str())),
            "{to} received {received:?}, its row holds {row}"
        );
        ensure!(ids.insert(row.clone()), "{row} names two messages");
        duplicates += received.len() - 1;
    }
    eprintln!(
        "three nodes: {BURST} messages composed through the balancer in {burst_time:.1?}, node B killed after \
         {KILL_AT}; {retried} request(s) passed on by nginx to another node; {stranded} notification(s) the dead \
         node held waited for their lease; every notification arrived, {duplicates} duplicate(s) with their \
         original Message-ID"
    );
    drop(cluster);
    db.drop_now().await?;
    Ok(())
}

/// Waits until every notification row is sent or held by a lease that does not
/// move for three seconds (the dead node's: a living one finishes a delivery in
/// a fraction of that); returns how many are held.
async fn wait_until_only_stranded(db: &Database, cluster: &Cluster) -> Result<usize> {
    let started = Instant::now();
    let mut last: Option<(Vec<String>, Instant)> = None;
    loop {
        let mut conn = db.connect().await?;
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT to_email, status FROM outbox ORDER BY id")
            .fetch_all(&mut conn)
            .await?;
        conn.close().await?;
        let pending = rows.iter().filter(|(_, s)| s == "pending").count();
        let sending: Vec<String> = rows
            .iter()
            .filter(|(_, s)| s == "sending")
            .map(|(to, _)| to.clone())
            .collect();
        if pending == 0 {
            match &last {
                Some((held, since)) if *held == sending && since.elapsed() > Duration::from_secs(3) => {
                    return Ok(sending.len());
                }
                Some((held, _)) if *held == sending => {}
                _ => last = Some((sending, Instant::now())),
            }
        } else {
            last = None;
        }
        ensure!(
            started.elapsed() < PHASE_LIMIT,
            "the survivors did not deliver what they could: {rows:?}\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each notification row's `Message-ID`, by recipient.
async fn outbox(db: &Database) -> Result<BTreeMap<String, String>> {
    let mut conn = db.connect().await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT to_email, message_id_header FROM outbox WHERE kind = 'notification'")
            .fetch_all(&mut conn)
            .await?;
    conn.close().await?;
    Ok(rows.into_iter().map(|(to, id)| (to.to_lowercase(), id)).collect())
}

/// The `Message-ID`s each address received.
fn by_recipient(sink: &SmtpSink) -> Result<BTreeMap<String, Vec<Option<String>>>> {
    let mut map: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for mail in sink.received()? {
        for to in &mail.rcpt_tos {
            map.entry(to.to_lowercase()).or_default().push(mail.message_id());
        }
    }
    Ok(map)
}
