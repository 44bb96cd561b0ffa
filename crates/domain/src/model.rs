//! The records services hand out. Plain data: no behaviour beyond small helpers.

use crate::types::{AccountId, AccountNumber, EmailAddress, GroupId, Locale, TimeZoneName, Timestamp, UserId};

/// Where a user stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Known by address (for example a recipient) but has never set a password.
    Pending,
    /// May log in.
    Active,
    /// May not log in; every session ended when it was locked.
    Locked,
}

impl UserStatus {
    /// The value stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Locked => "locked",
        }
    }

    /// Reads the stored value; anything unknown is treated as locked (fail closed).
    pub fn from_stored(value: &str) -> Self {
        match value {
            "pending" => Self::Pending,
            "active" => Self::Active,
            _ => Self::Locked,
        }
    }
}

/// What a user's group memberships make of them, read with their session (one
/// query), so a page's navigation costs no further round trip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    /// A member of some account's group: may compose for it.
    pub member: bool,
    /// A member of some account's Account Administrators group.
    pub account_admin: bool,
}

/// One person, identified by their email address across every account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    pub status: UserStatus,
    /// Set when someone else chose the password (temporary password, "Force password
    /// expiration"): the next login can only set a new one.
    pub must_change_password: bool,
    /// The user's own language setting; `None` follows the browser.
    pub locale: Option<Locale>,
    /// The time zone the user reads dates in; `None`: UTC.
    pub time_zone: Option<TimeZoneName>,
    /// Operators run the service and manage every account.
    pub operator: bool,
    pub created_at: Timestamp,
    /// Who created this user, for the account administrators' view of "their" users.
    pub created_by: Option<UserId>,
    pub last_login_at: Option<Timestamp>,
    /// When the user last proved the mailbox (an activation, password-reset or
    /// proof link sent to it and used); `None`: never. Messages addressed to the
    /// user open only once it is set: creating a user or choosing its password
    /// (an administrator may do both) proves nothing about who reads the mailbox.
    pub mailbox_verified_at: Option<Timestamp>,
}

impl User {
    /// "First Last", as lists show it.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// Whether the user has proven they read the mailbox of their address.
    pub fn mailbox_proven(&self) -> bool {
        self.mailbox_verified_at.is_some()
    }
}

/// A user together with their password hash, for logging in only.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    /// PHC string (argon2id); `None` for users who never set a password.
    pub password_hash: Option<String>,
}

/// What a user may change about themself on their own page (`/me`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnProfile {
    pub first_name: String,
    pub last_name: String,
    /// `None`: follow the browser.
    pub locale: Option<Locale>,
    /// `None`: UTC.
    pub time_zone: Option<TimeZoneName>,
}

/// What a new user is made of.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub status: UserStatus,
    pub must_change_password: bool,
    pub locale: Option<Locale>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    /// Set only where the mailbox was vouched for explicitly (the CLI's audited
    /// `--mailbox-verified`); everyone else proves it with a link.
    pub mailbox_verified_at: Option<Timestamp>,
}

/// A tenant: one organisation.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub number: AccountNumber,
    pub name: String,
    pub default_locale: Locale,
    pub created_at: Timestamp,
    /// The address its notifications come from; `None` uses the service's sender.
    /// Only an address that confirmed by a link sent to it gets here.
    pub sending_address: Option<EmailAddress>,
    /// An address an administrator chose that has not confirmed yet: it takes
    /// effect once the link sent to it is used.
    pub pending_sending_address: Option<EmailAddress>,
    /// Since when an operator suspended it: no new messages, while its recipients
    /// still open what they have. `None`: active.
    pub suspended_at: Option<Timestamp>,
    /// When an operator deleted it. Only the audit trail still reads a deleted
    /// account; every other look-up passes over it.
    pub deleted_at: Option<Timestamp>,
}

impl Account {
    /// Whether an operator has suspended the account.
    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }
}

/// A group of an account; membership in any group makes a user a member (sender).
#[derive(Debug, Clone)]
pub struct Group {
    pub id: GroupId,
    pub account_id: AccountId,
    /// Stored name; for the built-in group it is a key shown translated.
    pub name: String,
    /// The built-in "Account Administrators" group cannot be deleted or renamed.
    pub builtin: bool,
    pub created_at: Timestamp,
    pub member_count: i64,
}

/// A row of a group's member list.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub added_at: Timestamp,
    pub added_by: Option<UserId>,
}

/// What kind of session a login opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Everything the user may do.
    Full,
    /// Opened with a password someone else set: can only set a new password or log out.
    PasswordChangeOnly,
}

impl SessionKind {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::PasswordChangeOnly => "password_change_only",
        }
    }

    /// Reads the stored value; unknown values give the weaker kind.
    pub fn from_stored(value: &str) -> Self {
        if value == "full" {
            Self::Full
        } else {
            Self::PasswordChangeOnly
        }
    }
}

/// A server-side session. The cookie holds a random id; only its hash is stored.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: UserId,
    /// The synchronizer token every form of this session carries.
    pub csrf_token: String,
    pub kind: SessionKind,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Something that happened, for the audit trail.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub actor: Option<UserId>,
    pub account_id: Option<AccountId>,
    /// Dotted verb such as `group.member_added`.
    pub action: String,
    /// What it happened to, for example the member's address.
    pub target: String,
    /// The client address, when there was one.
    pub ip: Option<String>,
    /// `ok` or `refused`.
    pub outcome: String,
}

/// A page of users, in address order.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<User>,
    /// The address to continue after, when there is a next page.
    pub next_after: Option<String>,
    /// How many users match the query, on every page; counted up to
    /// `services::users::USERS_COUNTED_UP_TO` + 1 (more: "more than").
    pub total: u64,
}

/// Who may appear in a users list.
#[derive(Debug, Clone)]
pub enum UserVisibility {
    /// Operators see everyone.
    All,
    /// Account administrators see the members of these accounts, the recipients of
    /// their messages and the users they created.
    Administrator { accounts: Vec<AccountId>, creator: UserId },
}

/// A query of the users list.
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub visibility: UserVisibility,
    /// Lower-case prefix typed into the search box: of the address, the first
    /// name or the last name (names compared ASCII-case-folded).
    pub prefix: Option<String>,
    pub status: UserStatusFilter,
    /// Continue after this address (keyset pagination).
    pub after: Option<String>,
    pub limit: u32,
}

/// A group the user is in, with its account, for the user page.
#[derive(Debug, Clone)]
pub struct UserGroup {
    pub account_id: AccountId,
    pub account_number: AccountNumber,
    pub account_name: String,
    pub group_id: GroupId,
    /// The stored name (the built-in group's is a key shown translated).
    pub group_name: String,
    pub builtin: bool,
}

/// A lock an account's administrator set: the user may neither send from nor read
/// that account's messages while it holds.
#[derive(Debug, Clone)]
pub struct AccountUserLock {
    pub account_id: AccountId,
    pub account_number: AccountNumber,
    pub account_name: String,
    pub reason: String,
    pub locked_by: Option<EmailAddress>,
    pub locked_at: Timestamp,
}

/// Everything the user page shows about one user.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: User,
    /// Why an operator locked the user (shown to them at login), and who did.
    pub locked_reason: Option<String>,
    pub locked_by: Option<EmailAddress>,
    pub locked_at: Option<Timestamp>,
    /// The client address of the last login.
    pub last_login_ip: Option<String>,
    /// The address of whoever created the user (`None`: the command line, a
    /// registration, or a creator since deleted).
    pub created_by: Option<EmailAddress>,
    pub groups: Vec<UserGroup>,
    pub account_locks: Vec<AccountUserLock>,
}

/// What a locked user is told at login: the reason and whom to contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockNotice {
    pub reason: String,
    /// The address of whoever locked the user.
    pub contact: Option<EmailAddress>,
}

/// Narrows the Users list to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatusFilter {
    Any,
    Only(UserStatus),
}
