//! RCPT TO: each envelope recipient (To, Cc and Bcc alike).

use std::borrow::Cow;
use std::io;

use sealpost_domain::types::EmailAddress;
use smtp_proto::RcptTo;
use tokio::io::BufReader;

use super::Stream;
use super::session::{Next, Session, reply};

impl Session<'_> {
    /// Adds a recipient to the transaction, up to the configured number.
    pub(super) async fn rcpt(
        &mut self,
        reader: &mut BufReader<Box<dyn Stream>>,
        to: RcptTo<Cow<'_, str>>,
    ) -> io::Result<Next> {
        if self.sender.is_none() {
            return self.error(reader, "503 5.5.1 MAIL first\r\n").await;
        }
        if self.recipients.len() >= self.gateway.config.max_recipients {
            reply(reader, "452 4.5.3 Too many recipients\r\n").await?;
            return Ok(Next::Continue);
        }
        let Ok(address) = EmailAddress::parse(&to.address) else {
            return self
                .error(reader, "553 5.1.3 The recipient address is not valid\r\n")
                .await;
        };
        if !self.recipients.contains(&address) {
            self.recipients.push(address);
        }
        reply(reader, "250 2.1.5 Recipient OK\r\n").await?;
        Ok(Next::Continue)
    }
}
