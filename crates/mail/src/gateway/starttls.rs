//! STARTTLS: the session continues over TLS, from a fresh EHLO.

use std::io;

use tokio::io::BufReader;

use super::Stream;
use super::session::{Next, Session, reply};

impl Session<'_> {
    /// Accepts STARTTLS when a certificate is configured and the session is not
    /// already encrypted; the caller performs the handshake.
    pub(super) async fn starttls(&mut self, reader: &mut BufReader<Box<dyn Stream>>) -> io::Result<Next> {
        if self.gateway.tls.is_none() {
            return self.error(reader, "502 5.5.1 STARTTLS is not available\r\n").await;
        }
        if self.tls {
            return self.error(reader, "503 5.5.1 TLS is already active\r\n").await;
        }
        reply(reader, "220 2.0.0 Ready to start TLS\r\n").await?;
        Ok(Next::StartTls)
    }
}
