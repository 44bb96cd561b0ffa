//! Three `sealpost serve` nodes on one PostgreSQL database (a fresh one per test)
//! and one bucket (moto's S3 server), behind nginx balancing round robin, with
//! mail going to the aiosmtpd sink: what the three-node test and the benchmark
//! share. Which node served an answer is nginx's `X-Upstream` header; the
//! round-robin turn is steered with `/healthz` requests so that a given request
//! lands on a given node.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail, ensure};
use sealpost_testkit::load::Nginx;
pub use sealpost_testkit::postgres::Scratch as Database;
use sealpost_testkit::{Answer, S3Server, Sealpost, Server, free_port};

/// The bucket the nodes share.
pub const BUCKET: &str = "sealpost";

/// A fresh PostgreSQL database for the nodes, dropped with it; `None` (after a
/// loud note) where no server answers and `SEALPOST_REQUIRE_POSTGRES` is not `1`.
pub async fn database() -> Result<Option<Database>> {
    Database::create("nodes", "Several nodes NOT tested").await
}

/// The nodes, their balancer and what they share.
pub struct Cluster {
    /// The nodes, in the balancer's order; `None` once killed.
    pub nodes: Vec<Option<Server>>,
    /// `http://127.0.0.1:<port>` of the balancer: every request of the test goes here.
    pub base: String,
    /// The bucket; stopped when dropped.
    _s3: S3Server,
    /// The balancer; stopped when dropped.
    _lb: Nginx,
    /// The node ports, in the balancer's order.
    pub ports: Vec<u16>,
    probe: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The settings every node shares: the database, the master key file (the same
/// key on every node), the address people use (the balancer), the relay.
fn settings(db: &Database, key: &Path, public: &str, relay: u16) -> String {
    format!(
        "database_url = \"{}\"\nmaster_key_file = \"{}\"\npublic_url = \"{public}\"\ntrust_forwarded_for = true\n\
         smtp_host = \"127.0.0.1\"\nsmtp_port = {relay}\nsmtp_tls = \"none\"\n\
         mail_from = \"Sealpost <sealpost@nodes.example>\"\n",
        db.url(),
        key.display()
    )
}

impl Cluster {
    /// Writes each node's data folder and settings, runs `seed` (administration
    /// commands on the shared database, before any node starts), starts `count`
    /// nodes one after the other and the balancer in front of them. `None` where
    /// moto's server or nginx is missing and allowed to be.
    pub async fn start(
        db: &Database,
        count: usize,
        relay: u16,
        lb_workers: &str,
        seed: impl FnOnce(&Sealpost) -> Result<()>,
    ) -> Result<Option<Self>> {
        if !Path::new("/usr/sbin/nginx").is_file() {
            if std::env::var("SEALPOST_SKIP_NGINX").is_ok_and(|v| v == "1") {
                eprintln!("Several nodes NOT tested: nginx is missing (SEALPOST_SKIP_NGINX=1).");
                return Ok(None);
            }
            bail!(
                "the nodes run behind nginx as their load balancer: install it with `apt-get install nginx-light`, \
                 or set SEALPOST_SKIP_NGINX=1 to skip this test"
            );
        }
        let Some(s3) = S3Server::start().await? else {
            return Ok(None);
        };
        s3.create_bucket(BUCKET).await?;
        let dir = tempfile::tempdir()?;
        let lb_port = free_port()?;
        let base = format!("http://127.0.0.1:{lb_port}");
        let key = dir.path().join("master.key");
        let folders: Vec<PathBuf> = (0..count).map(|n| dir.path().join(format!("node{n}"))).collect();
        for folder in &folders {
            std::fs::create_dir_all(folder)?;
            std::fs::write(folder.join("sealpost.toml"), settings(db, &key, &base, relay))?;
        }
        let sealpost = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), &folders[0]);
        seed(&sealpost)?;
        let mut nodes = Vec::new();
        for (n, folder) in folders.iter().enumerate() {
            let mut serve = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), folder)
                .serve()
                .log_file(&dir.path().join(format!("node{n}.log")));
            for (name, value) in s3.settings(BUCKET, "nodes/") {
                serve = serve.env(&name, &value);
            }
            nodes.push(Some(serve.start().await?));
        }
        let ports: Vec<u16> = nodes.iter().flatten().map(|n| n.port).collect();
        let lb = Nginx::balance(&dir.path().join("lb"), lb_port, &ports, lb_workers)?;
        Ok(Some(Self {
            nodes,
            base,
            _s3: s3,
            _lb: lb,
            ports,
            probe: reqwest::Client::new(),
            _dir: dir,
        }))
    }

    /// SIGKILLs node `n`: no shutdown code runs.
    pub fn kill(&mut self, n: usize) -> Result<()> {
        self.nodes[n].take().context("already killed")?.kill()
    }

    /// Every living node's log, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .flatten()
            .map(|n| format!("--- node {}:\n{}", n.port, n.log_text()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Asks `/healthz` through the balancer until the node before `port` (in the
    /// round-robin turn, among the living) has answered, so the next request goes
    /// to `port`.
    pub async fn next_goes_to(&self, port: u16) -> Result<()> {
        let living: Vec<u16> = self
            .nodes
            .iter()
            .zip(&self.ports)
            .filter(|(node, _)| node.is_some())
            .map(|(_, port)| *port)
            .collect();
        let at = living.iter().position(|p| *p == port).context("no such living node")?;
        let before = living[(at + living.len() - 1) % living.len()];
        for _ in 0..2 * living.len() + 2 {
            let answer = self.probe.get(format!("{}/healthz", self.base)).send().await?;
            ensure!(
                answer.status().is_success(),
                "/healthz through the balancer: {}",
                answer.status()
            );
            if served_by(&answer)? == before {
                return Ok(());
            }
        }
        bail!("the balancer never reached node {before} in its turn")
    }
}

/// The port of the node that answered (the last of `X-Upstream`'s addresses: the
/// ones before it were tried and failed).
pub fn served_by(response: &reqwest::Response) -> Result<u16> {
    let header = response
        .headers()
        .get("x-upstream")
        .context("no X-Upstream header: not through the balancer?")?
        .to_str()?;
    let last = header.rsplit(", ").next().unwrap_or(header);
    Ok(last.rsplit_once(':').context("X-Upstream without a port")?.1.parse()?)
}

/// The addresses nginx tried for an answer (more than one: it retried).
pub fn tried(response: &reqwest::Response) -> usize {
    response
        .headers()
        .get("x-upstream")
        .and_then(|v| v.to_str().ok())
        .map_or(0, |v| v.split(", ").count())
}

/// Sends a request and reads the answer, with the node that served it.
pub async fn send(request: reqwest::RequestBuilder) -> Result<(Answer, u16)> {
    let response = request.send().await?;
    let node = served_by(&response)?;
    Ok((Answer::read(response).await?, node))
}
