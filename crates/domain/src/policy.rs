//! Who may do what.
//!
//! Handlers never check roles themselves: they obtain an [`AccountScope`] from
//! [`crate::services::Services::account_scope`], which exists only when the actor may
//! administer that account. Every account-level service takes the scope, so an
//! unscoped call does not compile. Another account's number or ids answer `NotFound`.

use crate::model::{Account, Roles, User};
use crate::types::UserId;

/// The person making a request, as their session proves. Only the domain makes
/// one: from a live session ([`crate::services::Services::resume_session`]), or for
/// the CLI and tests from a stored user ([`crate::services::Services::act_as`]).
///
/// Outside the domain an actor cannot be made up from a user:
/// ```compile_fail
/// fn forge(user: sealpost_domain::model::User) -> sealpost_domain::policy::Actor {
///     sealpost_domain::policy::Actor { user, roles: Default::default() }
/// }
/// ```
/// nor an account scope from an account:
/// ```compile_fail
/// use sealpost_domain::model::Account;
/// use sealpost_domain::policy::{AccountScope, Actor};
/// fn forge(account: Account, actor: Actor) -> AccountScope {
///     AccountScope { account, actor, ip: None }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Actor {
    pub(crate) user: User,
    /// Read with the session; empty for an actor made for one action (a login's
    /// or a registration's audit event, the CLI), which never draws a page.
    pub(crate) roles: Roles,
}

impl Actor {
    /// An actor for one action of `user`'s, with no roles read.
    pub(crate) fn acting(user: User) -> Self {
        Self {
            user,
            roles: Roles::default(),
        }
    }

    /// Whether the page's navigation offers Compose: the actor is a member of
    /// some account (as read with the session).
    pub fn shows_compose(&self) -> bool {
        self.roles.member
    }

    /// Whether the page's navigation offers Administration: an operator or an
    /// account administrator (as read with the session). Authorization never
    /// rests on this: every account page asks for an `AccountScope`.
    pub fn shows_administration(&self) -> bool {
        self.user.operator || self.roles.account_admin
    }

    /// Who the actor is.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The actor's user id.
    pub fn id(&self) -> UserId {
        self.user.id
    }

    /// Operators manage every account.
    pub fn is_operator(&self) -> bool {
        self.user.operator
    }
}

/// Proof that `actor` may administer `account`. Its fields are private to the
/// domain, so only [`crate::services::Services::account_scope`] can make one:
/// outside the domain a scope can be passed on and read, never forged.
#[derive(Debug, Clone)]
pub struct AccountScope {
    pub(crate) account: Account,
    pub(crate) actor: Actor,
    /// The client address, recorded in audit events.
    pub(crate) ip: Option<String>,
}

impl AccountScope {
    /// The account this scope may administer.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The account, for a page that shows it after the scope's last use.
    pub fn into_account(self) -> Account {
        self.account
    }

    /// Who holds the scope.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}
