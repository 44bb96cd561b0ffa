//! What Sealpost's tests and benchmarks share, so that each of them says only what
//! it checks: a dev-dependency, never a dependency of shipped code.
//!
//! - [`smtp`]: a real SMTP server (Python's aiosmtpd running `smtp_sink.py`, next to
//!   this crate's manifest) on a free port, keeping every mail it accepts;
//! - [`binary`]: the real `sealpost` binary on a data folder: administration
//!   commands (`user add`, `account create`, …) and `serve` on a free port, waited
//!   for until `/healthz` answers;
//! - [`browser`]: a cookie-keeping HTTP client that does not follow redirects, the
//!   portal and administration logins, and reading CSRF tokens, hidden fields and
//!   a page's visible text;
//! - [`disk`]: a small tmpfs to fill, for the full-disk tests, and waiting for
//!   `/healthz` to recover once it is emptied;
//! - [`load`]: `wrk` against a URL with many sessions' cookies, and nginx serving
//!   the same bytes from a file, for benchmarks that compare with it;
//! - [`postfix`]: Debian's Postfix in an instance of the test's own, as the
//!   organisation's mail server relaying to the gateway, or as the yardstick of
//!   the gateway benchmark;
//! - [`postgres`]: a database of the test's own on the PostgreSQL test server,
//!   dropped afterwards, or said to be untested when no server answers;
//! - [`submit`]: a blocking SMTP client that authenticates with an account token
//!   and sends one message after another, knowing which got its 250.
//!
//! The binary's path comes from the caller (`env!("CARGO_BIN_EXE_sealpost")` exists
//! only in the CLI crate's tests and benchmarks), so this crate depends on no
//! binary and builds before it.

pub mod binary;
pub mod browser;
pub mod disk;
pub mod dkim;
pub mod load;
pub mod postfix;
pub mod postgres;
pub mod s3;
pub mod smtp;
pub mod submit;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

pub use binary::{Mailbox, Sealpost, Server};
pub use browser::{
    Answer, Attachment, Browser, compose, compose_form, csrf_of, hidden_field, page, sent_id, text_of, unescape,
};
pub use disk::{Tmpfs, healthy_again};
pub use postfix::{Postfix, Route};
pub use s3::S3Server;
pub use smtp::{Mail, Received, SmtpSink};
pub use submit::{SmtpClient, message_of_size};

/// A port of 127.0.0.1 nobody listens on right now (another process may take it
/// before the caller binds it: starters retry).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A port of 127.0.0.1 held closed: bound but not listening, so connections to it
/// are refused (a relay that is down) and no other socket can take it meanwhile,
/// as one could a [`free_port`] during a long outage. [`ClosedPort::open`] lets
/// it go for the server that answers again to bind.
pub struct ClosedPort {
    socket: tokio::net::TcpSocket,
}

impl ClosedPort {
    pub fn hold() -> anyhow::Result<Self> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        Ok(Self { socket })
    }

    /// The port.
    pub fn port(&self) -> anyhow::Result<u16> {
        Ok(self.socket.local_addr()?.port())
    }

    /// Releases the port for a server to bind now; its number.
    pub fn open(self) -> anyhow::Result<u16> {
        self.port()
    }
}

/// Whether something accepts connections on 127.0.0.1:`port` within `limit`.
pub fn listening(port: u16, limit: Duration) -> bool {
    let started = Instant::now();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    while started.elapsed() < limit {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
