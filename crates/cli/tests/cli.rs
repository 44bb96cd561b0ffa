//! The `sealpost` binary as an operator uses it: commands, their output, their exit
//! statuses, and the first start of `serve`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Output, Stdio};

use anyhow::{Context as _, bail};

fn sealpost(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> anyhow::Result<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealpost"))
        .args(args)
        .env("SEALPOST_DATA_DIR", data)
        .env("SEALPOST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(input) = stdin {
        child.stdin.take().context("stdin")?.write_all(input.as_bytes())?;
    }
    drop(child.stdin.take());
    Ok(child.wait_with_output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn commands_administer_the_service_and_explain_refusals() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path();

    let added = sealpost(
        data,
        &[
            "user",
            "add",
            "--email",
            "Dana@Example.com",
            "--first-name",
            "Dana",
            "--last-name",
            "Scully",
        ],
        None,
    )?;
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let out = text(&added.stdout);
    assert!(
        out.contains("User dana@example.com added.")
            && out.contains("Temporary password: ")
            && out.contains("must be changed"),
        "{out}"
    );

    let piped = sealpost(
        data,
        &[
            "user",
            "add",
            "--email",
            "eve@example.com",
            "--first-name",
            "Eve",
            "--last-name",
            "Ng",
            "--password-stdin",
        ],
        Some("A-long-passphrase-1\n"),
    )?;
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));
    assert!(!text(&piped.stdout).contains("Temporary password"));

    let refusals: [(&[&str], Option<&str>, &str); 5] = [
        (
            &[
                "user",
                "add",
                "--email",
                "dana@example.com",
                "--first-name",
                "D",
                "--last-name",
                "S",
            ],
            None,
            "A user with this username already exists.",
        ),
        (
            &[
                "user",
                "add",
                "--email",
                "dana@",
                "--first-name",
                "D",
                "--last-name",
                "S",
            ],
            None,
            "Enter a valid email address",
        ),
        (
            &[
                "user",
                "add",
                "--email",
                "f@example.com",
                "--first-name",
                "F",
                "--last-name",
                "K",
                "--password-stdin",
            ],
            Some("short\n"),
            "at least 10 characters",
        ),
        (
            &["account", "create", "--name", "Ghost", "--admin", "nobody@example.com"],
            None,
            "Cannot add a non-existent user.",
        ),
        (
            &["operator", "grant", "nobody@example.com"],
            None,
            "Cannot add a non-existent user.",
        ),
    ];
    for (args, stdin, message) in refusals {
        let refused = sealpost(data, args, stdin)?;
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(
            text(&refused.stderr).contains(message),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }

    let account = sealpost(
        data,
        &[
            "account",
            "create",
            "--name",
            "Acme Corp",
            "--admin",
            "dana@example.com",
        ],
        None,
    )?;
    assert_eq!(account.status.code(), Some(0), "{}", text(&account.stderr));
    let number = text(&account.stdout).trim().to_owned();
    assert!(
        number.len() == 7 && number.chars().all(|c| c.is_ascii_digit()),
        "{number:?}"
    );

    let granted = sealpost(data, &["operator", "grant", "eve@example.com"], None)?;
    assert!(text(&granted.stdout).contains("eve@example.com is now an operator."));

    let usage = sealpost(data, &["operator", "grant"], None)?;
    assert_eq!(usage.status.code(), Some(2));
    let bad_url = sealpost(data, &["--database-url", "mysql://x", "migrate"], None)?;
    assert_eq!(bad_url.status.code(), Some(1));
    assert!(text(&bad_url.stderr).contains("SEALPOST_DATABASE_URL"));
    Ok(())
}

/// Starts `serve` on a free port and returns it with every stdout line printed
/// before "is listening on".
fn start_serve(data: &std::path::Path) -> anyhow::Result<(std::process::Child, u16, Vec<String>)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealpost"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--operator-email",
            "ops@example.com",
        ])
        .env("SEALPOST_DATA_DIR", data)
        .env("SEALPOST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let done = line.contains("is listening on");
        printed.push(line);
        if done {
            return Ok((child, port, printed));
        }
    }
    let _ = child.kill();
    bail!("serve exited before listening: {printed:?}")
}

#[tokio::test]
async fn first_start_creates_an_operator_whose_temporary_password_must_be_changed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (mut child, port, printed) = start_serve(dir.path())?;
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
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let base = format!("http://127.0.0.1:{port}");
        let page = client.get(format!("{base}/admin/login")).send().await?.text().await?;
        let start = page.find("name=\"csrf\" value=\"").context("csrf")? + 19;
        let csrf = page[start..start + page[start..].find('"').context("csrf end")?].to_owned();
        let login = client
            .post(format!("{base}/admin/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "ops@example.com"),
                ("password", password.as_str()),
            ])
            .send()
            .await?;
        assert_eq!(login.status().as_u16(), 303);
        assert_eq!(
            login.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/password")
        );
        anyhow::Ok(())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result?;

    // The password is shown once: the next start finds the operator and prints none.
    let (mut again, _, printed) = start_serve(dir.path())?;
    let _ = again.kill();
    let _ = again.wait();
    assert!(!printed.iter().any(|l| l.contains("Temporary password")), "{printed:?}");
    Ok(())
}
