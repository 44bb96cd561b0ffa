//! Load from outside the process, for benchmarks and the multi-node test: `wrk`
//! against a URL (rotating the cookies of many sessions through a small Lua
//! script), nginx serving the same bytes from a file, so a figure comes with the
//! machine's own yardstick measured in the same run, and nginx as the load
//! balancer in front of several nodes ([`Nginx::balance`]).
//!
//! Both tools come from Debian's packages (`nginx-light` or `nginx`, `wrk`); when one
//! is missing, [`tools`] says which, and the caller falls back to what it measured
//! before.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};

/// Where Debian installs the two tools.
const NGINX: &str = "/usr/sbin/nginx";
const WRK: &str = "/usr/bin/wrk";

/// The two tools, or the reason the side-by-side run cannot happen.
pub fn tools() -> std::result::Result<(), String> {
    let missing: Vec<&str> = [NGINX, WRK]
        .into_iter()
        .filter(|tool| !Path::new(tool).is_file())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} not installed (apt-get install nginx-light wrk)",
            missing.join(" and ")
        ))
    }
}

/// An nginx serving one file on a free port of 127.0.0.1, or balancing between
/// nodes, from a prefix folder of its own (config, error log, pid, temp
/// folders); stopped when dropped.
pub struct Nginx {
    child: Child,
    /// `http://127.0.0.1:<port>/<file>`: the served bytes ([`Nginx::serve`]), or
    /// `http://127.0.0.1:<port>` ([`Nginx::balance`]).
    pub url: String,
    prefix: PathBuf,
}

impl Nginx {
    /// Writes `bytes` to `prefix/www/<name>` and serves it with `worker_processes
    /// auto`, no access log and keep-alive on, as a tuned static server would.
    pub fn serve(prefix: &Path, name: &str, content_type: &str, bytes: &[u8]) -> Result<Self> {
        let www = prefix.join("www");
        std::fs::create_dir_all(&www)?;
        std::fs::write(www.join(name), bytes)?;
        let port = crate::free_port()?;
        let p = prefix.display();
        let http = format!(
            "  sendfile on;\n  tcp_nopush on;\n  types {{ }}\n  default_type \"{content_type}\";\n\
             \x20 server {{ listen 127.0.0.1:{port}; root {p}/www; }}\n"
        );
        Self::start(prefix, port, "auto", &http, format!("http://127.0.0.1:{port}/{name}"))
    }

    /// A round-robin load balancer on 127.0.0.1:`port` in front of the servers on
    /// 127.0.0.1:`upstreams`, as `docs/DEPLOYMENT.md` sets one up: the client's
    /// address in `X-Forwarded-For`, kept-alive connections to the nodes, and a
    /// request that could not reach a node (refused, reset before an answer, 502,
    /// 503) passed to the next one (never a non-idempotent request a node may have
    /// begun). Every answer names the node(s) that served it in `X-Upstream`
    /// (nginx's `$upstream_addr`, e.g. `127.0.0.1:4001, 127.0.0.1:4002` after a
    /// retry). `workers` is nginx's `worker_processes`; the round-robin turn is
    /// shared by all of them.
    pub fn balance(prefix: &Path, port: u16, upstreams: &[u16], workers: &str) -> Result<Self> {
        let servers: String = upstreams
            .iter()
            .map(|p| format!("    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n"))
            .collect();
        let http = format!(
            "  upstream sealpost_nodes {{\n    zone sealpost_nodes 64k;\n{servers}    keepalive 64;\n  }}\n\
             \x20 server {{\n    listen 127.0.0.1:{port};\n    client_max_body_size 200m;\n\
             \x20   location / {{\n      proxy_pass http://sealpost_nodes;\n      proxy_http_version 1.1;\n\
             \x20     proxy_set_header Connection \"\";\n      proxy_set_header Host $http_host;\n\
             \x20     proxy_set_header X-Forwarded-For $remote_addr;\n      proxy_connect_timeout 2s;\n\
             \x20     proxy_next_upstream error timeout http_502 http_503;\n\
             \x20     proxy_request_buffering on;\n      proxy_buffering on;\n\
             \x20     add_header X-Upstream $upstream_addr always;\n    }}\n  }}\n"
        );
        Self::start(prefix, port, workers, &http, format!("http://127.0.0.1:{port}"))
    }

    /// Writes the configuration (with `http` inside its `http` block) and starts
    /// nginx on it, waiting until `port` accepts connections.
    fn start(prefix: &Path, port: u16, workers: &str, http: &str, url: String) -> Result<Self> {
        std::fs::create_dir_all(prefix)?;
        // Workers would otherwise switch to `nobody`, who cannot read a private
        // temporary folder; as any other user the directive is ignored.
        let user = if running_as_root() { "user root;" } else { "" };
        let p = prefix.display();
        let config = format!(
            "{user}\ndaemon off;\nworker_processes {workers};\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  keepalive_requests 1000000;\n\
             \x20 client_body_temp_path {p}/client;\n  proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n\
             \x20 uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n{http}}}\n"
        );
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config)?;
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(prefix)
            .arg("-e")
            .arg(prefix.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("while starting {NGINX}"))?;
        let mut nginx = Self {
            child,
            url,
            prefix: prefix.to_owned(),
        };
        if !crate::listening(port, Duration::from_secs(10)) {
            let _ = nginx.child.kill();
            bail!("nginx did not listen on {port}: {}", nginx.error_log());
        }
        Ok(nginx)
    }

    /// Its error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // The master's SIGKILL would leave its workers running: ask it to quit.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy)]
pub struct WrkFigures {
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub requests: u64,
    /// Bytes read (heads and bodies) over requests: a redirect to a login page
    /// counts as a success for wrk, but not its size.
    pub bytes_per_request: f64,
}

/// How a `wrk` run loads its target.
#[derive(Debug, Clone, Copy)]
pub struct WrkRun {
    pub threads: usize,
    pub connections: usize,
    pub duration: Duration,
}

impl WrkRun {
    /// Runs `wrk --latency` against `url`, each request carrying the next of
    /// `cookies` (none when empty), through a Lua script written to `dir`. Fails
    /// if any answer was not 2xx/3xx or a socket erred, so a figure is never that
    /// of error pages.
    pub fn run(&self, dir: &Path, url: &str, cookies: &[String]) -> Result<WrkFigures> {
        let script = dir.join(format!("rotate-{}.lua", cookies.len()));
        std::fs::write(&script, rotation_script(cookies))?;
        let output = Command::new(WRK)
            .arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", self.duration.as_secs().max(1)))
            .arg("--latency")
            .arg("-s")
            .arg(&script)
            .arg(url)
            .output()
            .with_context(|| format!("while running {WRK}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        ensure!(
            output.status.success(),
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        parse_wrk(&text).with_context(|| format!("while reading wrk's report:\n{text}"))
    }
}

/// A Lua script for `wrk -s` giving each request the next cookie in turn (each
/// wrk thread keeps its own turn).
fn rotation_script(cookies: &[String]) -> String {
    let mut script = String::from("local cookies = {\n");
    for cookie in cookies {
        let _ = writeln!(script, "  {cookie:?},");
    }
    script.push_str(
        "}\nlocal n = 0\nrequest = function()\n  if #cookies == 0 then return wrk.format(nil) end\n  \
         n = n % #cookies + 1\n  return wrk.format(nil, nil, { [\"Cookie\"] = cookies[n] })\nend\n",
    );
    script
}

/// Reads requests/s, the p50 and p99 latencies and the request count out of
/// `wrk --latency`'s report.
fn parse_wrk(text: &str) -> Result<WrkFigures> {
    let mut figures = WrkFigures {
        requests_per_second: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        requests: 0,
        bytes_per_request: 0.0,
    };
    let mut read = 0.0;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => figures.requests_per_second = value.parse()?,
            ["50%", value] => figures.p50 = latency(value)?,
            ["99%", value] => figures.p99 = latency(value)?,
            [count, "requests", "in", _, amount, "read"] => {
                figures.requests = count.parse()?;
                read = size(amount)?;
            }
            ["Non-2xx", "or", "3xx", "responses:", count] => bail!("{count} answers were errors"),
            ["Socket", "errors:", ..] => bail!("{line}"),
            _ => {}
        }
    }
    ensure!(figures.requests > 0, "no requests were counted");
    figures.bytes_per_request = read / figures.requests as f64;
    Ok(figures)
}

/// `800.00MB` (wrk's units are powers of 1024) as bytes.
fn size(value: &str) -> Result<f64> {
    let units = [
        ("TB", 1u64 << 40),
        ("GB", 1 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
        ("B", 1),
    ];
    let (number, scale) = units
        .iter()
        .find_map(|(unit, scale)| value.strip_suffix(unit).map(|n| (n, *scale)))
        .with_context(|| format!("unknown size unit in {value}"))?;
    Ok(number.parse::<f64>()? * scale as f64)
}

/// `812.00us`, `34.10ms`, `1.20s` as a duration.
fn latency(value: &str) -> Result<Duration> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1.0)
    } else {
        bail!("unknown latency unit in {value}");
    };
    Ok(Duration::from_secs_f64(number.parse::<f64>()? * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::unwrap_used, reason = "a test fails by panicking")]
    fn a_wrk_report_gives_its_rate_and_percentiles() {
        let report = "Running 10s test @ http://127.0.0.1:1/m\n  2 threads and 32 connections\n\
            \x20 Latency Distribution\n     50%   34.10ms\n     75%   40.00ms\n     90%   45.00ms\n\
            \x20    99%    1.20s\n  8123 requests in 10.01s, 800.00MB read\nRequests/sec:    811.49\n";
        let figures = parse_wrk(report).unwrap();
        assert_eq!(figures.requests, 8123);
        assert!((figures.requests_per_second - 811.49).abs() < 1e-9);
        assert_eq!(figures.p50, Duration::from_micros(34_100));
        assert_eq!(figures.p99, Duration::from_millis(1200));
        assert!((figures.bytes_per_request - 800.0 * 1_048_576.0 / 8123.0).abs() < 1e-6);
    }

    #[test]
    fn a_wrk_report_with_error_answers_is_refused() {
        let report = "  10 requests in 1.00s, 1.00KB read\n  Non-2xx or 3xx responses: 3\nRequests/sec: 10.00\n";
        assert!(parse_wrk(report).is_err());
    }
}
