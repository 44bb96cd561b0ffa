//! EHLO and HELO: the greeting, and what this session may use.

use std::io;

use tokio::io::BufReader;

use super::Stream;
use super::session::{Next, Session, reply};

impl Session<'_> {
    /// Answers EHLO (with the extensions) or HELO; either resets the transaction.
    pub(super) async fn ehlo(
        &mut self,
        reader: &mut BufReader<Box<dyn Stream>>,
        host: &str,
        extended: bool,
    ) -> io::Result<Next> {
        if host.trim().is_empty() {
            return self.error(reader, "501 5.5.4 Syntax: EHLO hostname\r\n").await;
        }
        self.reset();
        self.greeted = true;
        self.helo = super::session::shown(host.trim()).chars().take(100).collect();
        let name = &self.gateway.config.hostname;
        if !extended {
            reply(reader, &format!("250 {name}\r\n")).await?;
            return Ok(Next::Continue);
        }
        let mut lines = vec![
            name.clone(),
            "PIPELINING".to_owned(),
            format!("SIZE {}", self.gateway.config.max_message_bytes),
            "8BITMIME".to_owned(),
            "SMTPUTF8".to_owned(),
            "ENHANCEDSTATUSCODES".to_owned(),
        ];
        if self.gateway.tls.is_some() && !self.tls {
            lines.push("STARTTLS".to_owned());
        }
        if self.auth_allowed() && self.token.is_none() {
            lines.push("AUTH PLAIN LOGIN".to_owned());
        }
        let last = lines.len() - 1;
        let answer: String = lines
            .iter()
            .enumerate()
            .map(|(i, line)| format!("250{}{line}\r\n", if i == last { ' ' } else { '-' }))
            .collect();
        reply(reader, &answer).await?;
        Ok(Next::Continue)
    }
}
