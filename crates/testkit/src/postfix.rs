//! Debian's Postfix in an instance of the test's own: its `main.cf` and
//! `master.cf` in a temporary folder (`postfix -c DIR start`), its own queue and
//! data directories and log file, one `smtpd` listener on a free port of
//! 127.0.0.1. The system's Postfix, its configuration and its queue are never
//! touched. Stopped when dropped (`postfix -c DIR stop`, then SIGKILL of its
//! master if it is still there), whatever the test's outcome.
//!
//! Two roles ([`Route`]):
//! - the organisation's mail server, relaying mail tagged `[secure]` to the
//!   Sealpost gateway with the lines of `docs/GATEWAY.md` (a `header_checks`
//!   FILTER to a `sealpost` transport of its own that authenticates with an
//!   account token), optionally over TLS checked against the gateway's
//!   certificate fingerprint;
//! - a yardstick for the gateway benchmark: every message accepted is put on
//!   hold in its queue (written and synced, as Postfix always does before 250),
//!   and nothing is delivered.
//!
//! Postfix's daemons run as root and drop to the `postfix` user: starting an
//! instance needs root. Where Postfix is missing or the process is not root the
//! starter answers `None` after a loud note, unless `SEALPOST_REQUIRE_SMTP=1`
//! makes that an error (CI).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use tempfile::TempDir;

/// Debian's `postfix` command.
const POSTFIX: &str = "/usr/sbin/postfix";

/// Where the instance sends what it accepts.
#[derive(Debug, Clone)]
pub enum Route {
    /// Mail whose subject carries `[secure]` goes to the Sealpost gateway on
    /// 127.0.0.1:`port`, authenticated with `token` (AUTH as user `relay`);
    /// everything else would go out as usual (nothing else is sent in tests).
    Sealpost {
        /// The gateway's port.
        port: u16,
        /// An account token of scope "SMTP submission".
        token: String,
        /// `Some(sha256 fingerprint)`: STARTTLS is required and the gateway's
        /// certificate must have this SHA-256 fingerprint (`AB:CD:…`).
        tls_fingerprint: Option<String>,
    },
    /// Everything accepted is put on hold in the queue; nothing is delivered.
    Hold,
}

/// A running instance; stopped when dropped.
pub struct Postfix {
    dir: TempDir,
    /// The port its `smtpd` listens on, on 127.0.0.1.
    pub port: u16,
}

/// Why an instance cannot be had here, or `None` if it can.
fn unavailable() -> Option<String> {
    if !Path::new(POSTFIX).exists() {
        return Some(format!(
            "{POSTFIX} is missing (DEBIAN_FRONTEND=noninteractive apt-get install -y postfix)"
        ));
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("Postfix's daemons need root to start an instance".to_owned());
    }
    None
}

impl Postfix {
    /// Starts an instance routing as `route` says, and waits until it accepts
    /// connections. `Ok(None)` after a loud note when Postfix cannot run here
    /// (see the module's documentation).
    pub fn start(route: &Route) -> Result<Option<Self>> {
        if let Some(why) = unavailable() {
            if std::env::var("SEALPOST_REQUIRE_SMTP").is_ok_and(|v| v == "1") {
                bail!("Postfix is required (SEALPOST_REQUIRE_SMTP=1) but cannot run: {why}");
            }
            eprintln!("SKIPPED: the Postfix test cannot run: {why}");
            return Ok(None);
        }
        let dir = tempfile::Builder::new().prefix("sealpost-postfix-").tempdir()?;
        // The daemons run as `postfix`: the path to the queue must be theirs to walk.
        Command::new("chmod").arg("755").arg(dir.path()).status()?;
        for sub in ["queue", "data"] {
            std::fs::create_dir(dir.path().join(sub))?;
        }
        let owned = Command::new("chown")
            .arg("postfix")
            .arg(dir.path().join("data"))
            .status()?;
        ensure!(owned.success(), "chown postfix {}/data failed", dir.path().display());
        std::fs::write(dir.path().join("main.cf"), main_cf(dir.path()))?;
        write_route_files(dir.path(), route)?;
        let mut failures = String::new();
        // The probed port may be taken before Postfix binds it: try a few.
        for _ in 0..3 {
            let port = crate::free_port()?;
            std::fs::write(dir.path().join("master.cf"), master_cf(port, route))?;
            let started = postfix(dir.path(), &["start"])?;
            if started.status.success() && crate::listening(port, Duration::from_secs(15)) {
                return Ok(Some(Self { dir, port }));
            }
            let _ = writeln!(
                failures,
                "postfix start: {}{}\n{}",
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr),
                read_log(dir.path())
            );
            stop(dir.path());
        }
        bail!("Postfix did not start:\n{failures}")
    }

    /// The configuration folder (also holding the queue, data and log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its log so far (`maillog_file`).
    pub fn log(&self) -> String {
        read_log(self.dir.path())
    }

    /// How many messages wait in the hold queue.
    pub fn held(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("queue/hold")).map_or(0, Iterator::count)
    }

    /// Waits until the log shows `count` deliveries with `status=sent`; fails with
    /// the log after `limit`.
    pub fn wait_sent(&self, count: usize, limit: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let log = self.log();
            if log.matches("status=sent").count() >= count {
                return Ok(());
            }
            if started.elapsed() > limit {
                bail!("Postfix did not deliver {count} message(s) within {limit:?}; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        stop(self.dir.path());
    }
}

/// Runs `postfix -c DIR <args>`.
fn postfix(dir: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new(POSTFIX)
        .arg("-c")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("while running {POSTFIX} -c {} {args:?}", dir.display()))
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("maillog")).unwrap_or_default()
}

/// Stops the instance in `dir`: `postfix stop`, then SIGKILL of its master
/// process if it still runs after a few seconds.
fn stop(dir: &Path) {
    let pid = std::fs::read_to_string(dir.join("queue/pid/master.pid"))
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|pid| !pid.is_empty());
    let _ = postfix(dir, &["stop"]);
    let Some(pid) = pid else { return };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let alive = Command::new("kill")
            .args(["-0", &pid])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !alive {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill").args(["-KILL", &pid]).status();
}

/// `main.cf`: everything in `dir`, loopback only, no local delivery; mail from
/// loopback clients is relayed (they are the organisation's own).
fn main_cf(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        "compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.example.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
biff = no
message_size_limit = 52428800
header_checks = regexp:{dir}/header_checks
smtpd_data_restrictions = check_client_access regexp:{dir}/client_access
"
    )
}

/// `master.cf`: the `smtpd` on 127.0.0.1:`port`, the daemons a queue needs, no
/// chroot; for [`Route::Sealpost`], the `sealpost` transport of `docs/GATEWAY.md`.
fn master_cf(port: u16, route: &Route) -> String {
    let mut master = format!(
        "127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"
    );
    if let Route::Sealpost { tls_fingerprint, .. } = route {
        master.push_str(
            "sealpost  unix  -       -       n       -       -       smtp
  -o smtp_sasl_auth_enable=yes
  -o smtp_sasl_password_maps=hash:$config_directory/sealpost_sasl
  -o smtp_sasl_security_options=noanonymous
  -o smtp_sasl_tls_security_options=noanonymous
",
        );
        if let Some(fingerprint) = tls_fingerprint {
            let _ = write!(
                master,
                "  -o smtp_tls_security_level=fingerprint
  -o smtp_tls_fingerprint_digest=sha256
  -o smtp_tls_fingerprint_cert_match={fingerprint}
  -o smtp_tls_loglevel=1
"
            );
        }
    }
    master
}

/// The lookup tables: `header_checks` (the FILTER of tagged mail), the client
/// access table (HOLD everything, for [`Route::Hold`]) and the SASL passwords
/// (`postmap`ed, as the guide says).
fn write_route_files(dir: &Path, route: &Route) -> Result<()> {
    let (header_checks, client_access) = match route {
        Route::Sealpost { port, token, .. } => {
            let sasl = dir.join("sealpost_sasl");
            std::fs::write(&sasl, format!("[127.0.0.1]:{port}    relay:{token}\n"))?;
            Command::new("chmod").arg("600").arg(&sasl).status()?;
            let mapped = Command::new("/usr/sbin/postmap")
                .arg("-c")
                .arg(dir)
                .arg(format!("hash:{}", sasl.display()))
                .output()?;
            ensure!(
                mapped.status.success(),
                "postmap failed: {}",
                String::from_utf8_lossy(&mapped.stderr)
            );
            (
                format!("/^Subject:.*\\[secure\\]/   FILTER sealpost:[127.0.0.1]:{port}\n"),
                "/^/ OK\n".to_owned(),
            )
        }
        Route::Hold => (String::new(), "/^/ HOLD\n".to_owned()),
    };
    std::fs::write(dir.join("header_checks"), header_checks)?;
    std::fs::write(dir.join("client_access"), client_access)?;
    Ok(())
}
