//! The security page's lists: a user's sessions and remembered devices, and
//! "log out everywhere"; and the security notices, the mails that tell a user of a
//! change to how they log in.

use super::Services;
use crate::error::DomainError;
use crate::messages::{MailKind, NewOutboxItem, SecurityNotice};
use crate::model::{Session, User};
use crate::policy::Actor;
use crate::two_step::{DeviceSummary, SessionSummary};
use crate::types::Locale;

/// What the security page lists.
#[derive(Debug, Clone)]
pub struct SecurityOverview {
    /// The live sessions, newest first, with whether each is the one asking.
    pub sessions: Vec<(SessionSummary, bool)>,
    pub devices: Vec<DeviceSummary>,
}

impl Services {
    /// The actor's sessions (the one of `current` marked) and remembered devices.
    pub async fn security_overview(&self, actor: &Actor, current: &Session) -> Result<SecurityOverview, DomainError> {
        let now = self.clock.now();
        let sessions = self
            .store
            .user_sessions(actor.id(), now)
            .await?
            .into_iter()
            .map(|s| {
                let this = s.id_hash == current.id_hash;
                (s, this)
            })
            .collect();
        let devices = self.store.user_devices(actor.id(), now).await?;
        Ok(SecurityOverview { sessions, devices })
    }

    /// Ends every other session of the actor and forgets all their remembered
    /// devices (audited `session.ended_everywhere`). Returns how many went.
    #[tracing::instrument(skip_all, fields(user = %actor.id()))]
    pub async fn log_out_everywhere(&self, actor: &Actor, current: &Session, client: &str) -> Result<u64, DomainError> {
        let event = self.user_event(actor.user(), "session.ended_everywhere", Some(client));
        self.store.end_other_sessions(actor.id(), &current.id_hash, event).await
    }

    /// The mail that tells `user` of `notice`, now, in their language (else
    /// `fallback`), ready to queue with the change it reports.
    pub(crate) fn security_notice(
        &self,
        notice: SecurityNotice<'_>,
        user: &User,
        fallback: Locale,
    ) -> Result<NewOutboxItem, DomainError> {
        let messaging = self.messaging();
        let links = &messaging.config.links;
        let link = match notice {
            SecurityNotice::TwoStepReset
            | SecurityNotice::TwoStepOff
            | SecurityNotice::PasskeyAdded(_)
            | SecurityNotice::RecoveryCodeUsed => links.security(),
            SecurityNotice::PasswordChanged => links.forgot_password(),
        };
        let at = self.clock.now();
        let mail = messaging.notifier.security_notice(
            notice,
            &user.email,
            user.locale.unwrap_or(fallback),
            user.time_zone.as_ref(),
            at,
            &link,
        )?;
        Ok(NewOutboxItem {
            kind: MailKind::SecurityNotice,
            to: user.email.clone(),
            mail,
            message: None,
            bounce_to: None,
            created_at: at,
        })
    }
}
