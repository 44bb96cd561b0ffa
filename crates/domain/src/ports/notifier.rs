//! The notifier port: renders the emails Sealpost sends (implemented by
//! `sealpost-mail`).

use crate::error::DomainError;
use crate::messages::{LinkMail, RenderedMail, SecureMessageNotice, SecurityNotice};
use crate::types::{EmailAddress, Locale, TimeZoneName, Timestamp};

/// Renders the emails Sealpost sends, in the recipient's language.
pub trait Notifier: Send + Sync {
    /// A recipient's notification with the Registered Envelope attached.
    fn secure_message(&self, notice: &SecureMessageNotice<'_>) -> Result<RenderedMail, DomainError>;
    /// A mail whose point is one link to the address it goes to. `account` names
    /// the organisation where the mail concerns one (a sending address).
    fn link_mail(
        &self,
        kind: LinkMail,
        to: &EmailAddress,
        locale: Locale,
        link: &str,
        account: Option<&str>,
    ) -> Result<RenderedMail, DomainError>;
    /// The activation link for a registering recipient.
    fn activation(&self, to: &EmailAddress, locale: Locale, link: &str) -> Result<RenderedMail, DomainError> {
        self.link_mail(LinkMail::Activation, to, locale, link, None)
    }
    /// A password reset link.
    fn password_reset(&self, to: &EmailAddress, locale: Locale, link: &str) -> Result<RenderedMail, DomainError> {
        self.link_mail(LinkMail::PasswordReset, to, locale, link, None)
    }
    /// Tells the sender that `reader` opened their message sent at `sent_at`.
    fn read_receipt(
        &self,
        to: &EmailAddress,
        locale: Locale,
        time_zone: Option<&TimeZoneName>,
        reader: &EmailAddress,
        sent_at: Timestamp,
        link: &str,
    ) -> Result<RenderedMail, DomainError>;
    /// Tells a user of a change to how they log in, made at `at`; `link` is where
    /// they act on it.
    fn security_notice(
        &self,
        notice: SecurityNotice<'_>,
        to: &EmailAddress,
        locale: Locale,
        time_zone: Option<&TimeZoneName>,
        at: Timestamp,
        link: &str,
    ) -> Result<RenderedMail, DomainError>;
    /// Tells the sender that the notification to `failed` could not be delivered.
    fn bounce(
        &self,
        to: &EmailAddress,
        locale: Locale,
        failed: &EmailAddress,
        reason: &str,
    ) -> Result<RenderedMail, DomainError>;
}
