//! Accounts (tenants): creating them, listing them, and the scope check every
//! account-level page starts with.

use sealpost_crypto::token;

use super::Services;
use crate::error::DomainError;
use crate::messages::{Confirmation, LinkMail, MailKind, NewOutboxItem};
use crate::model::{Account, AuditEvent, Member};
use crate::policy::{AccountScope, Actor};
use crate::services::registration::SENDER_CONFIRM_SECONDS;
use crate::types::{AccountName, AccountNumber, EmailAddress, Locale, UserId};

/// Account numbers are seven digits, random so they reveal nothing about how many
/// accounts exist.
const NUMBER_RANGE: (u64, u64) = (1_000_000, 9_999_999);

impl Services {
    /// The proof that `actor` may administer the account with this number, or
    /// `NotFound`: an account the actor may not administer does not exist for them.
    pub async fn account_scope(
        &self,
        actor: &Actor,
        number: AccountNumber,
        ip: Option<&str>,
    ) -> Result<AccountScope, DomainError> {
        let account = self.store.account_by_number(number).await?;
        if !actor.is_operator() && !self.store.is_account_admin(account.id, actor.id()).await? {
            return Err(DomainError::NotFound);
        }
        Ok(AccountScope {
            account,
            actor: actor.clone(),
            ip: ip.map(str::to_owned),
        })
    }

    /// The accounts `actor` may administer: all of them for operators.
    pub async fn administered_accounts(&self, actor: &Actor) -> Result<Vec<Account>, DomainError> {
        if actor.is_operator() {
            self.store.list_accounts().await
        } else {
            self.store.administered_accounts(actor.id()).await
        }
    }

    /// Whether `actor` may use the administration portal at all.
    pub async fn is_administrator(&self, actor: &Actor) -> Result<bool, DomainError> {
        Ok(actor.is_operator() || !self.store.administered_accounts(actor.id()).await?.is_empty())
    }

    /// Creates an account with its Account Administrators group; `admin`, when given,
    /// must be an existing user's address and becomes its first administrator.
    /// `actor` is `None` for the command line (whoever holds the database is an operator).
    pub async fn create_account(
        &self,
        actor: Option<&Actor>,
        name: &str,
        default_locale: Locale,
        admin: Option<&str>,
        ip: Option<&str>,
    ) -> Result<Account, DomainError> {
        if actor.is_some_and(|a| !a.is_operator()) {
            return Err(DomainError::Forbidden);
        }
        let name = AccountName::parse(name).map_err(|e| DomainError::invalid("name", e))?;
        let admin = match admin.map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(raw) => Some(self.existing_user("admin", raw).await?.id),
        };
        for _ in 0..8 {
            let number = AccountNumber(
                i64::try_from(token::random_in(NUMBER_RANGE.0, NUMBER_RANGE.1).map_err(DomainError::internal)?)
                    .unwrap_or(NUMBER_RANGE.0 as i64),
            );
            let event = self.event(
                actor,
                None,
                "account.created",
                &format!("{number} {}", name.as_str()),
                ip,
            );
            match self
                .store
                .create_account(number, &name, default_locale, admin, event)
                .await
            {
                Err(DomainError::Conflict { field: "number" }) => continue,
                other => return other,
            }
        }
        Err(DomainError::internal(std::io::Error::other(
            "no free account number after 8 tries",
        )))
    }

    /// Chooses the address the account's notifications come from; empty restores
    /// the service's sender at once. A new address takes effect only once a link
    /// mailed to it is used, so no account can send as an address it does not
    /// read (another organisation's `payments@`, say).
    pub async fn set_sending_address(
        &self,
        scope: &AccountScope,
        raw: &str,
    ) -> Result<SendingAddressChange, DomainError> {
        let typed = raw.trim();
        if typed.is_empty() {
            let event = self.scoped_event(scope, "account.sending_address_set", "");
            self.store.clear_sending_address(scope.account.id, event).await?;
            return Ok(SendingAddressChange::Cleared);
        }
        let address = EmailAddress::parse(typed).map_err(|e| DomainError::invalid("sending_address", e))?;
        if scope.account.sending_address.as_ref() == Some(&address) {
            return Ok(SendingAddressChange::Unchanged);
        }
        let messaging = self.messaging();
        let (raw_token, token_hash, expires_at) = self.new_link_token(SENDER_CONFIRM_SECONDS)?;
        let link = messaging.config.links.sender_confirmation(&raw_token);
        let mail = messaging.notifier.link_mail(
            LinkMail::SendingAddress,
            &address,
            scope.account.default_locale,
            &link,
            Some(&scope.account.name),
        )?;
        let confirmation = Confirmation {
            token_hash,
            expires_at,
            mail: NewOutboxItem {
                kind: MailKind::Activation,
                to: address.clone(),
                mail,
                message: None,
                bounce_to: None,
                created_at: self.clock.now(),
            },
        };
        let event = self.scoped_event(scope, "account.sending_address_requested", address.as_str());
        self.store
            .request_sending_address(scope.account.id, &address, &confirmation, event)
            .await?;
        messaging.outbox_waker.notify_one();
        Ok(SendingAddressChange::ConfirmationSent(address))
    }

    /// Uses a sending-address link: the address it was mailed to becomes the
    /// account's sending address. `None` when the link is unknown, used, replaced
    /// by a newer one, or expired.
    pub async fn confirm_sending_address(
        &self,
        raw_token: &str,
        client: Option<&str>,
    ) -> Result<Option<EmailAddress>, DomainError> {
        let hash = token::hash_token(raw_token);
        let now = self.clock.now();
        let Some((account, address)) = self.store.sending_confirmation(&hash, now).await? else {
            return Ok(None);
        };
        let event = self.event(
            None,
            Some(account),
            "account.sending_address_set",
            address.as_str(),
            client,
        );
        Ok(self
            .store
            .confirm_sending_address(account, &hash, now, event)
            .await?
            .then_some(address))
    }

    /// The account's newest `limit` audit events, newest first, each with the
    /// address of whoever acted (`None` for the service itself, or a user since
    /// deleted: then their id as `#id`).
    pub async fn account_audit(
        &self,
        scope: &AccountScope,
        limit: u32,
    ) -> Result<Vec<(AuditEvent, Option<String>)>, DomainError> {
        let events = self.store.list_audit(Some(scope.account.id), limit).await?;
        let mut names: std::collections::HashMap<UserId, String> = std::collections::HashMap::new();
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            let who = match event.actor {
                None => None,
                Some(id) => Some(match names.get(&id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = self
                            .store
                            .user_by_id(id)
                            .await
                            .map(|u| u.email.to_string())
                            .unwrap_or_else(|_| format!("#{id}"));
                        names.insert(id, name.clone());
                        name
                    }
                }),
            };
            rows.push((event, who));
        }
        Ok(rows)
    }

    /// The members of the account's Account Administrators group (for the Details tab).
    pub async fn account_administrators(&self, scope: &AccountScope) -> Result<Vec<Member>, DomainError> {
        let group = self.store.admin_group(scope.account.id).await?;
        self.store.list_members(group.id, None, 100).await
    }
}

/// What choosing a sending address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendingAddressChange {
    /// Back to the service's sender, at once.
    Cleared,
    /// The address was in effect already.
    Unchanged,
    /// A confirmation link went to this address; it takes effect once used.
    ConfirmationSent(EmailAddress),
}
