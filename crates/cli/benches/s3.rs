//! Benchmark: sealing a 100 MiB attachment into an S3 bucket against putting the
//! same bytes into the same bucket with the same client. Prints figures; asserts
//! only that both arrived.
//!
//! - Sealing: the real `sealpost serve` keeping its payloads in the bucket
//!   (moto's server on loopback, `SEALPOST_S3_*`), one message with a 100 MiB
//!   attachment through `/portal/compose`: upload, sealing and the multipart
//!   upload of the sealed parts, timed until the server answers.
//! - Copying: `object_store`'s S3 client (the one `serve` uses), a multipart upload
//!   of the same 100 MiB in 5 MiB parts, two in flight (as the blob store writes).
//!
//! The ratio (sealing time / copying time) is the price of sealing in this path.
//! Run: `cargo bench -p sealpost-cli --bench s3` (needs `moto_server`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, WriteMultipart};
use sealpost_testkit::{Attachment, Browser, Mailbox, S3Server, Sealpost, compose};

const BYTES: usize = 100 * 1024 * 1024;
const PART: usize = 5 * 1024 * 1024;
const PASSWORD: &str = "Bench-Passphrase-42";
const ROUNDS: usize = 3;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn run() -> anyhow::Result<()> {
    let Some(s3) = S3Server::start().await? else {
        return Ok(());
    };
    s3.create_bucket("bench").await?;
    let attachment: Vec<u8> = (0..BYTES)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();

    // The same client as the product's: object_store's S3 store on the same endpoint.
    let direct: Arc<dyn ObjectStore> = Arc::new(
        AmazonS3Builder::new()
            .with_bucket_name("bench")
            .with_region("us-east-1")
            .with_endpoint(&s3.endpoint)
            .with_allow_http(true)
            .with_access_key_id(sealpost_testkit::s3::ACCESS_KEY)
            .with_secret_access_key(sealpost_testkit::s3::ACCESS_KEY)
            .build()?,
    );
    let mut copy_times = Vec::new();
    for round in 0..ROUNDS {
        let path = Path::from(format!("direct/{round}"));
        let started = Instant::now();
        let mut writer = WriteMultipart::new_with_chunk_size(direct.put_multipart(&path).await?, PART);
        for chunk in attachment.chunks(64 * 1024) {
            writer.wait_for_capacity(2).await?;
            writer.write(chunk);
        }
        writer.finish().await?;
        copy_times.push(started.elapsed());
        ensure!(
            direct.head(&path).await?.size == BYTES as u64,
            "the direct copy arrived whole"
        );
    }

    let dir = tempfile::tempdir()?;
    let install = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), dir.path().join("data"));
    install.add_user("sender@bench.example", ("S", "B"), PASSWORD, Mailbox::Vouched)?;
    install.add_user("reader@bench.example", ("R", "B"), PASSWORD, Mailbox::Vouched)?;
    install.create_account("Bench", "sender@bench.example")?;
    let mut serve = install
        .serve()
        .env("SEALPOST_MAX_ATTACHMENT_MB", "200")
        .env("SEALPOST_MAX_ENVELOPE_MB", "1");
    for (name, value) in s3.settings("bench", "sealed") {
        serve = serve.env(&name, &value);
    }
    let server = serve.start().await?;
    let sender = Browser::portal(&server.base, "sender@bench.example", PASSWORD)
        .await?
        .http;
    let mut seal_times = Vec::new();
    for round in 0..ROUNDS {
        let started = Instant::now();
        let answer = compose(
            &sender,
            &server.base,
            &[
                ("to", "reader@bench.example"),
                ("subject", &format!("Large {round}")),
                ("body", "Attached."),
            ],
            vec![Attachment {
                name: "large.bin",
                content_type: "application/octet-stream",
                bytes: attachment.clone(),
            }],
        )
        .await?;
        seal_times.push(started.elapsed());
        ensure!(
            answer.status == 303,
            "compose answered {} {}",
            answer.status,
            answer.body
        );
    }
    let sealed: u64 = {
        let store: Arc<dyn ObjectStore> = direct.clone();
        let mut total = 0;
        let mut listing = store.list(Some(&Path::from("sealed")));
        use futures_util::StreamExt as _;
        while let Some(meta) = listing.next().await {
            total += meta.context("listing the sealed objects")?.size;
        }
        total
    };
    ensure!(
        sealed >= (ROUNDS * BYTES) as u64,
        "the sealed payloads are in the bucket ({sealed} bytes)"
    );
    drop(server);

    let (seal, copy) = (median(seal_times.clone()), median(copy_times.clone()));
    let rate = |d: Duration| BYTES as f64 / 1_048_576.0 / d.as_secs_f64();
    println!("100 MiB into an S3 bucket (moto on loopback), median of {ROUNDS}");
    println!(
        "  sealed through /portal/compose: {:>8.2} s  ({:>6.1} MiB/s)  rounds {seal_times:?}",
        seal.as_secs_f64(),
        rate(seal)
    );
    println!(
        "  put with object_store directly: {:>8.2} s  ({:>6.1} MiB/s)  rounds {copy_times:?}",
        copy.as_secs_f64(),
        rate(copy)
    );
    println!(
        "  ratio sealing / copying:        {:>8.2}",
        seal.as_secs_f64() / copy.as_secs_f64()
    );
    Ok(())
}
