//! The ports: what the domain needs from the outside world.
//!
//! One trait per aggregate, each in its own file, so a caller (or a test fake)
//! names only what it uses:
//! - SQL state, implemented by `sealpost-storage`'s `SqlStore`: [`UserStore`],
//!   [`AccountStore`], [`SettingsStore`] (per-account settings), [`ProfileStore`]
//!   (envelope profiles), [`DeviceStore`] (remembered devices), [`AccountTokenStore`]
//!   (tokens for machines), [`AccountAdminStore`] (rename, suspend, delete, the
//!   Accounts list), [`BrandingStore`] (logos), [`GroupStore`],
//!   [`SessionStore`] (with the login throttle), [`AuditStore`], [`ReportStore`] (monthly counts), [`HealthStore`], [`KeyStore`], [`UploadStore`], [`KeptDraftStore`] (refused drafts),
//!   [`UserAdminStore`] (the user page's actions), [`AccountMemberStore`] (a user's
//!   standing in one account: member, locked out, removed),
//!   [`MessageStore`], [`MessageSearchStore`] (the message lists' filters), [`OutboxStore`] and [`TokenStore`] (registrations and
//!   one-time tokens), [`TwoStepStore`] (TOTP, recovery codes, logins waiting for
//!   their second step), [`PasskeyStore`] (passkeys and their ceremonies) and [`SecurityStore`] (a user's sessions and devices). [`Store`] is all of them at once, for [`Services`](crate::services::Services).
//! - [`BlobStore`] (with [`BlobWriter`], [`BlobReader`]): sealed payload parts.
//! - [`Notifier`]: renders the emails, implemented by `sealpost-mail`.
//! - [`Clock`]: where "now" comes from.
//!
//! Each store method is one unit of work: it commits its change *and* the audit
//! event that records it in one transaction, or neither.
//!
//! Arrows: the ports import the records (`model`, `messages`, `types`); the records
//! import no port.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::DomainError;
use crate::types::Timestamp;

mod account_admin;
mod account_members;
mod account_tokens;
mod accounts;
mod audit;
mod blobs;
mod branding;
mod devices;
mod groups;
mod health;
mod kept_drafts;
mod keys;
mod message_search;
mod messages;
mod notifier;
mod outbox;
mod passkeys;
mod profiles;
mod reports;
mod secrets;
mod security;
mod sessions;
mod settings;
mod tokens;
mod two_step;
mod uploads;
mod user_admin;
mod users;

pub use account_admin::{AccountAdminStore, AccountPage, AccountQuery, AccountSort};
pub use account_members::AccountMemberStore;
pub use account_tokens::AccountTokenStore;
pub use accounts::AccountStore;
pub use audit::{
    AuditEntry, AuditKind, AuditListing, AuditPageAt, AuditPosition, AuditQuery, AuditStore, VIEW_ACTIONS,
};
pub use blobs::{BlobReader, BlobStore, BlobWriter};
pub use branding::BrandingStore;
pub use devices::DeviceStore;
pub use groups::GroupStore;
pub use health::HealthStore;
pub use kept_drafts::{KeptDraftRecord, KeptDraftStore};
pub use keys::KeyStore;
pub use message_search::{MessageFilter, MessageOwner, MessagePage, MessageSearchStore, MessageState};
pub use messages::{MessageStore, MessageToOpen};
pub use notifier::Notifier;
pub use outbox::OutboxStore;
pub use passkeys::PasskeyStore;
pub use profiles::ProfileStore;
pub use reports::{MonthCounts, ReportStore, YearMonth};
pub use secrets::SecretStore;
pub use security::SecurityStore;
pub use sessions::SessionStore;
pub use settings::{SendingAccount, SettingsStore};
pub use tokens::TokenStore;
pub use two_step::TwoStepStore;
pub use uploads::UploadStore;
pub use user_admin::UserAdminStore;
pub use users::UserStore;

/// Result of every port call.
pub type StoreResult<T> = Result<T, DomainError>;

/// Declares [`Store`] as every port listed and implements it for whatever
/// implements them all: the list is written once.
macro_rules! composite_store {
    ($($port:ident),+ $(,)?) => {
        /// Persistent state of the service: every SQL port at once. Implemented for
        /// whatever implements them all, so `Arc<dyn Store>` upcasts to any one of them.
        pub trait Store: $($port +)+ {}

        impl<T> Store for T where T: $($port +)+ ?Sized {}
    };
}

composite_store!(
    UserStore,
    UserAdminStore,
    AccountMemberStore,
    AccountStore,
    GroupStore,
    SessionStore,
    SettingsStore,
    ProfileStore,
    DeviceStore,
    AccountTokenStore,
    AccountAdminStore,
    BrandingStore,
    AuditStore,
    ReportStore,
    HealthStore,
    KeyStore,
    UploadStore,
    KeptDraftStore,
    MessageStore,
    MessageSearchStore,
    SecretStore,
    OutboxStore,
    TokenStore,
    TwoStepStore,
    PasskeyStore,
    SecurityStore,
);

/// Where "now" comes from, so tests can move time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(millis)
    }
}

/// A clock tests set and advance by hand.
#[derive(Debug, Clone)]
pub struct FakeClock(Arc<AtomicI64>);

impl FakeClock {
    /// Starts at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.0)))
    }

    /// Moves time forward.
    pub fn advance_seconds(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}
