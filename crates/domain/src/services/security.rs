//! The security page's lists: a user's sessions and remembered devices, and
//! "log out everywhere".

use super::Services;
use crate::error::DomainError;
use crate::model::Session;
use crate::policy::Actor;
use crate::two_step::{DeviceSummary, SessionSummary};

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
}
