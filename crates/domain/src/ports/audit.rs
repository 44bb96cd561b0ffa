//! The audit port: the record of who changed what, and the Audit tab's filtered,
//! paged reading of it.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::AuditEvent;
use crate::types::{AccountId, Timestamp};

/// The actions that record someone reading a message. They outnumber every
/// change by far, so the Audit tab hides them unless asked ([`AuditKind::Views`],
/// [`AuditKind::All`]).
pub const VIEW_ACTIONS: [&str; 2] = ["message.opened", "message.opened_with_secret"];

/// Which events the Audit tab lists: everything but message views (the default),
/// everything, the views alone, or one area (the first word of the action).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditKind {
    /// Every event except [`VIEW_ACTIONS`].
    #[default]
    Changes,
    /// Every event.
    All,
    /// Only [`VIEW_ACTIONS`].
    Views,
    /// Accounts: creation, renaming, settings, keys, suspension.
    Account,
    /// Groups and their members.
    Group,
    /// Messages sent, locked, expired, answered (not their views).
    Message,
    /// Envelope profiles.
    Profile,
    /// Account tokens.
    Token,
    /// The SMTP gateway.
    Gateway,
    /// Users: creation, registration, passwords, mailbox proof.
    User,
    /// Logins.
    Session,
    /// Remembered devices.
    Device,
}

impl AuditKind {
    /// Every kind, in the order the filter offers them.
    pub const EVERY: [AuditKind; 12] = [
        Self::Changes,
        Self::All,
        Self::Views,
        Self::Account,
        Self::Group,
        Self::Message,
        Self::Profile,
        Self::Token,
        Self::Gateway,
        Self::User,
        Self::Session,
        Self::Device,
    ];

    /// The name in URLs (`?kind=`) and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Changes => "changes",
            Self::All => "all",
            Self::Views => "views",
            Self::Account => "account",
            Self::Group => "group",
            Self::Message => "message",
            Self::Profile => "profile",
            Self::Token => "token",
            Self::Gateway => "gateway",
            Self::User => "user",
            Self::Session => "session",
            Self::Device => "device",
        }
    }

    /// The kind named in a URL; anything unknown (or nothing) is the default.
    pub fn parse(raw: &str) -> Self {
        Self::EVERY.into_iter().find(|k| k.as_str() == raw).unwrap_or_default()
    }

    /// The action prefix (`group.`) of an area kind; `None` for the others.
    pub fn area(self) -> Option<&'static str> {
        match self {
            Self::Changes | Self::All | Self::Views => None,
            Self::Account => Some("account."),
            Self::Group => Some("group."),
            Self::Message => Some("message."),
            Self::Profile => Some("profile."),
            Self::Token => Some("token."),
            Self::Gateway => Some("gateway."),
            Self::User => Some("user."),
            Self::Session => Some("session."),
            Self::Device => Some("device."),
        }
    }
}

/// Where an event sits in the Audit tab's order (newest first: time, then id):
/// the cursor of a page link, so a deep page costs what the first one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPosition {
    pub at: Timestamp,
    pub id: i64,
}

/// Which page of the filtered events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditPageAt {
    /// The newest events.
    #[default]
    First,
    /// The events just older than this one.
    OlderThan(AuditPosition),
    /// The events just newer than this one.
    NewerThan(AuditPosition),
}

/// A filter over one account's events, and the page wanted.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Part of the acting user's address, lower-case; empty for anyone.
    pub who: String,
    pub kind: AuditKind,
    /// Events at or after this instant.
    pub from: Option<Timestamp>,
    /// Events before this instant.
    pub until: Option<Timestamp>,
    pub page: AuditPageAt,
    pub limit: u32,
}

/// An event as the Audit tab shows it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub position: AuditPosition,
    pub event: AuditEvent,
    /// The acting user's address, when there was one and it is still known.
    pub who: Option<String>,
}

/// One page of filtered events, newest first, with how many match (up to a cap).
#[derive(Debug, Clone, Default)]
pub struct AuditListing {
    pub entries: Vec<AuditEntry>,
    /// How many events match, counted up to
    /// `services::audit::AUDIT_COUNTED_UP_TO` + 1 (more: "more than").
    pub total: u64,
    /// The cursor for the newer page, when there are newer matching events.
    pub newer: Option<AuditPosition>,
    /// The cursor for the older page, when there are older matching events.
    pub older: Option<AuditPosition>,
}

/// Audit events that are not written together with another change.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event that is not part of another change (logins, refusals).
    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()>;
    /// The newest events of an account (or of the whole service), newest first.
    async fn list_audit(&self, account: Option<AccountId>, limit: u32) -> StoreResult<Vec<AuditEvent>>;
    /// One page of an account's events matching `query`, and the total.
    async fn search_audit(&self, account: AccountId, query: &AuditQuery) -> StoreResult<AuditListing>;
}
