//! `sealpost serve`: the first start and its operator, plaintext kept off disk and
//! out of the log, a node with another master key, a taken port, the metrics
//! listener and JSON log lines.

use anyhow::Context as _;
use sealpost_testkit::{Attachment, Browser, Mailbox, Sealpost, Server, compose};

use crate::{sealpost, text};

async fn start_serve(data: &std::path::Path) -> anyhow::Result<(Server, u16, Vec<String>)> {
    start_serve_logging(data, "warn", None).await
}

/// Like [`start_serve`], at log level `log`, with what the server prints and logs
/// written to `log_file` when given.
async fn start_serve_logging(
    data: &std::path::Path,
    log: &str,
    log_file: Option<&std::path::Path>,
) -> anyhow::Result<(Server, u16, Vec<String>)> {
    let mut serve = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data)
        .serve()
        .arg("--operator-email")
        .arg("ops@example.com")
        .log_level(log);
    if let Some(path) = log_file {
        serve = serve.log_file(path);
    }
    let server = serve.start().await?;
    let port = server.port;
    let printed = server.log_text().lines().map(str::to_owned).collect();
    Ok((server, port, printed))
}

#[tokio::test]
async fn first_start_creates_an_operator_whose_temporary_password_must_be_changed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (server, port, printed) = start_serve(dir.path()).await?;
    let result = async {
        let all = printed.join("\n");
        assert!(
            all.contains(&format!("http://127.0.0.1:{port}/admin")) && all.contains("ops@example.com"),
            "{all}"
        );
        let password = printed
            .iter()
            .find_map(|l| l.trim().strip_prefix("Temporary password:"))
            .map(|p| p.trim().to_owned())
            .context("no temporary password printed")?;
        let browser = Browser::new(&format!("http://127.0.0.1:{port}"))?;
        let login = browser
            .log_in("/admin/login", "ops@example.com", password.as_str())
            .await?;
        assert_eq!(login.status().as_u16(), 303);
        assert_eq!(
            login.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/password")
        );
        anyhow::Ok(())
    }
    .await;
    drop(server);
    result?;

    // The password is shown once: the next start finds the operator and prints none.
    let (again, _, printed) = start_serve(dir.path()).await?;
    drop(again);
    assert!(!printed.iter().any(|l| l.contains("Temporary password")), "{printed:?}");
    Ok(())
}

/// Logs in at `/portal/login` and returns a cookie client.
async fn portal_client(base: &str, email: &str, password: &str) -> anyhow::Result<reqwest::Client> {
    Ok(Browser::portal(base, email, password).await?.http)
}

#[tokio::test]
async fn plaintext_never_reaches_disk_or_the_servers_log_even_at_trace_level() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let log_file = dir.path().join("server.log");
    let password = "Quiet-Harbor-Lamp-7";
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), &data);
    for (email, admin) in [("sender@example.com", true), ("reader@example.com", false)] {
        // The recipient opens the message: the operator vouches for the mailbox, as
        // nobody reads these test addresses' mail.
        sealpost.add_user(email, ("T", "U"), password, Mailbox::Vouched)?;
        if admin {
            sealpost.create_account("Acme", email)?;
        }
    }
    let (server, port, _) = start_serve_logging(&data, "trace", Some(&log_file)).await?;
    let marker = format!("MARKER{}", std::process::id() as u64 * 7919 + 123_456_789);
    let result = async {
        let base = format!("http://127.0.0.1:{port}");
        let sender = portal_client(&base, "sender@example.com", password).await?;
        let subject = format!("Subject {marker}");
        let body = format!("Body {marker}");
        let sent = compose(
            &sender,
            &base,
            &[("to", "reader@example.com"), ("subject", &subject), ("body", &body)],
            vec![Attachment {
                name: &format!("{marker}.txt"),
                content_type: "text/plain",
                bytes: format!("file {marker}").into_bytes(),
            }],
        )
        .await?;
        let id = sealpost_testkit::sent_id(&sent)?;
        // The worker delivers on its own; wait for the notification file.
        let mail_dir = data.join("mail");
        for _ in 0..100 {
            if std::fs::read_dir(&mail_dir).map(|d| d.count()).unwrap_or(0) > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        anyhow::ensure!(
            std::fs::read_dir(&mail_dir)?.count() == 1,
            "the notification was delivered"
        );
        let reader = portal_client(&base, "reader@example.com", password).await?;
        let shown = reader.get(format!("{base}/m/{id}")).send().await?.text().await?;
        anyhow::ensure!(shown.contains(&marker), "the marker is really in the message");
        anyhow::Ok(())
    }
    .await;
    drop(server);
    result?;
    let log = std::fs::read_to_string(&log_file)?;
    assert!(
        log.lines().count() > 20,
        "the server logged at trace level ({} lines)",
        log.lines().count()
    );
    let mut stack = vec![dir.path().to_path_buf()];
    let mut scanned = 0;
    while let Some(path) = stack.pop() {
        if path.starts_with(&data) {
            // Only Sealpost's own user may read what it keeps.
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is open to others (mode {mode:o})", path.display());
        }
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path)?.filter_map(|e| e.ok().map(|e| e.path())));
            continue;
        }
        let bytes = std::fs::read(&path)?;
        scanned += 1;
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "plaintext found in {}",
            path.display()
        );
    }
    assert!(
        scanned >= 6,
        "database, WAL, blobs, mail and the log were scanned ({scanned} files)"
    );
    Ok(())
}

/// The installation's database, as an operator with `sqlite3` would open it.
async fn database(data: &std::path::Path) -> anyhow::Result<sealpost_storage::SqlStore> {
    let url = format!("sqlite://{}", data.join("sealpost.db").display());
    sealpost_storage::SqlStore::connect(&url).await
}

/// The number of rows `sql` (a `SELECT COUNT(*) …`) counts in the installation's database.
async fn count(data: &std::path::Path, sql: &str) -> anyhow::Result<i64> {
    let store = database(data).await?;
    let n = sqlx::query_scalar(sql).fetch_one(store.pool()).await?;
    store.close().await;
    Ok(n)
}

#[tokio::test]
async fn a_node_with_another_master_key_refuses_to_start_and_writes_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path();
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data);
    sealpost.add_user(
        "ann@example.com",
        ("Ann", "Lee"),
        "A-long-passphrase-1",
        Mailbox::Vouched,
    )?;
    let number = sealpost.create_account("Acme", "ann@example.com")?;
    // An account key wrapped under the installation's master key.
    sealpost.run(&["keys", "rotate", "--account", &number], None)?;
    let key_file = data.join("master.key");
    let original = std::fs::read_to_string(&key_file)?;
    std::fs::write(&key_file, sealpost_crypto::keys::Key256::generate()?.to_base64())?;

    let refuses = async |what: &str| -> anyhow::Result<()> {
        let create = sealpost.command(
            &["account", "create", "--name", "Globex", "--admin", "ann@example.com"],
            None,
        )?;
        assert_ne!(create.status.code(), Some(0), "{what}");
        let said = text(&create.stderr);
        assert!(
            said.contains("is not the one the database")
                && said.contains("master.key")
                && said.contains("nothing was changed"),
            "{what}: {said}"
        );
        let serve = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data)
            .serve()
            .arg("--operator-email")
            .arg("ops@example.com")
            .start()
            .await;
        let log = serve.err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(
            log.contains("is not the one the database"),
            "{what}: serve started: {log}"
        );
        assert!(!log.contains("Temporary password"), "{what}: {log}");
        assert_eq!(count(data, "SELECT COUNT(*) FROM accounts").await?, 1, "{what}");
        assert_eq!(count(data, "SELECT COUNT(*) FROM account_keys").await?, 1, "{what}");
        assert_eq!(
            count(data, "SELECT COUNT(*) FROM users").await?,
            1,
            "{what}: no operator made"
        );
        Ok(())
    };
    refuses("the recorded check").await?;

    // An installation from before the check: its newest account key proves the key.
    let store = database(data).await?;
    sqlx::query("DELETE FROM master_key_check")
        .execute(store.pool())
        .await?;
    store.close().await;
    refuses("an installation from before the check").await?;

    std::fs::write(&key_file, original)?;
    sealpost.create_account("Globex", "ann@example.com")?;
    assert_eq!(
        count(data, "SELECT COUNT(*) FROM master_key_check").await?,
        1,
        "recorded again"
    );
    Ok(())
}

#[tokio::test]
async fn a_first_start_on_a_taken_port_fails_before_it_makes_the_operator() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = taken.local_addr()?.to_string();
    let failed = sealpost(
        dir.path(),
        &["serve", "--listen", &address, "--operator-email", "ops@example.com"],
        None,
    )?;
    assert_ne!(failed.status.code(), Some(0));
    assert!(
        text(&failed.stderr).contains("is another program using that port"),
        "{}",
        text(&failed.stderr)
    );
    assert!(
        !text(&failed.stdout).contains("Temporary password"),
        "{}",
        text(&failed.stdout)
    );
    drop(taken);

    // The password was never shown, so the next start still makes the operator and shows it.
    let (server, _, printed) = start_serve(dir.path()).await?;
    drop(server);
    assert!(printed.iter().any(|l| l.contains("Temporary password")), "{printed:?}");
    Ok(())
}

#[tokio::test]
async fn prometheus_scrapes_requests_logins_and_the_outbox_on_the_metrics_listener_only() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let metrics_port = sealpost_testkit::free_port()?;
    let server = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), dir.path())
        .serve()
        .arg("--operator-email")
        .arg("ops@example.com")
        .env("SEALPOST_METRICS_LISTEN", &format!("127.0.0.1:{metrics_port}"))
        .start()
        .await?;
    let browser = Browser::new(&server.base)?;
    let login_page = reqwest::get(format!("{}/admin/login", server.base)).await?;
    assert_eq!(login_page.status().as_u16(), 200);
    let probe = reqwest::get(format!("{}/wp-admin/secret-42", server.base)).await?;
    assert_eq!(probe.status().as_u16(), 404);
    let refused = browser
        .log_in("/admin/login", "ops@example.com", "not-the-password")
        .await?;
    assert_ne!(refused.status().as_u16(), 303, "a wrong password does not log in");
    // The public port does not show the figures.
    let public = reqwest::get(format!("{}/metrics", server.base)).await?;
    assert_eq!(public.status().as_u16(), 404);

    let scraped = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await?;
    assert_eq!(scraped.status().as_u16(), 200);
    assert!(
        scraped
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        scraped.headers()
    );
    let text = scraped.text().await?;
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(
        // Ours, and the login's own visit for its form's CSRF token.
        has(r#"sealpost_http_requests_total{method="GET",route="/admin/login",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"sealpost_http_requests_total{method="GET",route="unmatched",status="404"}"#)),
        "{text}"
    );
    assert!(
        !text.contains("secret-42"),
        "a probed path never becomes a series: {text}"
    );
    assert!(has(r#"sealpost_logins_total{outcome="refused"} 1"#), "{text}");
    assert!(has("sealpost_outbox_waiting 0"), "{text}");
    assert!(
        text.contains(r#"sealpost_http_request_duration_seconds_bucket{route="/admin/login",le="0.005"}"#),
        "{text}"
    );
    drop(server);
    Ok(())
}

#[tokio::test]
async fn logs_can_be_json_lines_for_a_collector() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), dir.path())
        .serve()
        .arg("--operator-email")
        .arg("ops@example.com")
        .env("SEALPOST_LOG_FORMAT", "json")
        .log_level("info")
        .start()
        .await?;
    let log = server.log_text();
    drop(server);
    let events: Vec<serde_json::Value> = log
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .with_context(|| format!("every log line is one JSON object:\n{log}"))?;
    assert!(
        events
            .iter()
            .any(|e| e["level"] == "INFO" && e["message"] == "serving" && e["listen"].is_string()),
        "{log}"
    );
    Ok(())
}
