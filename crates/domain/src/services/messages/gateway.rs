//! Messages submitted through the SMTP gateway (`sealpost_mail::gateway`): the
//! organisation's mail server hands over a message, already parsed, with its
//! envelope; it becomes ONE secure message of the token's account, sealed and
//! sent exactly as a portal draft ([`Services::send_draft`]), so notifications
//! and envelopes are the portal's.
//!
//! - who may submit: a live account token of scope `smtp_submission`, from one
//!   of its networks ([`Services::authenticate_gateway`]), throttled like logins;
//! - who may be the sender: a member of the token's account
//!   ([`Services::gateway_sender`]; allowed sender domains extend it there);
//! - what the sender may choose: `X-Sealpost-*` controls ([`GatewayControls`]),
//!   never beyond the account's Features (`AccountSettings::clamp`, at sending);
//! - who learns of whom: envelope recipients absent from `To`/`Cc` are Bcc,
//!   stored as such and never shown to the others.

use std::net::IpAddr;

use super::compose::ComposeRequest;
use super::*;
use crate::account_tokens::{AccountToken, TokenScope, public_id_of};
use crate::services::auth::{LoginError, throttle_wait};

/// Failed AUTH attempts per (token, client) before the client waits.
const TOKEN_FREE_FAILURES: i64 = 5;
/// Failed AUTH attempts per client before it waits, whatever token it tries.
const CLIENT_FREE_FAILURES: i64 = 20;

/// One attachment or inline image of a submitted message, decoded.
#[derive(Debug, Clone)]
pub struct GatewayAttachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What the sender chose with `X-Sealpost-*` headers; `None`: the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayControls {
    pub reply: Option<bool>,
    pub reply_all: Option<bool>,
    pub forward: Option<bool>,
    pub read_receipt: Option<bool>,
    /// `YYYY-MM-DD` or `+days`.
    pub expires: Option<String>,
}

impl GatewayControls {
    /// Reads one header; `false` when `name` is not a control header (it stays in
    /// nothing: the gateway seals only the content it parsed, never raw headers).
    pub fn read_header(&mut self, name: &str, value: &str) -> bool {
        let flag = || match value.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" | "1" => Some(true),
            "no" | "false" | "off" | "0" => Some(false),
            _ => None,
        };
        match name.to_ascii_lowercase().as_str() {
            "x-sealpost-reply" => self.reply = flag(),
            "x-sealpost-reply-all" => self.reply_all = flag(),
            "x-sealpost-forward" => self.forward = flag(),
            "x-sealpost-read-receipt" => self.read_receipt = flag(),
            "x-sealpost-expires" => self.expires = Some(value.trim().to_owned()),
            _ => return false,
        }
        true
    }

    /// The options asked for, over the gateway's defaults (reply and reply all
    /// on, forward and read receipt off, as the compose form starts).
    fn options(&self) -> MessageOptions {
        MessageOptions {
            allow_reply: self.reply.unwrap_or(true),
            allow_reply_all: self.reply_all.unwrap_or(true),
            allow_forward: self.forward.unwrap_or(false),
            read_receipt: self.read_receipt.unwrap_or(false),
        }
    }

    /// The expiry as the compose form's date field: `+N` counts days from `now`.
    fn expires_on(&self, now: Timestamp) -> Result<String, ValidationError> {
        let Some(raw) = self.expires.as_deref() else {
            return Ok(String::new());
        };
        let Some(days) = raw.strip_prefix('+') else {
            return Ok(raw.to_owned());
        };
        let days: i64 = days
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or(ValidationError::ExpiryMalformed)?;
        Ok(expiry_field(Some(now.plus_seconds(days * 24 * 60 * 60))))
    }
}

/// A message as the gateway received it: the envelope and the parsed content.
#[derive(Debug, Clone, Default)]
pub struct GatewaySubmission {
    /// `MAIL FROM`: the author, who must be allowed to send for the account.
    pub sender: Option<EmailAddress>,
    /// `RCPT TO`, in order: everyone who gets the message.
    pub recipients: Vec<EmailAddress>,
    /// The `To` and `Cc` headers: an envelope recipient in neither is Bcc.
    pub header_to: Vec<EmailAddress>,
    pub header_cc: Vec<EmailAddress>,
    /// Without the subject tag.
    pub subject: String,
    pub body: String,
    /// Whether `body` is HTML (sanitized when shown).
    pub html: bool,
    pub attachments: Vec<GatewayAttachment>,
    pub controls: GatewayControls,
}

impl Services {
    /// The token presented in `AUTH` by `client`, if it is live, of scope SMTP
    /// submission and admits the client. Failures count like failed logins (per
    /// token and client, and per client): a guessing client waits longer and
    /// longer, a client using its own good token does not.
    #[tracing::instrument(skip_all, fields(%client))]
    pub async fn authenticate_gateway(&self, presented: &str, client: IpAddr) -> Result<AccountToken, LoginError> {
        let now = self.clock.now();
        let public_id = public_id_of(presented).unwrap_or("-");
        let pair_key = format!("smtp:{public_id}|{client}");
        let client_key = format!("smtp-client:{client}");
        let wait = throttle_wait(
            self.store.as_ref(),
            (&pair_key, TOKEN_FREE_FAILURES),
            (&client_key, CLIENT_FREE_FAILURES),
            now,
        )
        .await?;
        if wait > 0 {
            return Err(LoginError::Throttled(wait));
        }
        match self
            .authenticate_account_token(presented, TokenScope::SmtpSubmission, client)
            .await
        {
            Ok(token) => {
                self.store.throttle_clear(&pair_key).await?;
                Ok(token)
            }
            Err(DomainError::Forbidden) => {
                self.store.throttle_failure(&pair_key, now).await?;
                self.store.throttle_failure(&client_key, now).await?;
                let target = format!("sptk_{}", public_id.chars().take(16).collect::<String>());
                let mut event = self.event(None, None, "gateway.auth", &target, Some(&client.to_string()));
                event.outcome = "refused".to_owned();
                self.store.record_audit(event).await?;
                Err(LoginError::InvalidCredentials)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The sender `MAIL FROM` names, as an actor of the token's account: a member
    /// of the account who may log in. Anyone else is `Forbidden`.
    ///
    /// This is the one place that decides who may send through the gateway: the
    /// account's allowed sender domains (an account setting, being built) extend
    /// it here, making an unknown address of such a domain a member.
    pub async fn gateway_sender(&self, token: &AccountToken, sender: &EmailAddress) -> Result<Actor, DomainError> {
        let Some(user) = self.store.user_by_email(sender).await? else {
            return Err(DomainError::Forbidden);
        };
        if user.status == crate::model::UserStatus::Locked {
            return Err(DomainError::Forbidden);
        }
        let member = self
            .store
            .member_accounts(user.id)
            .await?
            .iter()
            .any(|a| a.id == token.account_id);
        if !member {
            return Err(DomainError::Forbidden);
        }
        Ok(Actor::acting(user))
    }

    /// Seals `submission` as one secure message of the token's account and
    /// commits it with its recipients and notifications; only then `Ok`. On any
    /// error nothing of it stays (the draft's blobs are deleted).
    #[tracing::instrument(skip_all, fields(token = %token.prefix()))]
    pub async fn submit_from_gateway(
        &self,
        token: &AccountToken,
        submission: &GatewaySubmission,
        client: IpAddr,
        size: usize,
    ) -> Result<Message, DomainError> {
        let sender = submission.sender.as_ref().ok_or(DomainError::Forbidden)?;
        let actor = self.gateway_sender(token, sender).await?;
        let account = self.store.account(token.account_id).await?;
        let mut draft = self.draft_from(&actor, account, None).await?;
        draft.also_audited = Some(self.gateway_submission_event(
            Some(token),
            client,
            Some(sender),
            submission.recipients.len(),
            size,
            "ok",
        ));
        for attachment in &submission.attachments {
            if let Err(error) = self.attach_whole(&mut draft, attachment).await {
                self.discard_draft(draft).await;
                return Err(error);
            }
        }
        let request = gateway_request(submission, self.clock.now())?;
        let ip = client.to_string();
        match self.send_draft(draft, &request, Some(&ip)).await {
            Ok(message) => Ok(message),
            Err((draft, error)) => {
                self.discard_draft(draft).await;
                Err(error)
            }
        }
    }

    /// Records what became of a submission (`outcome`: `ok`, `refused`,
    /// `failed`) with the token, client, sender, recipient count and size, never
    /// its subject or content.
    pub async fn record_gateway_submission(
        &self,
        token: Option<&AccountToken>,
        client: IpAddr,
        sender: Option<&EmailAddress>,
        recipients: usize,
        size: usize,
        outcome: &str,
    ) -> Result<(), DomainError> {
        let event = self.gateway_submission_event(token, client, sender, recipients, size, outcome);
        self.store.record_audit(event).await
    }

    /// The audit event of a submission (see [`Services::record_gateway_submission`]).
    fn gateway_submission_event(
        &self,
        token: Option<&AccountToken>,
        client: IpAddr,
        sender: Option<&EmailAddress>,
        recipients: usize,
        size: usize,
        outcome: &str,
    ) -> crate::model::AuditEvent {
        let target = format!(
            "{} from={} rcpt={recipients} size={size}",
            token.map_or_else(|| "-".to_owned(), AccountToken::prefix),
            sender.map_or("-", EmailAddress::as_str),
        );
        let mut event = self.event(
            None,
            token.map(|t| t.account_id),
            "gateway.submission",
            &target,
            Some(&client.to_string()),
        );
        outcome.clone_into(&mut event.outcome);
        event
    }

    /// Streams one decoded attachment into the draft.
    async fn attach_whole(&self, draft: &mut Draft, attachment: &GatewayAttachment) -> Result<(), DomainError> {
        let mut upload = self
            .add_attachment(draft, &attachment.name, &attachment.content_type)
            .await?;
        for chunk in attachment.bytes.chunks(256 * 1024) {
            if let Err(error) = upload.push(chunk).await {
                upload.abort().await;
                return Err(error);
            }
        }
        upload.finish(draft).await
    }
}

/// The compose request a submission amounts to: its envelope recipients as To,
/// Cc (as the headers place them) and Bcc (the rest).
fn gateway_request(submission: &GatewaySubmission, now: Timestamp) -> Result<ComposeRequest, DomainError> {
    let (mut to, mut cc, mut bcc) = (Vec::new(), Vec::new(), Vec::new());
    for address in &submission.recipients {
        let list = if submission.header_to.contains(address) {
            &mut to
        } else if submission.header_cc.contains(address) {
            &mut cc
        } else {
            &mut bcc
        };
        list.push(address.to_string());
    }
    let expires_on = submission
        .controls
        .expires_on(now)
        .map_err(|e| DomainError::invalid("expires_on", e))?;
    Ok(ComposeRequest {
        to: to.join(", "),
        cc: cc.join(", "),
        bcc: bcc.join(", "),
        subject: submission.subject.clone(),
        body: submission.body.clone(),
        options: submission.controls.options(),
        expires_on,
        html: submission.html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse(raw).unwrap_or_else(|_| unreachable!("test address"))
    }

    #[test]
    fn envelope_recipients_missing_from_the_headers_are_bcc() -> Result<(), DomainError> {
        let submission = GatewaySubmission {
            recipients: vec![address("a@x.org"), address("b@x.org"), address("hidden@x.org")],
            header_to: vec![address("a@x.org"), address("not-in-envelope@x.org")],
            header_cc: vec![address("b@x.org")],
            ..GatewaySubmission::default()
        };
        let request = gateway_request(&submission, Timestamp(0))?;
        assert_eq!(request.to, "a@x.org");
        assert_eq!(request.cc, "b@x.org");
        assert_eq!(request.bcc, "hidden@x.org");
        Ok(())
    }

    #[test]
    fn control_headers_choose_options_and_expiry_in_days() {
        let mut controls = GatewayControls::default();
        assert!(controls.read_header("X-Sealpost-Forward", " yes "));
        assert!(controls.read_header("x-sealpost-reply", "no"));
        assert!(controls.read_header("X-Sealpost-Expires", "+2"));
        assert!(!controls.read_header("X-Mailer", "whatever"));
        let options = controls.options();
        assert!(options.allow_forward && !options.allow_reply && options.allow_reply_all);
        assert_eq!(controls.expires_on(Timestamp(0)), Ok("1970-01-03".to_owned()));
        controls.expires = Some("+0".to_owned());
        assert_eq!(controls.expires_on(Timestamp(0)), Err(ValidationError::ExpiryMalformed));
        controls.expires = Some("2031-02-03".to_owned());
        assert_eq!(controls.expires_on(Timestamp(0)), Ok("2031-02-03".to_owned()));
    }
}
