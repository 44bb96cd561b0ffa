//! Managing an account as a whole: renaming it (its administrators and operators),
//! suspending, resuming and deleting it (operators only), the Accounts list a page
//! at a time, and the check every path that starts or sends a message makes.
//!
//! A suspended account sends nothing new (portal compose, replies and forwards to
//! its messages, and the SMTP gateway through [`Services::ensure_account_may_send`]
//! or, where the settings are needed too, `account_for_sending`);
//! its recipients still open what they have. A deleted account keeps only its row
//! and its audit trail: its messages' keys are destroyed and their blobs deleted.
//! Its allowed sender domains ([`Services::sender_domain_allowed`]) are the other
//! question the gateway asks.

use crate::error::{DomainError, ValidationError};
use crate::model::Account;
use crate::policy::{AccountScope, Actor};
use crate::ports::{AccountPage, AccountQuery};
use crate::sender_domains::SenderDomains;
use crate::settings::AccountSettings;
use crate::types::{AccountId, AccountName, AccountNumber, EmailAddress};

use super::Services;

/// The most rows a page of the Accounts list may ask for.
pub const MAX_ACCOUNTS_PAGE: u32 = 200;

impl Services {
    /// Renames the scope's account. Its administrators may, as may operators.
    pub async fn rename_account(&self, scope: &AccountScope, raw: &str) -> Result<Account, DomainError> {
        let name = AccountName::parse(raw).map_err(|e| DomainError::invalid("name", e))?;
        let mut account = scope.account.clone();
        if account.name == name.as_str() {
            return Ok(account);
        }
        let event = self.scoped_event(scope, "account.renamed", name.as_str());
        self.store.rename_account(account.id, &name, event).await?;
        account.name = name.as_str().to_owned();
        Ok(account)
    }

    /// Suspends (`true`) or resumes (`false`) the scope's account; operators only.
    /// Doing what is already the case changes nothing and writes no event.
    pub async fn set_account_suspended(&self, scope: &AccountScope, suspended: bool) -> Result<(), DomainError> {
        if !scope.actor.is_operator() {
            return Err(DomainError::Forbidden);
        }
        self.suspend_as(&scope.account, Some(&scope.actor), scope.ip.as_deref(), suspended)
            .await
    }

    /// The console's `account suspend|resume`: as [`Services::set_account_suspended`],
    /// with the service's own authority (the audit trail names no person).
    pub async fn console_set_account_suspended(
        &self,
        number: AccountNumber,
        suspended: bool,
    ) -> Result<(), DomainError> {
        let account = self.store.account_by_number(number).await?;
        self.suspend_as(&account, None, None, suspended).await
    }

    async fn suspend_as(
        &self,
        account: &Account,
        actor: Option<&Actor>,
        ip: Option<&str>,
        suspended: bool,
    ) -> Result<(), DomainError> {
        if account.is_suspended() == suspended {
            return Ok(());
        }
        let (since, action) = if suspended {
            (Some(self.clock.now()), "account.suspended")
        } else {
            (None, "account.resumed")
        };
        let event = self.event(actor, Some(account.id), action, &account.number.to_string(), ip);
        let written = self.store.set_account_suspended(account.id, since, event).await;
        self.forget_account_look(account.id);
        written
    }

    /// Deletes the scope's account (operators only) once `typed` is its number: its
    /// messages' keys are destroyed, their blobs deleted, its groups, members,
    /// settings and tokens gone; the audit trail stays. Returns how many messages
    /// can no longer be opened.
    pub async fn delete_account(&self, scope: &AccountScope, typed: &str) -> Result<usize, DomainError> {
        if !scope.actor.is_operator() {
            return Err(DomainError::Forbidden);
        }
        self.delete_as(&scope.account, Some(&scope.actor), scope.ip.as_deref(), typed)
            .await
    }

    /// The console's `account delete`: as [`Services::delete_account`] (`typed`,
    /// the `--confirm` number, must be the account's), with the service's own
    /// authority (the audit trail names no person).
    pub async fn console_delete_account(&self, number: AccountNumber, typed: &str) -> Result<usize, DomainError> {
        let account = self.store.account_by_number(number).await?;
        self.delete_as(&account, None, None, typed).await
    }

    async fn delete_as(
        &self,
        account: &Account,
        actor: Option<&Actor>,
        ip: Option<&str>,
        typed: &str,
    ) -> Result<usize, DomainError> {
        if AccountNumber::parse(typed) != Some(account.number) {
            return Err(DomainError::invalid(
                "confirm_number",
                ValidationError::AccountNumberMismatch,
            ));
        }
        let event = self.event(
            actor,
            Some(account.id),
            "account.deleted",
            &format!("{} {}", account.number, account.name),
            ip,
        );
        let deleted = self.store.delete_account(account.id, self.clock.now(), event).await;
        self.forget_account_look(account.id);
        let shredded = deleted?;
        let blobs = &self.messaging().blobs;
        for id in &shredded {
            // The keys are gone already, so a blob left behind opens for nobody; the
            // log names it for whoever cleans up.
            if let Err(error) = blobs.delete_prefix(&format!("{}/", id.to_hex())).await {
                tracing::warn!(message = %id.to_hex(), %error, "blobs of a deleted account's message not deleted");
            }
        }
        tracing::info!(account = %account.number, messages = shredded.len(), "account deleted");
        Ok(shredded.len())
    }

    /// The scope for reading the audit trail of the account with this number: that
    /// of [`Services::account_scope`], or for an operator also a deleted account's.
    pub async fn audit_scope(
        &self,
        actor: &Actor,
        number: AccountNumber,
        ip: Option<&str>,
    ) -> Result<AccountScope, DomainError> {
        match self.account_scope(actor, number, ip).await {
            Err(DomainError::NotFound) if actor.is_operator() => Ok(AccountScope {
                account: self.store.deleted_account(number).await?,
                actor: actor.clone(),
                ip: ip.map(str::to_owned),
            }),
            other => other,
        }
    }

    /// One page of the Accounts list: every account for operators, the ones they
    /// administer for everyone else.
    pub async fn accounts_page(&self, actor: &Actor, mut query: AccountQuery) -> Result<AccountPage, DomainError> {
        query.administered_by = (!actor.is_operator()).then(|| actor.id());
        // What no name holds (control characters: PostgreSQL refuses a NUL in text)
        // cannot match; a search is at most as long as a name.
        query.search = query
            .search
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect();
        query.limit = query.limit.clamp(1, MAX_ACCOUNTS_PAGE);
        self.store.search_accounts(&query).await
    }

    /// Refuses, with a reason to show, a new message from an account that is
    /// suspended (and `NotFound` for one deleted). Every path that starts or sends
    /// a message calls it: compose, replies and forwards, and the SMTP gateway.
    pub async fn ensure_account_may_send(&self, account: AccountId) -> Result<(), DomainError> {
        may_send(&self.store.account(account).await?)
    }

    /// The account, refused as [`Self::ensure_account_may_send`] refuses it, its
    /// settings as they are now and its current key (`None` before its first
    /// message): what sending a message needs, in one read.
    pub(crate) async fn account_for_sending(
        &self,
        account: AccountId,
    ) -> Result<(Account, AccountSettings, Option<crate::messages::AccountKey>), DomainError> {
        let found = self.store.account_with_settings(account).await?;
        may_send(&found.account)?;
        Ok((
            found.account,
            AccountSettings::from_rows(&found.settings),
            found.current_key,
        ))
    }
}

/// `NotFound` for a deleted account, a reason to show for a suspended one.
fn may_send(account: &Account) -> Result<(), DomainError> {
    if account.deleted_at.is_some() {
        return Err(DomainError::NotFound);
    }
    if account.is_suspended() {
        return Err(ValidationError::AccountSuspended.into());
    }
    Ok(())
}

impl Services {
    /// Sets the account's allowed sender domains from what its administrator typed
    /// (see [`crate::sender_domains`]); an empty list admits nobody by domain. The
    /// change is audited as `account.sender_domains_set` with the new list.
    pub async fn set_sender_domains(&self, scope: &AccountScope, raw: &str) -> Result<SenderDomains, DomainError> {
        let domains = SenderDomains::parse(raw).map_err(|e| DomainError::invalid("sender_domains", e))?;
        let stored = (!domains.is_empty()).then(|| domains.clone());
        self.change_account_settings(scope, |settings| settings.sender_domains = stored)
            .await?;
        Ok(domains)
    }

    /// Whether `sender`'s domain is one of the account's allowed sender domains
    /// (an account that lists none allows no one this way). The SMTP gateway
    /// asks this of an envelope sender who is not a member: one allowed becomes
    /// a member (`Services::gateway_sender`).
    pub async fn sender_domain_allowed(&self, account: AccountId, sender: &EmailAddress) -> Result<bool, DomainError> {
        let settings = self.settings_of(account).await?;
        Ok(settings
            .sender_domains
            .as_ref()
            .is_some_and(|domains| domains.allows(sender)))
    }
}
