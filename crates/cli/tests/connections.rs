//! The real `sealpost serve` under connections that hold on: a flood of idle and
//! slow-header sockets at an open-file limit of 1,024, and shutdown while clients
//! hold half a request.
//!
//! The server runs under `prlimit --nofile=1024:1024` (soft and hard: it cannot
//! raise the limit, the hardest case), with short timeouts so the test stays
//! quick. Figures (time to answer under the flood, how long slow headers stayed
//! open, how long shutdown took) are printed; run with `--nocapture` to see them.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use sealpost_testkit::Sealpost;

/// Idle sockets: connect, send nothing.
const IDLE: usize = 1000;
/// Slow-header sockets: half a request head, then a byte now and then.
const SLOW: usize = 100;
/// The header timeout the server is given for the test.
const HEADER_TIMEOUT_SECS: u64 = 3;

/// A running server and its data folder.
struct Server {
    server: sealpost_testkit::Server,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Starts `serve` on a free port at an open-file limit of 1,024 with `env` set.
async fn start(env: &[(&str, &str)]) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let server = Sealpost::new(env!("CARGO_BIN_EXE_sealpost"), dir.path())
        .serve()
        .under(&["prlimit", "--nofile=1024:1024", "--"])
        .envs(env)
        .start()
        .await
        .context("starting `serve` under `prlimit` (util-linux: apt-get install util-linux)")?;
    let port = server.port;
    Ok(Server {
        server,
        port,
        _dir: dir,
    })
}

/// The test process itself holds over a thousand sockets: lift its own soft limit.
fn allow_many_sockets() -> anyhow::Result<()> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft < 4096 {
        setrlimit(Resource::RLIMIT_NOFILE, hard.min(65536), hard)?;
    }
    Ok(())
}

/// Whether the server closed (or answered and closed) this socket.
fn closed(socket: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 512];
    match socket.read(&mut buffer) {
        Ok(0) => true,
        Ok(_) => true,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

/// A page as a browser asks for it, with its status and how long it took.
async fn timed_get(port: u16, path: &str) -> anyhow::Result<(u16, Duration)> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    let started = Instant::now();
    let answer = client.get(format!("http://127.0.0.1:{port}{path}")).send().await?;
    let status = answer.status().as_u16();
    answer.text().await?;
    Ok((status, started.elapsed()))
}

#[tokio::test]
async fn a_thousand_idle_and_a_hundred_slow_header_connections_do_not_stop_the_service() -> anyhow::Result<()> {
    allow_many_sockets()?;
    let timeout = HEADER_TIMEOUT_SECS.to_string();
    let server = start(&[("SEALPOST_HEADER_TIMEOUT_SECS", timeout.as_str())]).await?;
    let port = server.port;
    let flood_started = Instant::now();
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(("127.0.0.1", port))?);
    }
    let mut slow = Vec::with_capacity(SLOW);
    for _ in 0..SLOW {
        let mut socket = TcpStream::connect(("127.0.0.1", port))?;
        socket.write_all(b"GET /portal/login HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")?;
        socket.set_nonblocking(true)?;
        slow.push((socket, Instant::now(), None::<Duration>));
    }
    let opened = flood_started.elapsed();

    // With every socket held, a person opens the login page.
    let (status, took) = timed_get(port, "/portal/login").await?;
    eprintln!(
        "flood: {IDLE} idle + {SLOW} slow-header sockets opened in {:.0} ms; \
         /portal/login answered {status} in {:.0} ms",
        opened.as_secs_f64() * 1000.0,
        took.as_secs_f64() * 1000.0
    );
    ensure!(status == 200, "the login page answered {status} under the flood");

    // The slow clients keep trickling header bytes; the server must close them
    // once the header timeout has passed, whatever they send.
    let slow_started = Instant::now();
    let give_up = Duration::from_secs(HEADER_TIMEOUT_SECS + 20);
    while slow.iter().any(|(_, _, open)| open.is_none()) && slow_started.elapsed() < give_up {
        for (socket, opened, open) in slow.iter_mut().filter(|(_, _, open)| open.is_none()) {
            let _ = socket.write(b"a");
            if closed(socket) {
                *open = Some(opened.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let still_open = slow.iter().filter(|(_, _, open)| open.is_none()).count();
    let longest = slow.iter().filter_map(|(_, _, open)| *open).max().unwrap_or_default();
    eprintln!(
        "slow headers: {} of {SLOW} closed by the server, the longest open {:.1} s (header timeout {HEADER_TIMEOUT_SECS} s)",
        SLOW - still_open,
        longest.as_secs_f64()
    );
    ensure!(
        still_open == 0,
        "{still_open} slow-header connections were still open after {} s",
        give_up.as_secs()
    );

    // And the service still answers afterwards.
    let (status, took) = timed_get(port, "/healthz").await?;
    eprintln!(
        "after the flood: /healthz answered {status} in {:.0} ms",
        took.as_secs_f64() * 1000.0
    );
    ensure!(status == 200);
    drop(idle);
    Ok(())
}

#[tokio::test]
async fn shutdown_does_not_wait_for_ever_on_clients_that_hold_half_a_request() -> anyhow::Result<()> {
    // Timeouts far beyond the shutdown deadline: only the deadline can end these.
    let mut server = start(&[
        ("SEALPOST_HEADER_TIMEOUT_SECS", "300"),
        ("SEALPOST_IDLE_TIMEOUT_SECS", "300"),
        ("SEALPOST_SHUTDOWN_TIMEOUT_SECS", "2"),
    ])
    .await?;
    let port = server.port;
    let mut half_header = TcpStream::connect(("127.0.0.1", port))?;
    half_header.write_all(b"GET /portal/login HTTP/1.1\r\nHost: local")?;
    // A request whose body stops halfway: the handler waits for the rest.
    let mut half_body = TcpStream::connect(("127.0.0.1", port))?;
    half_body.write_all(
        b"POST /portal/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100000\r\n\r\nemail=a",
    )?;
    // Let the server read both before it is told to stop.
    let (status, _) = timed_get(port, "/healthz").await?;
    ensure!(status == 200);
    // prlimit execs the server: the child's pid is the server's.
    let took = server.server.terminate(Duration::from_secs(2 + 8))?;
    eprintln!(
        "shutdown with a half header and a half body held open: exited {:.2} s after SIGTERM (deadline 2 s)",
        took.as_secs_f64()
    );
    let status = server.server.wait()?;
    ensure!(status.success(), "the server exited with {status}");
    drop((half_header, half_body));
    Ok(())
}
