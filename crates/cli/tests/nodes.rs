//! Growing past one machine: the sealed payloads in an S3-compatible bucket (a real
//! one, moto's server) instead of the local folder; then three nodes on one
//! PostgreSQL database and one bucket behind nginx balancing round robin, where
//! any request may reach any node and one node dies mid-burst.
//!
//! Needs moto's server (`SEALPOST_SKIP_S3=1` skips), python3 with aiosmtpd
//! (`SEALPOST_SKIP_SMTP=1` skips), PostgreSQL (`SEALPOST_TEST_POSTGRES_URL`; skipped
//! with a note when none answers unless `SEALPOST_REQUIRE_POSTGRES=1`) and nginx.

#[path = "nodes/cluster.rs"]
mod cluster;
#[path = "nodes/three.rs"]
mod three;

use sealpost_testkit::{Attachment, Browser, Mailbox, S3Server, Sealpost, compose};

#[tokio::test]
async fn sealed_payloads_live_in_the_bucket_and_open_from_it() -> anyhow::Result<()> {
    let Some(s3) = S3Server::start().await? else {
        return Ok(());
    };
    s3.create_bucket("sealpost").await?;
    let dir = tempfile::tempdir()?;
    let data = dir.path();
    let password = "Quiet-Harbor-Lamp-7";
    let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), data);
    sealpost.add_user("sender@example.com", ("S", "T"), password, Mailbox::Vouched)?;
    sealpost.add_user("reader@example.com", ("R", "T"), password, Mailbox::Vouched)?;
    sealpost.create_account("Acme", "sender@example.com")?;
    let mut serve = sealpost.serve().arg("--operator-email").arg("ops@example.com");
    for (name, value) in s3.settings("sealpost", "node-a") {
        serve = serve.env(&name, &value);
    }
    let server = serve.start().await?;

    // Over 64 KiB, so that the parts are blobs (a smaller message keeps them in its row).
    let attachment = b"%PDF-1.7 quarterly figures \x00\x01\x02".repeat(4_000);
    let sender = Browser::portal(&server.base, "sender@example.com", password)
        .await?
        .http;
    let sent = compose(
        &sender,
        &server.base,
        &[
            ("to", "reader@example.com"),
            ("subject", "Figures"),
            ("body", "Attached."),
        ],
        vec![Attachment {
            name: "figures.pdf",
            content_type: "application/pdf",
            bytes: attachment.clone(),
        }],
    )
    .await?;
    let id = sealpost_testkit::sent_id(&sent)?;

    // The content part and the attachment are objects under the prefix; nothing
    // sealed stays in the local folder.
    let keys = s3.keys("sealpost", "node-a/").await?;
    assert!(keys.len() >= 2, "content and attachment in the bucket: {keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("node-a/")), "{keys:?}");
    let local = data.join("blobs");
    let local_files = walk(&local);
    assert!(
        local_files.is_empty(),
        "nothing sealed on the local disk: {local_files:?}"
    );
    // What the bucket holds is sealed: the attachment's bytes are nowhere in it.
    for key in &keys {
        let object = reqwest::get(format!("{}/sealpost/{key}", s3.endpoint))
            .await?
            .bytes()
            .await?;
        assert!(
            !object.windows(17).any(|w| w == b"quarterly figures"),
            "{key} holds plaintext"
        );
    }

    let reader = Browser::portal(&server.base, "reader@example.com", password)
        .await?
        .http;
    let page = sealpost_testkit::page(&reader, &format!("{}/m/{id}", server.base)).await?;
    assert!(page.contains("Attached.") && page.contains("figures.pdf"), "{page}");
    let downloaded = reader
        .get(format!("{}/m/{id}/attachments/1", server.base))
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    assert_eq!(downloaded.as_ref(), attachment.as_slice());

    // A load balancer asks /healthz: with the bucket gone this node cannot serve.
    let healthy = reqwest::get(format!("{}/healthz", server.base)).await?;
    assert_eq!(healthy.status().as_u16(), 200);
    drop(s3);
    let unhealthy = reqwest::get(format!("{}/healthz", server.base)).await?;
    assert_eq!(unhealthy.status().as_u16(), 503);
    let reason = unhealthy.text().await?;
    assert!(reason.contains("blob store"), "{reason}");
    drop(server);
    Ok(())
}

/// Every file below `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        match std::fs::read_dir(&path) {
            Ok(entries) => stack.extend(entries.filter_map(|e| e.ok().map(|e| e.path()))),
            Err(_) if path.is_file() => found.push(path),
            Err(_) => {}
        }
    }
    found
}
