//! A real S3-compatible server for the bucket tests: moto's (`pip install
//! 'moto[server]'`, the `moto_server` command) run as a child process on 127.0.0.1,
//! keeping its buckets in memory; killed when dropped.
//!
//! Where `moto_server` is missing, starting it is an error that says how to install
//! it, unless `SEALPOST_SKIP_S3=1` allows skipping: then [`S3Server::start`]
//! answers `None` after a loud note, and the test returns early.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};

/// The access key the tests use (moto accepts any).
pub const ACCESS_KEY: &str = "sealpost-test";

/// A running moto server.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:<port>`, what `s3_endpoint` takes.
    pub endpoint: String,
}

impl S3Server {
    /// Starts the server on a free port and waits until it answers.
    pub async fn start() -> Result<Option<Self>> {
        let probe = Command::new("moto_server")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !probe.is_ok_and(|status| status.success()) {
            if std::env::var("SEALPOST_SKIP_S3").is_ok_and(|v| v == "1") {
                eprintln!("S3 bucket NOT tested: moto_server is missing (SEALPOST_SKIP_S3=1).");
                return Ok(None);
            }
            bail!(
                "this test keeps payloads in a real S3-compatible server and needs moto's: install it with \
                 `pip install 'moto[server]'`, or set SEALPOST_SKIP_S3=1 to skip it"
            );
        }
        let port = crate::free_port()?;
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("while starting moto_server")?;
        let mut server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while !crate::listening(port, Duration::from_millis(100)) {
            if let Some(status) = server.child.try_wait()? {
                bail!("moto_server exited with {status} before listening on {port}");
            }
            ensure!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not listen within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Some(server))
    }

    /// Creates `bucket` (what an operator does once, before the first start).
    pub async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let answer = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await?;
        ensure!(answer.status().is_success(), "creating {bucket}: {}", answer.status());
        Ok(())
    }

    /// The keys in `bucket` under `prefix`, as a listing (ListObjectsV2) shows them.
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Result<Vec<String>> {
        let listing = reqwest::Client::new()
            .get(format!("{}/{bucket}", self.endpoint))
            .query(&[("list-type", "2"), ("prefix", prefix)])
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect())
    }

    /// The environment `serve` needs to keep its payloads in `bucket` under `prefix`.
    pub fn settings(&self, bucket: &str, prefix: &str) -> Vec<(String, String)> {
        [
            ("SEALPOST_S3_BUCKET", bucket),
            ("SEALPOST_S3_ENDPOINT", &self.endpoint),
            ("SEALPOST_S3_PREFIX", prefix),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", ACCESS_KEY),
        ]
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
