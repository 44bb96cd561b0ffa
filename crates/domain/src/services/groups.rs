//! Groups of an account and their members: the heart of the seed procedure.

use super::Services;
use crate::error::{DomainError, ValidationError};
use crate::model::{Group, Member, User};
use crate::policy::AccountScope;
use crate::types::{EmailAddress, GroupId, GroupName, UserId};

/// Members shown per page.
pub const MEMBERS_PER_PAGE: u32 = 50;

impl Services {
    /// The account's groups, built-in first.
    pub async fn groups(&self, scope: &AccountScope) -> Result<Vec<Group>, DomainError> {
        self.store.list_groups(scope.account.id).await
    }

    /// One group of the scoped account; another account's group is `NotFound`.
    pub async fn group(&self, scope: &AccountScope, id: GroupId) -> Result<Group, DomainError> {
        self.store.group(scope.account.id, id).await
    }

    /// Adds a custom group ("Add Group").
    #[tracing::instrument(skip_all, fields(account = %scope.account.number))]
    pub async fn create_group(&self, scope: &AccountScope, name: &str) -> Result<Group, DomainError> {
        let reserved: Vec<&str> = self.reserved_group_names.iter().map(String::as_str).collect();
        let name = GroupName::parse(name, &reserved).map_err(|e| DomainError::invalid("group_name", e))?;
        let event = self.scoped_event(scope, "group.created", name.as_str());
        match self
            .store
            .create_group(scope.account.id, &name, self.clock.now(), event)
            .await
        {
            Err(DomainError::Conflict { .. }) => {
                Err(DomainError::invalid("group_name", ValidationError::GroupNameTaken))
            }
            other => other,
        }
    }

    /// Deletes a custom group; the built-in one is refused.
    #[tracing::instrument(skip_all, fields(account = %scope.account.number, group = %id))]
    pub async fn delete_group(&self, scope: &AccountScope, id: GroupId) -> Result<Group, DomainError> {
        let group = self.store.group(scope.account.id, id).await?;
        if group.builtin {
            return Err(ValidationError::BuiltinGroup.into());
        }
        let event = self.scoped_event(scope, "group.deleted", &group.name);
        self.store.delete_group(scope.account.id, id, event).await?;
        Ok(group)
    }

    /// A page of a group's members, by address, continuing after `after`.
    pub async fn members(
        &self,
        scope: &AccountScope,
        id: GroupId,
        after: Option<&str>,
    ) -> Result<(Group, Vec<Member>), DomainError> {
        let group = self.store.group(scope.account.id, id).await?;
        let members = self.store.list_members(group.id, after, MEMBERS_PER_PAGE).await?;
        Ok((group, members))
    }

    /// "Add to Group": the User ID is an email address that must already be a user.
    #[tracing::instrument(skip_all, fields(account = %scope.account.number, group = %id))]
    pub async fn add_member(
        &self,
        scope: &AccountScope,
        id: GroupId,
        user_id: &str,
    ) -> Result<(Group, User), DomainError> {
        let group = self.store.group(scope.account.id, id).await?;
        let email = EmailAddress::parse(user_id).map_err(|e| DomainError::invalid("user_id", e))?;
        let Some(user) = self.store.user_by_email(&email).await? else {
            let mut event = self.scoped_event(scope, "group.member_added", email.as_str());
            event.outcome = "refused".to_owned();
            self.store.record_audit(event).await?;
            return Err(DomainError::invalid("user_id", ValidationError::NonExistentUser));
        };
        let event = self.scoped_event(scope, "group.member_added", &format!("{} → {}", user.email, group.name));
        match self
            .store
            .add_member(group.id, user.id, Some(scope.actor.id()), self.clock.now(), event)
            .await
        {
            Err(DomainError::Conflict { .. }) => Err(DomainError::invalid("user_id", ValidationError::AlreadyMember)),
            Err(other) => Err(other),
            Ok(()) => Ok((group, user)),
        }
    }

    /// Removes a member; the last member of Account Administrators stays.
    #[tracing::instrument(skip_all, fields(account = %scope.account.number, group = %id))]
    pub async fn remove_member(
        &self,
        scope: &AccountScope,
        id: GroupId,
        user: UserId,
    ) -> Result<(Group, User), DomainError> {
        let group = self.store.group(scope.account.id, id).await?;
        let user = self.store.user_by_id(user).await?;
        let event = self.scoped_event(
            scope,
            "group.member_removed",
            &format!("{} → {}", user.email, group.name),
        );
        self.store.remove_member(group.id, user.id, event).await?;
        Ok((group, user))
    }
}
