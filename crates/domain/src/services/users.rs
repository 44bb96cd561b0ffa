//! Users: created by operators and account administrators ("Add User"), by the
//! command line, and (later) by recipients registering themselves.

use sealpost_crypto::token;

use super::Services;
use super::auth::{hash_password, new_password};
use crate::error::{DomainError, ValidationError};
use crate::model::{NewUser, User, UserPage, UserQuery, UserStatus, UserStatusFilter, UserVisibility};
use crate::policy::Actor;
use crate::types::{EmailAddress, Locale, PersonName};

/// A readable random temporary password (for `sealpost user add` without one).
pub fn temporary_password() -> Result<String, DomainError> {
    token::temporary_password().map_err(DomainError::internal)
}

/// Users shown per page of the Users list.
pub const USERS_PER_PAGE: u32 = 50;
/// The Users list's total is exact up to this many; past it the store answers one
/// more and the page says "more than" this.
pub const USERS_COUNTED_UP_TO: u64 = 1_000;

/// What the Add User form (and `sealpost user add`) asks for.
#[derive(Debug, Clone, Default)]
pub struct CreateUserRequest {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
    pub confirm_password: String,
    /// "Force password expiration": the user must choose a new password at first login.
    pub force_password_change: bool,
    /// The operator running the command line vouches that this user reads the
    /// address's mailbox (`sealpost user add --mailbox-verified`; audited). Nobody
    /// else can: everyone else proves it with a link.
    pub mailbox_vouched: bool,
}

impl Services {
    /// Whether `actor` may open the Users page: operators and account administrators.
    pub async fn may_manage_users(&self, actor: &Actor) -> Result<bool, DomainError> {
        self.is_administrator(actor).await
    }

    /// Creates a user. `actor` is `None` for the command line. Fields are checked in
    /// the order the form shows them; the first problem is reported with its field.
    #[tracing::instrument(skip_all)]
    pub async fn create_user(
        &self,
        actor: Option<&Actor>,
        request: &CreateUserRequest,
        ip: Option<&str>,
    ) -> Result<User, DomainError> {
        if let Some(actor) = actor
            && (request.mailbox_vouched || !self.may_manage_users(actor).await?)
        {
            return Err(DomainError::Forbidden);
        }
        let email = EmailAddress::parse(&request.username).map_err(|e| DomainError::invalid("username", e))?;
        let first_name = PersonName::parse(&request.first_name).map_err(|e| DomainError::invalid("first_name", e))?;
        let last_name = PersonName::parse(&request.last_name).map_err(|e| DomainError::invalid("last_name", e))?;
        let password = new_password("password", &request.password, &request.confirm_password, &email)?;
        if self.store.user_by_email(&email).await?.is_some() {
            return Err(DomainError::invalid("username", ValidationError::UsernameTaken));
        }
        let hash = hash_password(&password).await?;
        let new = NewUser {
            email: email.clone(),
            first_name: first_name.as_str().to_owned(),
            last_name: last_name.as_str().to_owned(),
            password_hash: Some(hash),
            status: UserStatus::Active,
            must_change_password: request.force_password_change,
            locale: None,
            created_by: actor.map(Actor::id),
            created_at: self.clock.now(),
            mailbox_verified_at: request.mailbox_vouched.then(|| self.clock.now()),
        };
        let event = self.event(actor, None, "user.created", email.as_str(), ip);
        let user = match self.store.insert_user(new, Some(event)).await {
            Err(DomainError::Conflict { .. }) => {
                return Err(DomainError::invalid("username", ValidationError::UsernameTaken));
            }
            other => other?,
        };
        if request.mailbox_vouched {
            self.store
                .record_audit(self.event(None, None, "user.mailbox_vouched", email.as_str(), ip))
                .await?;
        }
        Ok(user)
    }

    /// A page of the users `actor` may see, optionally narrowed to a prefix of the
    /// address, first or last name, and to one status; with the total.
    pub async fn list_users(
        &self,
        actor: &Actor,
        prefix: Option<&str>,
        status: UserStatusFilter,
        after: Option<&str>,
    ) -> Result<UserPage, DomainError> {
        let visibility = if actor.is_operator() {
            UserVisibility::All
        } else {
            let accounts = self.store.administered_accounts(actor.id()).await?;
            if accounts.is_empty() {
                return Err(DomainError::Forbidden);
            }
            UserVisibility::Administrator {
                accounts: accounts.iter().map(|a| a.id).collect(),
                creator: actor.id(),
            }
        };
        // No address holds a control character, so a search with one finds nobody
        // (and must not reach the database, where a NUL is an error).
        if [prefix, after]
            .into_iter()
            .flatten()
            .any(|t| t.chars().any(char::is_control))
        {
            return Ok(UserPage {
                users: Vec::new(),
                next_after: None,
                total: 0,
            });
        }
        let prefix = prefix.map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty());
        let query = UserQuery {
            visibility,
            prefix,
            status,
            after: after.map(str::to_owned),
            limit: USERS_PER_PAGE,
        };
        self.store.list_users(&query).await
    }

    /// The user whose address `typed` is, typed into the form field `field`: a
    /// malformed address or one nobody has is that field's validation error.
    pub(crate) async fn existing_user(&self, field: &'static str, typed: &str) -> Result<User, DomainError> {
        let email = EmailAddress::parse(typed).map_err(|e| DomainError::invalid(field, e))?;
        self.store
            .user_by_email(&email)
            .await?
            .ok_or(DomainError::invalid(field, ValidationError::NonExistentUser))
    }

    /// Grants operator rights to an existing user (command line).
    pub async fn grant_operator(&self, email: &str) -> Result<User, DomainError> {
        let user = self.existing_user("email", email).await?;
        let event = self.event(None, None, "operator.granted", user.email.as_str(), None);
        self.store.set_operator(user.id, true, event).await?;
        self.store.user_by_id(user.id).await
    }

    /// Resets a user's two-step verification from the command line (the one
    /// operator who lost their phone has nobody to do it on the user page):
    /// their TOTP secret, passkeys and recovery codes go, audited
    /// `user.two_step_reset` with no actor, and the user is told by mail.
    /// `NonExistentUser` on field `email` when no user has the address.
    pub async fn reset_two_step_of(&self, email: &str) -> Result<User, DomainError> {
        let user = self.existing_user("email", email).await?;
        let event = self.event(None, None, "user.two_step_reset", user.email.as_str(), None);
        self.reset_second_factors_of(&user, Locale::default(), event).await?;
        Ok(user)
    }

    /// On first start with no users at all, creates the first operator with a random
    /// temporary password that must be changed at first login. Returns the user and
    /// the password to print once; `None` when users already exist.
    pub async fn bootstrap_operator(&self, email: &str) -> Result<Option<(User, String)>, DomainError> {
        if self.store.count_users().await? > 0 {
            return Ok(None);
        }
        let temporary = token::temporary_password().map_err(DomainError::internal)?;
        let request = CreateUserRequest {
            username: email.to_owned(),
            first_name: "Sealpost".to_owned(),
            last_name: "Operator".to_owned(),
            password: temporary.clone(),
            confirm_password: temporary.clone(),
            force_password_change: true,
            mailbox_vouched: false,
        };
        let user = self.create_user(None, &request, None).await?;
        let user = self.grant_operator(user.email.as_str()).await?;
        Ok(Some((user, temporary)))
    }

    /// Sets the actor's own language (`None`: follow the browser).
    pub async fn set_locale(&self, actor: &Actor, locale: Option<Locale>) -> Result<(), DomainError> {
        self.store.set_user_locale(actor.id(), locale).await
    }
}
