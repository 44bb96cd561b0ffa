//! MAIL FROM: the author, who must be allowed to send for the token's account.

use std::borrow::Cow;
use std::io;

use sealpost_domain::DomainError;
use sealpost_domain::types::EmailAddress;
use smtp_proto::MailFrom;
use tokio::io::BufReader;

use super::Stream;
use super::session::{Next, Session, reply, shown};

impl Session<'_> {
    /// Starts a transaction once the sender is known to be allowed.
    pub(super) async fn mail_from(
        &mut self,
        reader: &mut BufReader<Box<dyn Stream>>,
        from: MailFrom<Cow<'_, str>>,
    ) -> io::Result<Next> {
        if !self.greeted {
            return self.error(reader, "503 5.5.1 Say EHLO first\r\n").await;
        }
        let Some(token) = self.token.clone() else {
            return self.error(reader, "530 5.7.0 Authentication required\r\n").await;
        };
        if self.sender.is_some() {
            return self.error(reader, "503 5.5.1 Nested MAIL command\r\n").await;
        }
        if from.size > self.gateway.config.max_message_bytes {
            return self
                .error(
                    reader,
                    &format!(
                        "552 5.3.4 Message size exceeds the limit of {} bytes\r\n",
                        self.gateway.config.max_message_bytes
                    ),
                )
                .await;
        }
        let Ok(sender) = EmailAddress::parse(&from.address) else {
            return self
                .error(reader, "553 5.1.7 The sender address is not valid\r\n")
                .await;
        };
        let services = &self.gateway.services;
        match services.gateway_sender(&token, &sender).await {
            Ok(found) => {
                self.sender = Some(sender);
                self.sender_found = Some(found);
                reply(reader, "250 2.1.0 Sender OK\r\n").await?;
                Ok(Next::Continue)
            }
            Err(DomainError::Forbidden) => {
                let _ = services
                    .record_gateway_submission(Some(&token), self.peer.ip(), Some(&sender), 0, 0, "refused")
                    .await;
                let answer = format!(
                    "550 5.7.1 <{}> may not send secure mail for this account\r\n",
                    shown(&from.address)
                );
                self.error(reader, &answer).await
            }
            Err(error) => {
                tracing::warn!(?error, "the gateway could not check a sender");
                reply(reader, "451 4.3.0 Temporary failure, try again later\r\n").await?;
                Ok(Next::Continue)
            }
        }
    }
}
