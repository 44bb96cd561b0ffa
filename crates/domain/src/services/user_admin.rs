//! The user page: one user in full, and what operators and account administrators
//! may do to them.
//!
//! Who sees a user: operators everyone; an account administrator the members of
//! their accounts, the recipients of their accounts' messages and the users they
//! created. Anyone else's user answers `NotFound`, like one that does not exist.
//! Operators are acted on by operators only, and nobody locks or deletes
//! themselves (`Forbidden`).
//!
//! Locks: an operator's lock is global (status `locked`; every session and
//! remembered device ends; at login the user sees the reason and whom to contact).
//! An account administrator's lock holds in their account only: the user neither
//! sends from it nor reads its messages ([`Services::ensure_not_locked_in`]; a
//! signed-in view reads the lock with the message, `MessageStore::message_to_open`).

use super::Services;
use super::messages::RESET_SECONDS;
use super::registration::LinkToSend;
use crate::error::{DomainError, ValidationError};
use crate::messages::{LinkMail, SecurityNotice, TokenPurpose};
use crate::model::{Account, AuditEvent, LockNotice, User, UserDetail, UserStatus};
use crate::policy::{AccountScope, Actor};
use crate::types::{AccountId, Locale, PersonName, UserId};

/// The longest lock reason, in characters.
pub const LOCK_REASON_MAX: usize = 500;

/// The user page: the user, and which of its actions the actor is offered.
#[derive(Debug, Clone)]
pub struct UserView {
    pub detail: UserDetail,
    /// The accounts the actor administers that the user belongs to (member or
    /// recipient): where "Lock in this account" and "Remove from this account" apply.
    pub accounts: Vec<Account>,
    /// Of those, the ones that locked the user out.
    pub locked_in: Vec<AccountId>,
    /// Operators lock globally and delete; nobody acts so on themselves.
    pub may_lock_globally: bool,
    pub may_delete: bool,
    /// Edit names, reset link, activation link, new password at next login, and
    /// reset two-step verification when it is on.
    pub may_manage: bool,
    /// Two-step verification is on for the user (TOTP or a passkey).
    pub two_step: bool,
}

/// What an administrator did to a user, for the flash message and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    SendReset,
    ResendActivation,
    RequirePasswordChange,
    /// Removes the user's second factors (TOTP, passkeys, recovery codes): a lost
    /// phone without recovery codes.
    ResetTwoStep,
}

/// Checks a lock reason: trimmed, required, at most [`LOCK_REASON_MAX`]
/// characters, no control characters but line breaks and tabs (a user's lock
/// and a message's).
pub fn parse_lock_reason(reason: &str) -> Result<String, DomainError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::invalid("reason", ValidationError::LockReasonRequired));
    }
    if reason.chars().count() > LOCK_REASON_MAX {
        return Err(DomainError::invalid("reason", ValidationError::LockReasonTooLong));
    }
    if crate::types::has_stray_control_characters(reason) {
        return Err(DomainError::invalid("reason", ValidationError::ControlCharacters));
    }
    Ok(reason.to_owned())
}

impl Services {
    /// The user `id` as `actor` may see them; `NotFound` otherwise.
    async fn visible_user(&self, actor: &Actor, id: UserId) -> Result<UserDetail, DomainError> {
        let detail = self.store.user_detail(id).await?.ok_or(DomainError::NotFound)?;
        if actor.is_operator() || detail.user.id == actor.id() {
            return Ok(detail);
        }
        let accounts = self.store.administered_accounts(actor.id()).await?;
        let ids: Vec<AccountId> = accounts.iter().map(|a| a.id).collect();
        if ids.is_empty() || !self.store.user_visible_in(id, &ids, actor.id()).await? {
            return Err(DomainError::NotFound);
        }
        Ok(detail)
    }

    /// The user, if `actor` may manage them: visible, and an operator only by operators.
    async fn managed_user(&self, actor: &Actor, id: UserId) -> Result<UserDetail, DomainError> {
        let detail = self.visible_user(actor, id).await?;
        if detail.user.operator && !actor.is_operator() {
            return Err(DomainError::Forbidden);
        }
        Ok(detail)
    }

    /// The user page.
    pub async fn user_view(&self, actor: &Actor, id: UserId) -> Result<UserView, DomainError> {
        let detail = self.visible_user(actor, id).await?;
        let mut accounts = Vec::new();
        let candidates = if actor.is_operator() {
            let mut ids: Vec<AccountId> = detail.groups.iter().map(|g| g.account_id).collect();
            ids.extend(detail.account_locks.iter().map(|l| l.account_id));
            ids.sort_unstable_by_key(|a| a.0);
            ids.dedup();
            let mut found = Vec::new();
            for id in ids {
                found.push(self.store.account(id).await?);
            }
            found
        } else {
            self.store.administered_accounts(actor.id()).await?
        };
        for account in candidates {
            if account.deleted_at.is_none() && self.store.user_in_account(id, account.id).await? {
                accounts.push(account);
            }
        }
        let locked_in = detail.account_locks.iter().map(|l| l.account_id).collect();
        let myself = detail.user.id == actor.id();
        let may_manage = !myself && (actor.is_operator() || !detail.user.operator);
        // A passkey is a second factor too.
        let two_step =
            self.store.two_step_enabled(detail.user.id).await? || self.store.has_passkey(detail.user.id).await?;
        Ok(UserView {
            two_step,
            may_lock_globally: actor.is_operator() && !myself,
            may_delete: actor.is_operator() && !myself,
            may_manage,
            accounts,
            locked_in,
            detail,
        })
    }

    /// Changes a user's names (audited `user.renamed`).
    pub async fn rename_user(
        &self,
        actor: &Actor,
        id: UserId,
        first: &str,
        last: &str,
        ip: Option<&str>,
    ) -> Result<(), DomainError> {
        let detail = self.managed_user(actor, id).await?;
        let first = PersonName::parse(first).map_err(|e| DomainError::invalid("first_name", e))?;
        let last = PersonName::parse(last).map_err(|e| DomainError::invalid("last_name", e))?;
        let event = self.event(Some(actor), None, "user.renamed", detail.user.email.as_str(), ip);
        self.store
            .set_user_names(id, first.as_str(), last.as_str(), event)
            .await
    }

    /// Mails a password-reset link, resends the activation link (a link that sets
    /// the first password of a pending user), requires a new password at the
    /// next login, or resets two-step verification; each audited with the
    /// administrator as actor. Never on oneself (the security page is for that).
    pub async fn user_action(
        &self,
        actor: &Actor,
        id: UserId,
        action: UserAction,
        locale: Locale,
        ip: Option<&str>,
    ) -> Result<(), DomainError> {
        let detail = self.managed_user(actor, id).await?;
        if detail.user.id == actor.id() {
            return Err(DomainError::Forbidden);
        }
        let user = &detail.user;
        match action {
            UserAction::ResetTwoStep => {
                let event = self.event(Some(actor), None, "user.two_step_reset", user.email.as_str(), ip);
                self.reset_second_factors_of(user, locale, event).await?;
                tracing::info!(user = %id, by = %actor.id(), "two-step verification reset by an administrator");
                Ok(())
            }
            UserAction::RequirePasswordChange => {
                let event = self.event(
                    Some(actor),
                    None,
                    "user.password_change_required",
                    user.email.as_str(),
                    ip,
                );
                self.store.require_password_change(id, event).await
            }
            UserAction::SendReset | UserAction::ResendActivation => {
                if user.status == UserStatus::Locked {
                    return Err(DomainError::Forbidden);
                }
                let activation = action == UserAction::ResendActivation;
                if activation && user.status != UserStatus::Pending {
                    return Err(DomainError::Forbidden);
                }
                let messaging = self.messaging();
                let links = &messaging.config.links;
                let locale = user.locale.unwrap_or(locale);
                let kind = if activation {
                    LinkMail::Activation
                } else {
                    LinkMail::PasswordReset
                };
                let audit = if activation {
                    "user.activation_resent"
                } else {
                    "user.password_reset_sent"
                };
                let link = LinkToSend {
                    user,
                    purpose: TokenPurpose::PasswordReset,
                    session: None,
                    lifetime: RESET_SECONDS,
                    action: audit,
                };
                self.send_link(link, Some(actor), ip, |raw| {
                    messaging
                        .notifier
                        .link_mail(kind, &user.email, locale, &links.password_reset(raw), None)
                })
                .await
            }
        }
    }

    /// Removes `user`'s second factors and queues the mail that tells them so (in
    /// their language, else `fallback`), in one write: nobody's two-step
    /// verification goes without its owner hearing of it.
    pub(crate) async fn reset_second_factors_of(
        &self,
        user: &User,
        fallback: Locale,
        event: AuditEvent,
    ) -> Result<(), DomainError> {
        let notice = self.security_notice(SecurityNotice::TwoStepReset, user, fallback)?;
        self.store.reset_second_factors(user.id, &notice, event).await?;
        self.messaging().outbox_waker.notify_one();
        Ok(())
    }

    /// An operator's lock: everywhere, every session ended (`user.locked`).
    pub async fn lock_user(
        &self,
        actor: &Actor,
        id: UserId,
        reason: &str,
        ip: Option<&str>,
    ) -> Result<(), DomainError> {
        let detail = self.visible_user(actor, id).await?;
        if !actor.is_operator() || detail.user.id == actor.id() {
            return Err(DomainError::Forbidden);
        }
        let reason = parse_lock_reason(reason)?;
        let event = self.event(Some(actor), None, "user.locked", detail.user.email.as_str(), ip);
        self.store.lock_user(id, &reason, actor.id(), event).await
    }

    /// Ends an operator's lock (`user.unlocked`).
    pub async fn unlock_user(&self, actor: &Actor, id: UserId, ip: Option<&str>) -> Result<(), DomainError> {
        let detail = self.visible_user(actor, id).await?;
        if !actor.is_operator() {
            return Err(DomainError::Forbidden);
        }
        let event = self.event(Some(actor), None, "user.unlocked", detail.user.email.as_str(), ip);
        self.store.unlock_user(id, event).await
    }

    /// Deletes a user (operators only; `user.deleted`). Their messages stay, with
    /// their name as sender, readable by their other recipients.
    pub async fn delete_user(&self, actor: &Actor, id: UserId, ip: Option<&str>) -> Result<(), DomainError> {
        let detail = self.visible_user(actor, id).await?;
        if !actor.is_operator() || detail.user.id == actor.id() {
            return Err(DomainError::Forbidden);
        }
        let event = self.event(Some(actor), None, "user.deleted", detail.user.email.as_str(), ip);
        self.store.delete_user(id, self.clock.now(), event).await
    }

    /// The user, if they belong to the scope's account (member or recipient);
    /// `NotFound` otherwise.
    async fn account_user(&self, scope: &AccountScope, id: UserId) -> Result<UserDetail, DomainError> {
        let detail = self.store.user_detail(id).await?.ok_or(DomainError::NotFound)?;
        if !self.store.user_in_account(id, scope.account.id).await? {
            return Err(DomainError::NotFound);
        }
        if detail.user.id == scope.actor.id() || (detail.user.operator && !scope.actor.is_operator()) {
            return Err(DomainError::Forbidden);
        }
        Ok(detail)
    }

    /// An account administrator's lock: the user neither sends from nor reads
    /// the account's messages (`user.account_locked`).
    pub async fn lock_in_account(&self, scope: &AccountScope, id: UserId, reason: &str) -> Result<(), DomainError> {
        let detail = self.account_user(scope, id).await?;
        let reason = parse_lock_reason(reason)?;
        let event = self.scoped_event(scope, "user.account_locked", detail.user.email.as_str());
        self.store
            .lock_in_account(scope.account.id, id, &reason, scope.actor.id(), event)
            .await
    }

    /// Ends the account's lock (`user.account_unlocked`).
    pub async fn unlock_in_account(&self, scope: &AccountScope, id: UserId) -> Result<(), DomainError> {
        let detail = self.account_user(scope, id).await?;
        let event = self.scoped_event(scope, "user.account_unlocked", detail.user.email.as_str());
        self.store.unlock_in_account(scope.account.id, id, event).await
    }

    /// Removes the user from every group of the account (`user.removed_from_account`).
    /// The last administrator stays (`LastAdministrator`).
    pub async fn remove_from_account(&self, scope: &AccountScope, id: UserId) -> Result<(), DomainError> {
        let detail = self.account_user(scope, id).await?;
        let event = self.scoped_event(scope, "user.removed_from_account", detail.user.email.as_str());
        self.store.remove_from_account(scope.account.id, id, event).await
    }

    /// The user the scope's account page shows, for a confirmation page.
    pub async fn account_user_detail(&self, scope: &AccountScope, id: UserId) -> Result<UserDetail, DomainError> {
        self.account_user(scope, id).await
    }

    /// Refuses (`Forbidden`) a user the account locked out: checked before they
    /// send from it or open one of its messages.
    pub async fn ensure_not_locked_in(&self, account: AccountId, user: UserId) -> Result<(), DomainError> {
        if self.store.locked_in_account(account, user).await? {
            return Err(DomainError::Forbidden);
        }
        Ok(())
    }

    /// What a globally locked user is told at login.
    pub(crate) async fn lock_notice(&self, id: UserId) -> Result<Option<LockNotice>, DomainError> {
        self.store.lock_notice(id).await
    }
}

impl Services {
    /// The group `group` of the scope's account and its member `user`, for the
    /// confirmation of a removal; `NotFound` when either is not there.
    pub async fn group_member(
        &self,
        scope: &AccountScope,
        group: crate::types::GroupId,
        user: UserId,
    ) -> Result<(crate::model::Group, crate::model::User), DomainError> {
        let group = self.store.group(scope.account.id, group).await?;
        let detail = self.store.user_detail(user).await?.ok_or(DomainError::NotFound)?;
        if !detail.groups.iter().any(|g| g.group_id == group.id) {
            return Err(DomainError::NotFound);
        }
        Ok((group, detail.user))
    }
}
