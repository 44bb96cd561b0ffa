//! The operations people and scripts perform, with their rules.
//!
//! One [`Services`] value is shared by the web portal and the CLI. Each file holds
//! one area: [`auth`] (logging in, sessions, passwords), [`accounts`], [`groups`],
//! [`users`].

pub mod accounts;
pub mod auth;
pub mod content;
pub mod groups;
pub mod keys;
pub mod messages;
pub mod users;

use std::sync::Arc;

use crate::error::DomainError;
use crate::model::AuditEvent;
use crate::policy::{AccountScope, Actor};
use crate::ports::{Clock, Store};
use crate::types::AccountId;

/// How long a session lives without being used.
pub const SESSION_IDLE_SECONDS: i64 = 8 * 60 * 60;
/// How long a session lives at most.
pub const SESSION_ABSOLUTE_SECONDS: i64 = 7 * 24 * 60 * 60;

/// The service layer: ports plus rules.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Translations of the built-in group's name, reserved as custom group names.
    reserved_group_names: Arc<Vec<String>>,
    /// Secure messaging, when configured (see [`Services::with_messaging`]).
    messaging: Option<Arc<messages::Messaging>>,
}

impl Services {
    /// Wires the services to their ports. `reserved_group_names` are the built-in
    /// group's name in every language the UI speaks.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, reserved_group_names: Vec<String>) -> Self {
        Self {
            store,
            clock,
            reserved_group_names: Arc::new(reserved_group_names),
            messaging: None,
        }
    }

    fn event(
        &self,
        actor: Option<&Actor>,
        account: Option<AccountId>,
        action: &str,
        target: &str,
        ip: Option<&str>,
    ) -> AuditEvent {
        AuditEvent {
            at: self.clock.now(),
            actor: actor.map(Actor::id),
            account_id: account,
            action: action.to_owned(),
            target: target.to_owned(),
            ip: ip.map(str::to_owned),
            outcome: "ok".to_owned(),
        }
    }

    fn scoped_event(&self, scope: &AccountScope, action: &str, target: &str) -> AuditEvent {
        self.event(
            Some(&scope.actor),
            Some(scope.account.id),
            action,
            target,
            scope.ip.as_deref(),
        )
    }
}

/// Runs CPU-heavy work (argon2) off the async executor.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, DomainError> {
    tokio::task::spawn_blocking(work).await.map_err(DomainError::internal)
}
