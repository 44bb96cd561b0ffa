//! The ports: what the domain needs from the outside world.
//!
//! [`Store`] is implemented by `sealpost-storage` for SQLite and PostgreSQL. Each
//! method is one unit of work: it commits its change *and* the audit event that
//! records it in one transaction, or neither.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;

use crate::error::DomainError;
use crate::messages::{Confirmation, DeliveryMode};
use crate::model::{Account, AuditEvent, Credentials, Group, Member, NewUser, Session, User, UserPage, UserQuery};
use crate::types::{
    AccountId, AccountName, AccountNumber, EmailAddress, GroupId, GroupName, Locale, Timestamp, UserId,
};

/// Result of every port call.
pub type StoreResult<T> = Result<T, DomainError>;

/// Persistent state of the service.
#[async_trait]
pub trait Store: Send + Sync {
    // --- users -------------------------------------------------------------------
    /// Inserts a user; `Conflict { field: "email" }` when the address is taken.
    async fn insert_user(&self, user: NewUser, audit: Option<AuditEvent>) -> StoreResult<User>;
    /// `NotFound` when there is no such user.
    async fn user_by_id(&self, id: UserId) -> StoreResult<User>;
    /// `None` when nobody has this address.
    async fn user_by_email(&self, email: &EmailAddress) -> StoreResult<Option<User>>;
    /// The user and their password hash, for logging in.
    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>>;
    /// Sets a new password hash, marks the user active, and ends all their sessions.
    async fn set_password(&self, id: UserId, hash: &str, must_change: bool, audit: AuditEvent) -> StoreResult<()>;
    /// Replaces the hash `replaced` with a stronger one of the same password;
    /// sessions stay. `NotFound` if the user is gone or their hash is no longer
    /// `replaced`: a password changed meanwhile must not be overwritten.
    async fn upgrade_password_hash(&self, id: UserId, replaced: &str, hash: &str) -> StoreResult<()>;
    /// Remembers a successful login.
    async fn record_login(&self, id: UserId, at: Timestamp) -> StoreResult<()>;
    /// Sets (or clears) the user's own language.
    async fn set_user_locale(&self, id: UserId, locale: Option<Locale>) -> StoreResult<()>;
    /// Grants or revokes operator rights.
    async fn set_operator(&self, id: UserId, operator: bool, audit: AuditEvent) -> StoreResult<()>;
    /// How many users exist at all (first start creates the operator when zero).
    async fn count_users(&self) -> StoreResult<i64>;
    /// A page of the users list.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<UserPage>;

    // --- accounts ------------------------------------------------------------------
    /// Creates an account with its built-in Account Administrators group and, when
    /// given, puts `admin` into it. `Conflict { field: "number" }` on a taken number.
    async fn create_account(
        &self,
        number: AccountNumber,
        name: &AccountName,
        default_locale: Locale,
        admin: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<Account>;
    /// `NotFound` when no account has this number.
    async fn account_by_number(&self, number: AccountNumber) -> StoreResult<Account>;
    /// Clears the address the account's notifications come from (and any address
    /// still waiting for confirmation).
    async fn clear_sending_address(&self, account: AccountId, audit: AuditEvent) -> StoreResult<()>;
    /// Notes `address` as the account's sending address once the link in
    /// `confirmation` is used, and queues that link's mail, together.
    async fn request_sending_address(
        &self,
        account: AccountId,
        address: &EmailAddress,
        confirmation: &Confirmation,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// The account and waiting address a live sending-address link confirms.
    async fn sending_confirmation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(AccountId, EmailAddress)>>;
    /// Uses a sending-address link of `account`: its waiting address takes effect.
    /// `false` when the link is no longer live.
    async fn confirm_sending_address(
        &self,
        account: AccountId,
        token_hash: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Sets (or clears, for the service's default) the account's delivery mode.
    async fn set_delivery_mode(
        &self,
        account: AccountId,
        mode: Option<DeliveryMode>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Every account, by number (operators).
    async fn list_accounts(&self) -> StoreResult<Vec<Account>>;
    /// The accounts whose Account Administrators group holds `user`, by number.
    async fn administered_accounts(&self, user: UserId) -> StoreResult<Vec<Account>>;
    /// The accounts in any of whose groups `user` is a member, by number.
    async fn member_accounts(&self, user: UserId) -> StoreResult<Vec<Account>>;
    /// Whether `user` is in the account's Account Administrators group.
    async fn is_account_admin(&self, account: AccountId, user: UserId) -> StoreResult<bool>;

    // --- groups --------------------------------------------------------------------
    /// The account's groups, built-in first, then by name, with member counts.
    async fn list_groups(&self, account: AccountId) -> StoreResult<Vec<Group>>;
    /// One group of this account; `NotFound` if it belongs to another account.
    async fn group(&self, account: AccountId, id: GroupId) -> StoreResult<Group>;
    /// The account's built-in administrators group.
    async fn admin_group(&self, account: AccountId) -> StoreResult<Group>;
    /// Creates a custom group; `Conflict { field: "group_name" }` when taken.
    async fn create_group(
        &self,
        account: AccountId,
        name: &GroupName,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<Group>;
    /// Deletes a custom group and its memberships.
    async fn delete_group(&self, account: AccountId, id: GroupId, audit: AuditEvent) -> StoreResult<()>;
    /// A page of members by address, after `after`.
    async fn list_members(&self, group: GroupId, after: Option<&str>, limit: u32) -> StoreResult<Vec<Member>>;
    /// Adds a member; `Conflict { field: "member" }` when already in.
    async fn add_member(
        &self,
        group: GroupId,
        user: UserId,
        added_by: Option<UserId>,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Removes a member. For a built-in group the store refuses, atomically, to
    /// remove the last member (`Validation(LastAdministrator)`). `NotFound` if not a member.
    async fn remove_member(&self, group: GroupId, user: UserId, audit: AuditEvent) -> StoreResult<()>;

    // --- sessions ------------------------------------------------------------------
    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    /// Stores the session of a login that checked the password against
    /// `password_hash`, unless the user's hash has changed since: `NotFound` then
    /// (or when the user is gone), so a login racing a password change opens
    /// nothing.
    async fn insert_login_session(&self, session: &Session, password_hash: &str) -> StoreResult<()>;
    /// The live session with this id hash, if any (expired ones are `None`).
    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    /// Moves the idle expiry forward.
    async fn touch_session(&self, id_hash: &str, now: Timestamp, expires_at: Timestamp) -> StoreResult<()>;
    /// Ends one session.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes sessions that expired (idle) before `now` or were created before
    /// `oldest_allowed` (absolute limit), and login-failure counters last touched
    /// before `throttle_before`. Returns how many rows went.
    async fn purge_stale(
        &self,
        now: Timestamp,
        oldest_allowed: Timestamp,
        throttle_before: Timestamp,
    ) -> StoreResult<u64>;

    // --- login throttling ------------------------------------------------------------
    /// Failures recorded under `key` and when the last one happened.
    async fn throttle_state(&self, key: &str) -> StoreResult<Option<(i64, Timestamp)>>;
    /// Records one more failure under `key`.
    async fn throttle_failure(&self, key: &str, at: Timestamp) -> StoreResult<()>;
    /// Forgets the failures under `key` (after a success).
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;

    // --- audit ---------------------------------------------------------------------
    /// Records an event that is not part of another change (logins, refusals).
    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()>;
    /// The newest events of an account (or of the whole service), newest first.
    async fn list_audit(&self, account: Option<AccountId>, limit: u32) -> StoreResult<Vec<AuditEvent>>;

    // --- health --------------------------------------------------------------------
    /// Writes one tiny row through the ordinary write path (transaction, commit,
    /// sync), so a health check sees what a person's write would meet: a full disk
    /// is [`DomainError::Unavailable`].
    async fn probe_write(&self, at: Timestamp) -> StoreResult<()>;

    // perf: every request of a logged-in visitor reads both; one round trip.
    /// The live session with this id hash and its user, as [`Store::session`]
    /// then [`Store::user_by_id`] would read them.
    async fn session_with_user(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<(Session, User)>> {
        match self.session(id_hash, now).await? {
            Some(session) => {
                let user = self.user_by_id(session.user_id).await?;
                Ok(Some((session, user)))
            }
            None => Ok(None),
        }
    }
}

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
