//! The two-step port: TOTP secrets, recovery codes and logins waiting for their
//! second step.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::NewOutboxItem;
use crate::model::AuditEvent;
use crate::two_step::{Challenge, TotpRecord};
use crate::types::{Timestamp, UserId};

/// A user's second factor and the logins that wait for it.
#[async_trait]
pub trait TwoStepStore: Send + Sync {
    /// The user's TOTP row (enabled or waiting for its first code), if any.
    async fn totp(&self, user: UserId) -> StoreResult<Option<TotpRecord>>;
    /// Whether the user has TOTP turned on (the users list shows it).
    async fn two_step_enabled(&self, user: UserId) -> StoreResult<bool>;
    /// Stores a new secret waiting for its first code, replacing one that waits;
    /// an enabled secret is left alone (`Conflict`).
    async fn start_totp(&self, user: UserId, sealed: &[u8], at: Timestamp) -> StoreResult<()>;
    /// Turns the waiting secret on, `step` being the time step of the code that
    /// confirmed it, and replaces the recovery codes by `recovery_hashes`, with
    /// `audit`, in one transaction. `NotFound` when no secret waits.
    async fn enable_totp(
        &self,
        user: UserId,
        step: i64,
        at: Timestamp,
        recovery_hashes: &[String],
        audit: AuditEvent,
    ) -> StoreResult<()>;
    /// Turns TOTP off: the secret goes, with `audit`, and the recovery codes too
    /// unless the user has a passkey (they stand in for it as well). `notice`, the
    /// mail that tells the user, is queued in the same write when TOTP was on.
    async fn disable_totp(&self, user: UserId, notice: &NewOutboxItem, audit: AuditEvent) -> StoreResult<()>;
    /// Accepts a code of time step `step` only if no code of this or a later step
    /// was accepted before (a code works once); `false` otherwise.
    async fn use_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Marks an unused recovery code used and, in the same write, records `audit`
    /// and queues `notice` (the mail that tells the user); `false`, with nothing
    /// recorded or queued, when it is unknown or used.
    async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        at: Timestamp,
        notice: &NewOutboxItem,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Replaces every recovery code of the user, with `audit`.
    async fn replace_recovery_codes(&self, user: UserId, hashes: &[String], audit: AuditEvent) -> StoreResult<()>;
    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&self, user: UserId) -> StoreResult<i64>;
    /// Stores a login waiting for its second step.
    async fn insert_challenge(&self, challenge: &Challenge) -> StoreResult<()>;
    /// The waiting login with this id hash, unless it expired at `now`.
    async fn challenge(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Challenge>>;
    /// Ends a waiting login; `true` only for the one call that removed it (so a
    /// second step completes once).
    async fn take_challenge(&self, id_hash: &str) -> StoreResult<bool>;
}
