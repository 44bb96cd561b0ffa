//! Messages submitted through the SMTP gateway (`sealpost_mail::gateway`): the
//! organisation's mail server hands over a message, already parsed, with its
//! envelope; it becomes ONE secure message of the token's account, sealed and
//! sent exactly as a portal draft ([`Services::send_draft`]), so notifications
//! and envelopes are the portal's.
//!
//! - who may submit: a live account token of scope `smtp_submission`, from one
//!   of its networks ([`Services::authenticate_gateway`]), throttled like logins;
//! - who may be the sender: a member of the token's account, or an address of
//!   one of its allowed sender domains, who becomes a member
//!   ([`Services::gateway_sender`], `gateway_senders`); a `From:` header naming
//!   anyone else is refused;
//! - which profile: `X-Sealpost-Profile` or a subject tag (`gateway_profile`);
//!   untagged mail is relayed unchanged when the token says so
//!   ([`GatewayOutcome::Relay`]), else sealed with the default profile;
//! - what the sender may choose: `X-Sealpost-*` controls ([`GatewayControls`])
//!   over the profile's defaults, never beyond the account's Features
//!   (`AccountSettings::clamp`, at sending);
//! - who learns of whom: envelope recipients absent from `To`/`Cc` are Bcc,
//!   stored as such and never shown to the others.

use std::net::IpAddr;

use super::compose::ComposeRequest;
use super::gateway_profile::{ProfileChoice, choose_profile};
use super::gateway_senders::from_header_matches;
use super::*;
use crate::account_tokens::{AccountToken, TokenScope, public_id_of};
use crate::services::auth::{LoginError, throttle_admit};

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
    /// Its `Content-ID`, by which the HTML body may show it inline
    /// ([`crate::inline_images`]).
    pub content_id: Option<String>,
}

/// What the sender chose with `X-Sealpost-*` headers; `None`: the default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayControls {
    /// `X-Sealpost-Profile`: the name of one of the account's envelope profiles.
    pub profile: Option<String>,
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
            "x-sealpost-profile" => self.profile = Some(value.trim().to_owned()),
            _ => return false,
        }
        true
    }

    /// The options asked for, over the profile's `defaults` (as the compose
    /// form starts from them).
    fn options(&self, defaults: MessageOptions) -> MessageOptions {
        MessageOptions {
            allow_reply: self.reply.unwrap_or(defaults.allow_reply),
            allow_reply_all: self.reply_all.unwrap_or(defaults.allow_reply_all),
            allow_forward: self.forward.unwrap_or(defaults.allow_forward),
            read_receipt: self.read_receipt.unwrap_or(defaults.read_receipt),
        }
    }

    /// The expiry as the compose form's date field: `+N` counts days from `now`;
    /// without the header, the profile's `default_days` (if any).
    fn expires_on(&self, now: Timestamp, default_days: Option<u32>) -> Result<String, ValidationError> {
        let Some(raw) = self.expires.as_deref() else {
            return Ok(default_days.map_or_else(String::new, |days| {
                expiry_field(Some(now.plus_seconds(i64::from(days) * 24 * 60 * 60)))
            }));
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

/// The fields every gateway audit event has.
#[derive(Clone, Copy)]
struct GatewayRecord<'a> {
    token: Option<&'a AccountToken>,
    client: IpAddr,
    sender: Option<&'a EmailAddress>,
    recipients: usize,
    size: usize,
}

/// What became of a submission the domain took.
#[derive(Debug, Clone)]
pub enum GatewayOutcome {
    /// Sealed and committed with its recipients and notifications.
    Sealed(Box<Message>),
    /// Untagged under a token that relays such mail: nothing stored; the
    /// gateway hands the bytes as received to the outgoing relay.
    Relay,
}

/// A message as the gateway received it: the envelope and the parsed content.
#[derive(Debug, Clone, Default)]
pub struct GatewaySubmission {
    /// `MAIL FROM`: the author, who must be allowed to send for the account.
    pub sender: Option<EmailAddress>,
    /// Who [`Services::gateway_sender`] found `sender` to be at `MAIL FROM`, moments
    /// before; `None`: it is looked up now.
    pub sender_found: Option<GatewaySender>,
    /// `RCPT TO`, in order: everyone who gets the message.
    pub recipients: Vec<EmailAddress>,
    /// The `To` and `Cc` headers: an envelope recipient in neither is Bcc.
    pub header_to: Vec<EmailAddress>,
    pub header_cc: Vec<EmailAddress>,
    /// The `From` header's addresses as written: each must be the envelope sender.
    pub header_from: Vec<String>,
    /// As written, tags included (they are removed when the profile is chosen).
    pub subject: String,
    /// The service-wide subject tag (`[gateway] subject_tag`): the account's
    /// default profile.
    pub service_tag: String,
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
        let throttle = throttle_admit(
            self.store.as_ref(),
            (&pair_key, TOKEN_FREE_FAILURES),
            (&client_key, CLIENT_FREE_FAILURES),
            now,
        )
        .await?;
        match self
            .authenticate_account_token(presented, TokenScope::SmtpSubmission, client)
            .await
        {
            Ok(token) => {
                // A mail server authenticates on every connection: clear only what is there.
                if throttle.pair_noted {
                    self.store.throttle_clear(&pair_key).await?;
                }
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

    /// Seals `submission` as one secure message of the token's account and
    /// commits it with its recipients and notifications; only then
    /// `Ok(Sealed)`. On any error nothing of the message stays (the draft's
    /// blobs are deleted). An untagged message under a relaying token is
    /// `Ok(Relay)`: nothing is stored, the caller relays it.
    ///
    /// Refusals: `Forbidden` (the sender may not send), `Invalid` on field
    /// `from` (the `From:` header names someone other than the envelope
    /// sender), `Invalid` on field `profile` (`X-Sealpost-Profile` names no
    /// profile of the account).
    #[tracing::instrument(skip_all, fields(token = %token.prefix()))]
    pub async fn submit_from_gateway(
        &self,
        token: &AccountToken,
        submission: &GatewaySubmission,
        client: IpAddr,
        size: usize,
    ) -> Result<GatewayOutcome, DomainError> {
        let sender = submission.sender.as_ref().ok_or(DomainError::Forbidden)?;
        if !from_header_matches(&submission.header_from, sender) {
            return Err(DomainError::invalid("from", ValidationError::NotAMember));
        }
        // Read once for this submission, before anyone is admitted (a suspended
        // account gains no member either): the account, whether it composes at all,
        // and the profiles (whose built-in default takes its delivery mode from them).
        let (account, settings, current_key) = self.account_for_sending(token.account_id).await?;
        let profiles = self.profiles_with(&account, Some(&settings)).await?;
        let ProfileChoice { profile, subject } = choose_profile(
            &profiles,
            &submission.subject,
            submission.controls.profile.as_deref(),
            &submission.service_tag,
        )
        .map_err(|_| DomainError::invalid("profile", ValidationError::UnknownProfile))?;
        let profile = match profile {
            Some(profile) => profile,
            None if token.relay_untagged => return Ok(GatewayOutcome::Relay),
            None => profiles
                .into_iter()
                .find(|p| p.is_default)
                .ok_or(DomainError::invalid("profile", ValidationError::UnknownProfile))?,
        };
        let ip = client.to_string();
        let actor = self
            .admit_gateway_sender(token, sender, submission.sender_found.clone(), &ip)
            .await?;
        if !settings.allows(Feature::SecureCompose) {
            return Err(ValidationError::FeatureSwitchedOff.into());
        }
        let mut draft = self
            .draft_with_profile(&actor, account, None, profile.clone(), current_key)
            .await?;
        // The "ok" audit event is committed with the message: one synced write before 250.
        let what = GatewayRecord {
            token: Some(token),
            client,
            sender: Some(sender),
            recipients: submission.recipients.len(),
            size,
        };
        draft.also_audited = Some(self.gateway_event("gateway.submission", &what, "ok"));
        // Read just now, with the account found able to send: not again at sending.
        draft.settings_now = Some(settings);
        let mut body = submission.body.clone();
        for attachment in &submission.attachments {
            if let Err(error) = self.attach_whole(&mut draft, attachment).await {
                self.discard_draft(draft).await;
                return Err(error);
            }
            // The body's references to it point at the part it was just stored as.
            if let (true, Some(content_id), Some(stored)) =
                (submission.html, &attachment.content_id, draft.attachments.last())
            {
                body = crate::inline_images::point_at_part(&body, content_id, stored.part);
            }
        }
        let request = gateway_request(submission, body, &profile, subject, self.clock.now())?;
        match self.send_draft(draft, &request, Some(&ip)).await {
            Ok(message) => Ok(GatewayOutcome::Sealed(Box::new(message))),
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
        let what = GatewayRecord {
            token,
            client,
            sender,
            recipients,
            size,
        };
        self.record_gateway("gateway.submission", &what, outcome).await
    }

    /// Records an untagged message relayed unchanged (`outcome`: `ok`, or
    /// `failed` when the relay did not take it), as `gateway.relayed` with the
    /// same fields as a submission, never subject or content.
    pub async fn record_gateway_relayed(
        &self,
        token: &AccountToken,
        client: IpAddr,
        sender: &EmailAddress,
        recipients: usize,
        size: usize,
        outcome: &str,
    ) -> Result<(), DomainError> {
        let what = GatewayRecord {
            token: Some(token),
            client,
            sender: Some(sender),
            recipients,
            size,
        };
        self.record_gateway("gateway.relayed", &what, outcome).await
    }

    async fn record_gateway(&self, action: &str, what: &GatewayRecord<'_>, outcome: &str) -> Result<(), DomainError> {
        let event = self.gateway_event(action, what, outcome);
        self.store.record_audit(event).await
    }

    /// The audit event of a gateway submission or relay (see [`GatewayRecord`]).
    fn gateway_event(&self, action: &str, what: &GatewayRecord<'_>, outcome: &str) -> crate::model::AuditEvent {
        let GatewayRecord {
            token,
            client,
            sender,
            recipients,
            size,
        } = *what;
        let target = format!(
            "{} from={} rcpt={recipients} size={size}",
            token.map_or_else(|| "-".to_owned(), AccountToken::prefix),
            sender.map_or("-", EmailAddress::as_str),
        );
        let mut event = self.event(
            None,
            token.map(|t| t.account_id),
            action,
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

/// The compose request a submission amounts to under `profile`: its envelope
/// recipients as To, Cc (as the headers place them) and Bcc (the rest), the
/// `subject` without tags, `body` (its inline images pointed at their parts), the
/// options over the profile's defaults.
fn gateway_request(
    submission: &GatewaySubmission,
    body: String,
    profile: &EnvelopeProfile,
    subject: String,
    now: Timestamp,
) -> Result<ComposeRequest, DomainError> {
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
        .expires_on(now, profile.expiry_days)
        .map_err(|e| DomainError::invalid("expires_on", e))?;
    Ok(ComposeRequest {
        to: to.join(", "),
        cc: cc.join(", "),
        bcc: bcc.join(", "),
        subject,
        body,
        options: submission.controls.options(profile.options),
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
        let profile = EnvelopeProfile::built_in(crate::types::AccountId(1), None, crate::types::Locale::En);
        let request = gateway_request(&submission, String::new(), &profile, String::new(), Timestamp(0))?;
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
        assert!(controls.read_header("X-SEALPOST-PROFILE", " Legal "));
        assert_eq!(controls.profile.as_deref(), Some("Legal"));
        let defaults = MessageOptions {
            allow_reply: true,
            allow_reply_all: false,
            allow_forward: false,
            read_receipt: true,
        };
        let options = controls.options(defaults);
        assert!(options.allow_forward && !options.allow_reply && !options.allow_reply_all && options.read_receipt);
        assert_eq!(controls.expires_on(Timestamp(0), None), Ok("1970-01-03".to_owned()));
        controls.expires = Some("+0".to_owned());
        assert_eq!(
            controls.expires_on(Timestamp(0), None),
            Err(ValidationError::ExpiryMalformed)
        );
        controls.expires = Some("2031-02-03".to_owned());
        assert_eq!(controls.expires_on(Timestamp(0), None), Ok("2031-02-03".to_owned()));
        controls.expires = None;
        assert_eq!(controls.expires_on(Timestamp(0), Some(7)), Ok("1970-01-08".to_owned()));
        assert_eq!(controls.expires_on(Timestamp(0), None), Ok(String::new()));
    }
}
