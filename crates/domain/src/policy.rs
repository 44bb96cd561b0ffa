//! Who may do what.
//!
//! Handlers never check roles themselves: they obtain an [`AccountScope`] from
//! [`crate::services::Services::account_scope`], which exists only when the actor may
//! administer that account. Every account-level service takes the scope, so an
//! unscoped call does not compile. Another account's number or ids answer `NotFound`.

use crate::model::{Account, User};
use crate::types::UserId;

/// The person making a request, as their session proves.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
}

impl Actor {
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
