//! Growing into it: `sealpost copy database` and `sealpost copy blobs` move a
//! populated SQLite installation (users, an account, messages with attachments,
//! mail still in the outbox) to PostgreSQL and an S3 bucket (moto's server), where
//! it works; and a small one comes back to SQLite and a folder. A copy killed
//! part way resumes.
//!
//! PostgreSQL: a database created for the test on `SEALPOST_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards;
//! where no server answers, said on stderr and not tested (unless
//! `SEALPOST_REQUIRE_POSTGRES=1`).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use anyhow::ensure;
use sealpost_testkit::postgres::Scratch;
use sealpost_testkit::{Attachment, Browser, Mailbox, S3Server, Sealpost, SmtpSink, compose, sent_id};
use sqlx::Connection as _;

const PASSWORD: &str = "Quiet-Harbor-Lamp-7";

/// `sealpost <args>` on the data folder `data` with `env`, as an operator runs it.
fn sealpost(data: &Path, env: &[(String, String)], args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(env!("CARGO_BIN_EXE_sealpost"))
        .args(args)
        .env("SEALPOST_DATA_DIR", data)
        .env("SEALPOST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()?)
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The reader opens message `id` on `base` and downloads its attachment.
async fn open_as_reader(base: &str, id: &str, body: &str) -> anyhow::Result<Vec<u8>> {
    let reader = Browser::portal(base, "reader@example.com", PASSWORD).await?.http;
    let page = reader.get(format!("{base}/m/{id}")).send().await?.text().await?;
    ensure!(page.contains(body), "message {id} does not show {body:?}: {page}");
    Ok(reader
        .get(format!("{base}/m/{id}/attachments/1"))
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?
        .to_vec())
}

#[tokio::test]
async fn a_populated_sqlite_installation_moves_to_postgres_and_a_bucket_and_back() -> anyhow::Result<()> {
    let Some(s3) = S3Server::start().await? else {
        return Ok(());
    };
    s3.create_bucket("grown").await?;
    let Some(first_relay) = SmtpSink::start()? else {
        return Ok(());
    };
    let mut first_relay = Some(first_relay);
    let dir = tempfile::tempdir()?;
    let small = dir.path().join("small");
    let install = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), &small);
    install.add_user("sender@example.com", ("S", "T"), PASSWORD, Mailbox::Vouched)?;
    install.add_user("reader@example.com", ("R", "T"), PASSWORD, Mailbox::Vouched)?;
    install.create_account("Acme", "sender@example.com")?;

    // The small installation at work: one message delivered, then the relay goes
    // away and the second one's notification waits in the outbox.
    let port = first_relay.as_ref().map_or(0, |sink| sink.port);
    let mut server = install.serve().relay(port).start().await?;
    let sender = Browser::portal(&server.base, "sender@example.com", PASSWORD)
        .await?
        .http;
    let figures = b"%PDF-1.7 quarterly figures \x00\x01\x02".to_vec();
    let contract: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let mut ids = Vec::new();
    for (subject, body, name, bytes) in [
        ("Figures", "Attached: figures.", "figures.pdf", &figures),
        ("Contract", "Attached: the contract.", "contract.bin", &contract),
    ] {
        let answer = compose(
            &sender,
            &server.base,
            &[("to", "reader@example.com"), ("subject", subject), ("body", body)],
            vec![Attachment {
                name,
                content_type: "application/octet-stream",
                bytes: bytes.clone(),
            }],
        )
        .await?;
        ids.push(sent_id(&answer)?);
        if let Some(sink) = first_relay.take() {
            wait_for(|| sink.received().map(|r| r.len() == 1)).await?;
            drop(sink);
        }
    }
    server.terminate(Duration::from_secs(30))?;
    drop(server);
    let queued = scalar_sqlite(
        &small,
        "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')",
    )
    .await?;
    ensure!(queued >= 1, "the second notification waits in the outbox");

    // Copy the database; interrupted part way, then resumed.
    let Some(target) = Scratch::create("copy_grown", "Copying to PostgreSQL NOT tested").await? else {
        return Ok(());
    };
    let pg = target.url().to_owned();
    let none: Vec<(String, String)> = Vec::new();
    let cut = sealpost(
        &small,
        &none,
        &[
            "copy",
            "database",
            "--to",
            &pg,
            "--batch-rows",
            "2",
            "--stop-after-batches",
            "3",
        ],
    )?;
    ensure!(
        !cut.status.success() && said(&cut).contains("stopped after 3 batches"),
        "{}",
        said(&cut)
    );
    let again = sealpost(&small, &none, &["copy", "database", "--to", &pg])?;
    ensure!(
        !again.status.success() && said(&again).contains("unfinished copy") && said(&again).contains("--resume"),
        "a second copy into the half-copied database is refused: {}",
        said(&again)
    );
    let resumed = sealpost(
        &small,
        &none,
        &["copy", "database", "--to", &pg, "--resume", "--batch-rows", "2"],
    )?;
    ensure!(resumed.status.success(), "{}", said(&resumed));
    ensure!(said(&resumed).contains("Verified"), "{}", said(&resumed));
    let users = target.count("SELECT COUNT(*) FROM users").await?;
    ensure!(users == 2, "both users copied (found {users})");

    // Now non-empty: a new copy into it is refused and changes nothing.
    let refused = sealpost(&small, &none, &["copy", "database", "--to", &pg])?;
    ensure!(
        !refused.status.success()
            && said(&refused).contains("is not empty")
            && said(&refused).contains("Nothing was written"),
        "{}",
        said(&refused)
    );
    ensure!(target.count("SELECT COUNT(*) FROM users").await? == 2);

    // The payloads into the bucket; interrupted after one object, then resumed.
    let bucket = s3.settings("grown", "sealpost");
    let cut = sealpost(&small, &bucket, &["copy", "blobs", "--to-bucket", "--stop-after", "1"])?;
    ensure!(
        !cut.status.success() && said(&cut).contains("stopped after 1"),
        "{}",
        said(&cut)
    );
    let again = sealpost(&small, &bucket, &["copy", "blobs", "--to-bucket"])?;
    ensure!(
        !again.status.success() && said(&again).contains("already holds objects"),
        "{}",
        said(&again)
    );
    let resumed = sealpost(&small, &bucket, &["copy", "blobs", "--to-bucket", "--resume"])?;
    ensure!(resumed.status.success(), "{}", said(&resumed));
    ensure!(said(&resumed).contains("skipped 1"), "{}", said(&resumed));
    // Small messages keep their parts in their row (copied with the database); the
    // folder holds the large one's, and the bucket now holds as many.
    let in_folder = files_under(&small.join("blobs"))?;
    let in_bucket = s3.keys("grown", "sealpost/").await?.len();
    ensure!(
        in_folder >= 2 && in_bucket == in_folder,
        "every payload in the bucket: {in_bucket} of {in_folder}"
    );

    // The grown installation: another data folder (nothing local to fall back on),
    // the same master key, PostgreSQL and the bucket.
    let grown = dir.path().join("grown");
    std::fs::create_dir_all(&grown)?;
    let mut env = bucket.clone();
    env.push(("SEALPOST_DATABASE_URL".to_owned(), pg.clone()));
    env.push((
        "SEALPOST_MASTER_KEY_FILE".to_owned(),
        small.join("master.key").display().to_string(),
    ));
    let Some(relay) = SmtpSink::start()? else {
        return Ok(());
    };
    let mut relay_env = env.clone();
    relay_env.extend([
        ("SEALPOST_SMTP_HOST".to_owned(), "127.0.0.1".to_owned()),
        ("SEALPOST_SMTP_PORT".to_owned(), relay.port.to_string()),
        ("SEALPOST_SMTP_TLS".to_owned(), "none".to_owned()),
    ]);
    let flushed = sealpost(&grown, &relay_env, &["outbox", "flush", "--all"])?;
    ensure!(flushed.status.success(), "{}", said(&flushed));
    let delivered = relay.received()?;
    ensure!(
        delivered
            .iter()
            .any(|m| m.rcpt_tos.iter().any(|to| to.contains("reader@example.com"))),
        "the queued notification reached the relay from the copy: {}",
        said(&flushed)
    );
    ensure!(
        target
            .count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            .await?
            == 0
    );
    let mut serve = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), &grown).serve();
    for (name, value) in &relay_env {
        serve = serve.env(name, value);
    }
    let mut server = serve.start().await?;
    ensure!(open_as_reader(&server.base, &ids[0], "Attached: figures.").await? == figures);
    ensure!(open_as_reader(&server.base, &ids[1], "Attached: the contract.").await? == contract);
    Browser::portal(&server.base, "sender@example.com", PASSWORD).await?;
    // New rows get new ids (the sequences were set past the copied ones).
    let sender = Browser::portal(&server.base, "sender@example.com", PASSWORD)
        .await?
        .http;
    let answer = compose(
        &sender,
        &server.base,
        &[
            ("to", "reader@example.com"),
            ("subject", "After"),
            ("body", "Sent from the copy."),
        ],
        vec![Attachment {
            name: "after.txt",
            content_type: "text/plain",
            bytes: b"after".to_vec(),
        }],
    )
    .await?;
    let after = sent_id(&answer)?;
    ensure!(open_as_reader(&server.base, &after, "Sent from the copy.").await? == b"after");
    server.terminate(Duration::from_secs(30))?;
    drop(server);

    // And back: PostgreSQL and the bucket into a new SQLite file and folder.
    let back = dir.path().join("back");
    let back_url = format!("sqlite://{}?mode=rwc", back.join("sealpost.db").display());
    let copied = sealpost(&grown, &env, &["copy", "database", "--from", &pg, "--to", &back_url])?;
    ensure!(copied.status.success(), "{}", said(&copied));
    let copied = sealpost(
        &grown,
        &env,
        &[
            "copy",
            "blobs",
            "--to-folder",
            "--folder",
            &back.join("blobs").display().to_string(),
        ],
    )?;
    ensure!(copied.status.success(), "{}", said(&copied));
    let server = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), &back)
        .serve()
        .env(
            "SEALPOST_MASTER_KEY_FILE",
            &small.join("master.key").display().to_string(),
        )
        .start()
        .await?;
    ensure!(open_as_reader(&server.base, &ids[1], "Attached: the contract.").await? == contract);
    ensure!(open_as_reader(&server.base, &after, "Sent from the copy.").await? == b"after");
    drop(server);
    target.drop_now().await?;
    Ok(())
}

async fn scalar_sqlite(data: &Path, sql: &str) -> anyhow::Result<i64> {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("sealpost.db"));
    let mut db = sqlx::SqliteConnection::connect_with(&options).await?;
    let n = sqlx::query_scalar(sql).fetch_one(&mut db).await?;
    db.close().await?;
    Ok(n)
}

async fn wait_for(mut done: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    for _ in 0..300 {
        if done()? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("not within 15 s")
}

#[tokio::test]
async fn a_source_behind_the_latest_migration_is_refused_and_nothing_is_written() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("old");
    let none: Vec<(String, String)> = Vec::new();
    ensure!(sealpost(&data, &none, &["migrate"])?.status.success());
    // As if an older sealpost had migrated it: the newest migration not applied.
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("sealpost.db"));
    let mut db = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
        .execute(&mut db)
        .await?;
    db.close().await?;
    let Some(target) = Scratch::create("copy_behind", "Copying to PostgreSQL NOT tested").await? else {
        return Ok(());
    };
    let pg = target.url().to_owned();
    let refused = sealpost(&data, &none, &["copy", "database", "--to", &pg])?;
    ensure!(
        !refused.status.success()
            && said(&refused).contains("sealpost migrate")
            && said(&refused).contains("nothing was copied"),
        "{}",
        said(&refused)
    );
    let tables = target
        .count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()")
        .await?;
    ensure!(tables == 0, "the target was not touched ({tables} tables)");
    // Two files of the same kind: the database's own tools copy those.
    let other = format!("sqlite://{}?mode=rwc", dir.path().join("other.db").display());
    let same = sealpost(&data, &none, &["copy", "database", "--to", &other])?;
    ensure!(
        !same.status.success() && said(&same).contains("between SQLite and PostgreSQL"),
        "{}",
        said(&same)
    );
    target.drop_now().await?;
    Ok(())
}

/// The copy killed outright (SIGKILL, as a power cut or the OOM killer would) in
/// the middle of a table resumes where the target stands: every row once.
#[tokio::test]
async fn a_copy_killed_mid_table_resumes_and_every_row_arrives_once() -> anyhow::Result<()> {
    const ROWS: i64 = 4000;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("busy");
    let none: Vec<(String, String)> = Vec::new();
    ensure!(sealpost(&data, &none, &["migrate"])?.status.success());
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("sealpost.db"));
    let mut db = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO audit_events (at, action, target, outcome) SELECT i, 'test.row', 'row ' || i, 'ok' FROM n",
    )
    .bind(ROWS)
    .execute(&mut db)
    .await?;
    db.close().await?;
    let Some(target) = Scratch::create("copy_killed", "Copying to PostgreSQL NOT tested").await? else {
        return Ok(());
    };
    let pg = target.url().to_owned();

    // One row a batch, so the table takes a while; killed once a hundred are in.
    let mut copying = Command::new(env!("CARGO_BIN_EXE_sealpost"))
        .args(["copy", "database", "--to", &pg, "--batch-rows", "1"])
        .env("SEALPOST_DATA_DIR", &data)
        .env("SEALPOST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut copied = 0;
    for _ in 0..600 {
        copied = target.count("SELECT COUNT(*) FROM audit_events").await.unwrap_or(0);
        if copied >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    copying.kill()?;
    let status = copying.wait()?;
    ensure!(copied >= 100, "the copy did not reach the audit events in 15 s");
    ensure!(!status.success(), "the copy was killed before it finished ({status})");
    let cut = target.count("SELECT COUNT(*) FROM audit_events").await?;
    ensure!(cut < ROWS, "killed part way: {cut} of {ROWS} rows in");

    let resumed = sealpost(&data, &none, &["copy", "database", "--to", &pg, "--resume"])?;
    ensure!(resumed.status.success(), "{}", said(&resumed));
    ensure!(said(&resumed).contains("Verified"), "{}", said(&resumed));
    let (rows, distinct) = (
        target
            .count("SELECT COUNT(*) FROM audit_events WHERE action = 'test.row'")
            .await?,
        target
            .count("SELECT COUNT(DISTINCT target) FROM audit_events WHERE action = 'test.row'")
            .await?,
    );
    ensure!(
        rows == ROWS && distinct == ROWS,
        "every row once: {rows} rows, {distinct} distinct"
    );
    target.drop_now().await?;
    Ok(())
}

/// How many files the folder and its subfolders hold.
fn files_under(dir: &std::path::Path) -> anyhow::Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            count += files_under(&entry.path())?;
        } else {
            count += 1;
        }
    }
    Ok(count)
}
