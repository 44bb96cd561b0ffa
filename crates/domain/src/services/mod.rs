//! The operations people and scripts perform, with their rules.
//!
//! One [`Services`] value is shared by the web portal and the CLI. Each file holds
//! one area: [`auth`] (logging in, sessions, passwords), [`accounts`], [`groups`],
//! [`users`], [`messages`], [`registration`] (the recipient's way in, the
//! forgotten password, proof of mailboxes), [`two_step`] (second factors and the
//! login's second step), [`passkeys`] (the other kind of second factor) and [`security`] (a user's sessions and devices).

pub mod account_admin;
pub mod account_looks;
pub mod account_tokens;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod branding;
pub mod content;
pub mod devices;
pub mod groups;
pub mod health;
pub mod keys;
pub mod me;
pub mod messages;
pub mod outbox;
pub mod passkeys;
pub mod profiles;
pub mod registration;
pub mod reports;
pub mod security;
mod settings;
pub mod two_step;
pub mod user_admin;
pub mod users;

use std::num::NonZeroUsize;
use std::sync::{Arc, LazyLock};

use tokio::sync::Semaphore;

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
    /// The store stays inside the domain: every read and write from outside goes
    /// through a service method that applies its rule (and its account scope).
    pub(crate) store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Translations of the built-in group's name, reserved as custom group names.
    reserved_group_names: Arc<Vec<String>>,
    /// Secure messaging: blobs, mail, the master key and their settings.
    messaging: Arc<messages::Messaging>,
    /// Account keys unwrapped in the last minute (memory only).
    account_keys: Arc<keys::AccountKeys>,
    /// What recipients' pages show of each account, read in the last seconds.
    account_looks: Arc<account_looks::AccountLooks>,
    /// Whether every operator must use two-step verification.
    operators_two_step: bool,
}

impl Services {
    /// Wires the services to their ports. `reserved_group_names` are the built-in
    /// group's name in every language the UI speaks.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        reserved_group_names: Vec<String>,
        messaging: messages::Messaging,
    ) -> Self {
        Self {
            store,
            clock,
            reserved_group_names: Arc::new(reserved_group_names),
            messaging: Arc::new(messaging),
            account_keys: Arc::default(),
            account_looks: Arc::default(),
            operators_two_step: false,
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

/// How many password hashes (argon2id: 19 MiB and tens of milliseconds each) run
/// at once: one per core. A burst of logins queues here, first come first served,
/// instead of taking a blocking thread and 19 MiB each (tokio allows 512 such
/// threads), so memory stays bounded and pages keep being served.
static HASHING_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    Arc::new(Semaphore::new(
        std::thread::available_parallelism().map_or(2, NonZeroUsize::get),
    ))
});

/// Runs CPU-heavy work (argon2) off the async executor, in one of the
/// [`HASHING_SLOTS`]. The slot is held until the work ends, even if the request
/// that asked for it has gone.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, DomainError> {
    let slot = Arc::clone(&HASHING_SLOTS)
        .acquire_owned()
        .await
        .map_err(DomainError::internal)?;
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(slot);
        result
    })
    .await
    .map_err(DomainError::internal)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A burst of password work never runs more hashes at once than there are
    /// cores, however many requests ask.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn password_work_runs_at_most_one_per_core() -> Result<(), DomainError> {
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let burst: Vec<_> = (0..4 * cores + 4)
            .map(|_| {
                let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
                tokio::spawn(blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in burst {
            task.await.map_err(DomainError::internal)??;
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= cores, "{peak} hashes ran at once on {cores} cores");
        assert!(peak >= 1, "the work ran");
        Ok(())
    }
}
