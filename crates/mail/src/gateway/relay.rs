//! Relaying an untagged message unchanged: when the token says so
//! (`relay_untagged`), a message with no subject tag and no `X-Sealpost-Profile`
//! header goes to the configured outgoing relay as it was received, with one
//! `Received:` line put in front, to the same envelope sender and recipients.
//!
//! `250` is answered only once the relay accepted the message for every
//! recipient (with the SMTP relay: one transaction, so a refused recipient
//! leaves nothing sent; with the `.eml` folder: once the files are written).
//! The relay's temporary failures become `451 4.4.1`, its refusals `554 5.4.0`
//! with its reason; nothing is stored or queued by Sealpost either way. Each
//! attempt is audited `gateway.relayed` (token, client, sender, recipient
//! count, size, outcome), never subject or content.

use sealpost_domain::account_tokens::AccountToken;
use sealpost_domain::types::EmailAddress;

use super::session::Session;
use crate::timefmt;

impl Session<'_> {
    /// Relays `raw` (the DATA as received, dot-unstuffed) and answers what the
    /// client is told.
    pub(super) async fn relay_unchanged(
        &self,
        token: &AccountToken,
        sender: &EmailAddress,
        recipients: &[EmailAddress],
        raw: &[u8],
    ) -> String {
        let services = &self.gateway.services;
        let audit = |outcome: &'static str| {
            services.record_gateway_relayed(token, self.peer.ip(), sender, recipients.len(), raw.len(), outcome)
        };
        let Some(relay) = &self.gateway.relay else {
            let _ = audit("failed").await;
            return "451 4.3.5 No outgoing relay is configured for untagged mail; nothing was stored\r\n".to_owned();
        };
        let mut relayed = self.received_line().into_bytes();
        relayed.extend_from_slice(raw);
        match relay.relay(recipients, sender.as_str(), &relayed).await {
            Ok(()) => {
                let _ = audit("ok").await;
                tracing::info!(token = %token.prefix(), recipients = recipients.len(), size = raw.len(), "gateway message relayed unchanged");
                "250 2.0.0 OK: relayed unchanged\r\n".to_owned()
            }
            Err(error) => {
                let _ = audit("failed").await;
                tracing::warn!(token = %token.prefix(), %error, "the relay did not take an untagged message");
                let detail: String = error
                    .detail()
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .take(300)
                    .collect();
                if error.is_temporary() {
                    format!("451 4.4.1 The outgoing relay did not take the message, try again later: {detail}\r\n")
                } else {
                    format!("554 5.4.0 The outgoing relay refused the message: {detail}\r\n")
                }
            }
        }
    }

    /// The `Received:` line this hop adds (RFC 5321 §4.4), folded once.
    fn received_line(&self) -> String {
        let with = if self.tls { "ESMTPSA" } else { "ESMTPA" };
        let helo = if self.helo.is_empty() { "unknown" } else { &self.helo };
        format!(
            "Received: from {helo} ([{}])\r\n\tby {} (Sealpost) with {with}; {}\r\n",
            self.peer.ip(),
            self.gateway.config.hostname,
            timefmt::rfc5322(self.gateway.services.clock.now()),
        )
    }
}
