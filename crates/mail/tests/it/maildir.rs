//! The `.eml` directory transport on a real file system.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, ensure};
use sealpost_domain::ports::Notifier as _;
use sealpost_domain::types::Locale;
use sealpost_mail::{MailDir, SendError, Transport as _};

use crate::support::{address, clock, notifier};

fn files(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

#[tokio::test]
async fn each_message_becomes_one_eml_file_named_by_time_and_message_id() -> Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("mail").join("out");
    let clock = clock();
    let transport = MailDir::new(&dir, clock.clone());
    let to = address("bob@client.example")?;
    let mail = notifier(clock.clone())?.activation(&to, Locale::En, "https://sealpost.example.com/a/1")?;

    transport.send(&to, "sealpost@mail.example.com", &mail.raw).await?;

    let expected = format!("20261121T183005-{}.eml", mail.message_id.replace('@', "_"));
    assert_eq!(
        files(&dir)?,
        std::slice::from_ref(&expected),
        "the directory was created and holds one file"
    );
    assert!(
        std::fs::read(dir.join(&expected))? == mail.raw,
        "the file differs from the message"
    );
    Ok(())
}

#[tokio::test]
async fn sending_the_same_message_again_in_the_same_second_leaves_one_file() -> Result<()> {
    let temp = tempfile::tempdir()?;
    let clock = clock();
    let transport = MailDir::new(temp.path(), clock.clone());
    let to = address("bob@client.example")?;
    let mail = notifier(clock.clone())?.password_reset(&to, Locale::Fr, "https://sealpost.example.com/r/1")?;
    transport.send(&to, "", &mail.raw).await?;
    transport.send(&to, "", &mail.raw).await?;
    assert_eq!(files(temp.path())?.len(), 1);
    clock.advance_seconds(1);
    transport.send(&to, "", &mail.raw).await?;
    let names = files(temp.path())?;
    assert_eq!(names.len(), 2, "{names:?}");
    ensure!(
        names.iter().all(|n| n.ends_with(".eml") && !n.starts_with(".tmp")),
        "temporary files were left behind: {names:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_unwritable_directory_is_a_transient_failure_that_names_the_path() -> Result<()> {
    let temp = tempfile::tempdir()?;
    let blocker = temp.path().join("not-a-dir");
    std::fs::write(&blocker, b"a file where the directory should be")?;
    let transport = MailDir::new(blocker.join("mail"), Arc::new(sealpost_domain::ports::SystemClock));
    let result = transport
        .send(
            &address("bob@client.example")?,
            "",
            b"Message-ID: <a@b.example>\r\n\r\nx\r\n",
        )
        .await;
    let detail = match result {
        Err(SendError::Transient(detail)) => detail,
        other => anyhow::bail!("expected a transient failure, got {other:?}"),
    };
    assert!(detail.contains("not-a-dir"), "{detail}");
    let leftovers = files(temp.path())?;
    assert_eq!(leftovers, ["not-a-dir"]);
    Ok(())
}
