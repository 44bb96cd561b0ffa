//! The sessions port: logged-in sessions and the login throttle.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{Roles, Session, User};
use crate::types::Timestamp;

/// Sessions, and the failure counters that slow down password guessing.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    /// Stores the session of a login that checked the password against
    /// `password_hash`, unless the user's hash has changed since: `NotFound` then
    /// (or when the user is gone), so a login racing a password change opens
    /// nothing.
    async fn insert_login_session(&self, session: &Session, password_hash: &str) -> StoreResult<()>;
    /// The live session with this id hash, if any (expired ones are `None`).
    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    /// The live session with this id hash, its user and the user's roles, in one
    /// round trip (every request of a logged-in visitor reads all three).
    async fn session_with_user(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<(Session, User, Roles)>>;
    /// Moves the idle expiry forward.
    async fn touch_session(&self, id_hash: &str, now: Timestamp, expires_at: Timestamp) -> StoreResult<()>;
    /// Ends one session.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes sessions that expired (idle) before `now` or were created before
    /// `oldest_allowed` (absolute limit), and login-failure counters last touched
    /// before `throttle_before`, and remembered devices, waiting logins and passkey
    /// ceremonies expired at `now`.
    /// Returns how many rows went.
    async fn purge_stale(
        &self,
        now: Timestamp,
        oldest_allowed: Timestamp,
        throttle_before: Timestamp,
    ) -> StoreResult<u64>;

    // --- login throttling ------------------------------------------------------------
    /// Failures recorded under `key` and when the last one happened.
    async fn throttle_state(&self, key: &str) -> StoreResult<Option<(i64, Timestamp)>>;
    /// [`Self::throttle_state`] of each of `keys`, in their order: a store answers
    /// in one read (a login, an SMTP `AUTH`, asks two keys each time).
    async fn throttle_states(&self, keys: &[&str]) -> StoreResult<Vec<Option<(i64, Timestamp)>>> {
        let mut states = Vec::with_capacity(keys.len());
        for key in keys {
            states.push(self.throttle_state(key).await?);
        }
        Ok(states)
    }
    /// Records one more failure under `key`.
    async fn throttle_failure(&self, key: &str, at: Timestamp) -> StoreResult<()>;
    /// Forgets the failures under `key` (after a success).
    async fn throttle_clear(&self, key: &str) -> StoreResult<()>;
}
