//! The groups port: an account's groups and their members.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{AuditEvent, Group, Member};
use crate::types::{AccountId, GroupId, GroupName, Timestamp, UserId};

/// An account's groups and their members; every lookup is scoped by account.
///
/// Each method is one unit of work: it commits its change *and* the audit event
/// that records it in one transaction, or neither.
#[async_trait]
pub trait GroupStore: Send + Sync {
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
}
