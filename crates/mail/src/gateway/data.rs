//! DATA: the message, read to its final dot, parsed, sealed and committed
//! before "250" is said.

use std::io;

use sealpost_domain::DomainError;
use sealpost_domain::services::messages::GatewayOutcome;
use tokio::io::BufReader;

use super::message::{ParseRefusal, submission};
use super::session::{Line, Next, Session, reply};
use super::{Stream, metrics};
use sealpost_domain::services::messages::GatewaySubmission;

/// Why a message read to its end is refused.
enum Refused {
    TooLarge,
    LineTooLong,
    HeaderTooLarge,
}

impl Session<'_> {
    /// Reads the message; a bare CR or LF ends the session (smuggling).
    pub(super) async fn data(&mut self, reader: &mut BufReader<Box<dyn Stream>>) -> io::Result<Next> {
        let (Some(token), Some(sender)) = (self.token.clone(), self.sender.clone()) else {
            return self.error(reader, "503 5.5.1 MAIL first\r\n").await;
        };
        if self.recipients.is_empty() {
            return self.error(reader, "554 5.5.1 No valid recipients\r\n").await;
        }
        reply(reader, "354 End data with <CR><LF>.<CR><LF>\r\n").await?;
        let config = &self.gateway.config;
        let mut raw: Vec<u8> = Vec::new();
        let mut refused: Option<Refused> = None;
        let mut in_header = true;
        let mut size = 0usize;
        loop {
            let line = match self.read_line(reader).await? {
                Line::Good(line) => line,
                Line::TooLong => {
                    refused.get_or_insert(Refused::LineTooLong);
                    continue;
                }
                Line::BareNewline => {
                    let services = &self.gateway.services;
                    let _ = services
                        .record_gateway_submission(
                            Some(&token),
                            self.peer.ip(),
                            Some(&sender),
                            self.recipients.len(),
                            size,
                            "refused",
                        )
                        .await;
                    reply(
                        reader,
                        "500 5.5.2 Bare CR or LF in the message is not allowed, closing\r\n",
                    )
                    .await?;
                    return Ok(Next::Close);
                }
            };
            if line == b".\r\n" {
                break;
            }
            // Dot-stuffing (RFC 5321 §4.5.2).
            let content = line.strip_prefix(b".").unwrap_or(&line);
            size += content.len();
            if in_header && content == b"\r\n" {
                in_header = false;
            }
            if in_header && size > config.max_header_bytes {
                refused.get_or_insert(Refused::HeaderTooLarge);
            }
            if size > config.max_message_bytes {
                refused.get_or_insert(Refused::TooLarge);
            }
            if refused.is_none() {
                raw.extend_from_slice(content);
            }
        }
        let recipients = std::mem::take(&mut self.recipients);
        let sender_found = self.sender_found.take();
        self.reset();
        let services = &self.gateway.services;
        let audit = |outcome: &'static str| {
            services.record_gateway_submission(
                Some(&token),
                self.peer.ip(),
                Some(&sender),
                recipients.len(),
                size,
                outcome,
            )
        };
        if let Some(why) = refused {
            let _ = audit("refused").await;
            metrics::message(
                "refused",
                match why {
                    Refused::TooLarge => "too_large",
                    Refused::LineTooLong => "line_too_long",
                    Refused::HeaderTooLarge => "header_too_large",
                },
            );
            let answer = match why {
                Refused::TooLarge => format!(
                    "552 5.3.4 Message size exceeds the limit of {} bytes\r\n",
                    config.max_message_bytes
                ),
                Refused::LineTooLong => format!(
                    "500 5.5.6 A line of the message is longer than {} bytes\r\n",
                    config.max_line_bytes
                ),
                Refused::HeaderTooLarge => format!(
                    "552 5.3.4 The message header is larger than {} bytes\r\n",
                    config.max_header_bytes
                ),
            };
            reply(reader, &answer).await?;
            return Ok(Next::Continue);
        }
        let parsed = match submission(&raw, config, sender.clone(), recipients.clone()) {
            Ok(parsed) => GatewaySubmission { sender_found, ..parsed },
            Err(why) => {
                let _ = audit("refused").await;
                metrics::message(
                    "refused",
                    match why {
                        ParseRefusal::Unparsable => "unparsable",
                        ParseRefusal::TooManyParts => "too_many_parts",
                    },
                );
                let answer = match why {
                    ParseRefusal::Unparsable => "554 5.6.0 The message could not be parsed\r\n".to_owned(),
                    ParseRefusal::TooManyParts => format!(
                        "552 5.3.4 The message has more than {} MIME parts\r\n",
                        config.max_parts
                    ),
                };
                reply(reader, &answer).await?;
                return Ok(Next::Continue);
            }
        };
        // A sealed message's "ok" audit event is committed with it (one synced write).
        let answer = match services
            .submit_from_gateway(&token, &parsed, self.peer.ip(), size)
            .await
        {
            Ok(GatewayOutcome::Relay) => {
                let answer = self.relay_unchanged(&token, &sender, &recipients, &raw).await;
                match answer.as_bytes().first() {
                    Some(b'2') => metrics::message("relayed", "-"),
                    Some(b'4') => metrics::message("failed", "relay"),
                    _ => metrics::message("refused", "relay"),
                }
                answer
            }
            Ok(GatewayOutcome::Sealed(message)) => {
                metrics::message("accepted", "-");
                tracing::info!(token = %token.prefix(), message = %message.public_id, recipients = recipients.len(), size, "gateway message sealed and queued");
                format!("250 2.0.0 OK: queued as {}\r\n", message.public_id)
            }
            Err(error) => {
                let temporary = matches!(error, DomainError::Unavailable(_) | DomainError::Internal(_));
                let _ = audit(if temporary { "failed" } else { "refused" }).await;
                let (reason, answer) = refusal(&error, &parsed);
                metrics::message(if temporary { "failed" } else { "refused" }, reason);
                answer
            }
        };
        reply(reader, &answer).await?;
        Ok(Next::Continue)
    }
}

/// The reply for a message the domain did not take, with the reason as counted
/// in `/metrics`.
fn refusal(error: &DomainError, parsed: &GatewaySubmission) -> (&'static str, String) {
    match error {
        DomainError::Invalid { field: "from", .. } => (
            "from_mismatch",
            "550 5.7.1 The From header must name the envelope sender (MAIL FROM) and no one else\r\n".to_owned(),
        ),
        DomainError::Invalid { field: "profile", .. } => (
            "unknown_profile",
            format!(
                "550 5.7.1 This account has no envelope profile called \"{}\" (X-Sealpost-Profile); nothing was stored\r\n",
                super::session::shown(parsed.controls.profile.as_deref().unwrap_or_default())
                    .chars()
                    .take(100)
                    .collect::<String>()
            ),
        ),
        DomainError::Forbidden | DomainError::NotFound => (
            "sender_forbidden",
            "550 5.7.1 The sender may not send secure mail for this account\r\n".to_owned(),
        ),
        DomainError::Unavailable(_) => (
            "storage_full",
            "452 4.3.1 Storage is full for now, try again later\r\n".to_owned(),
        ),
        DomainError::Internal(source) => {
            tracing::error!(error = %source, "the gateway could not store a message");
            (
                "internal",
                "451 4.3.0 Temporary failure, try again later\r\n".to_owned(),
            )
        }
        other => match other.validation() {
            Some(sealpost_domain::error::ValidationError::AttachmentsTooLarge) => (
                "attachments_too_large",
                "552 5.3.4 The attachments are larger than this service accepts\r\n".to_owned(),
            ),
            Some(sealpost_domain::error::ValidationError::AccountSuspended) => (
                "suspended",
                "550 5.7.1 This account is suspended: it sends no new secure messages\r\n".to_owned(),
            ),
            Some(sealpost_domain::error::ValidationError::FeatureSwitchedOff) => (
                "feature_off",
                "550 5.7.1 Secure Compose is switched off for this account\r\n".to_owned(),
            ),
            Some(why) => ("invalid", format!("554 5.6.0 Message refused: {why}\r\n")),
            None => ("other", "554 5.6.0 Message refused\r\n".to_owned()),
        },
    }
}
