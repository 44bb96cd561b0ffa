//! The message lists' search: an account's messages (the Messages tab), or one
//! person's sent or received messages (Sent, Inbox), filtered by who and when and
//! how they stand, a page at a time from a cursor, with the total.

use async_trait::async_trait;

use super::StoreResult;
use crate::messages::{Message, MessageId};
use crate::types::{AccountId, EmailAddress, Timestamp, UserId};

/// Whose messages a search reads: the only rows it can ever return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOwner {
    /// Every message of an account (its administrators' view).
    Account(AccountId),
    /// The messages a user sent.
    Sender(UserId),
    /// The messages addressed to an address.
    Recipient(EmailAddress),
}

/// How a message stands, as the Messages tab filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageState {
    /// Every message.
    #[default]
    Any,
    /// Readable: neither locked nor expired nor destroyed.
    Open,
    /// Locked by its sender or an administrator.
    Locked,
    /// Past its expiry, or its key destroyed.
    Expired,
}

impl MessageState {
    /// Every state, in the order the filter offers them.
    pub const EVERY: [MessageState; 4] = [Self::Any, Self::Open, Self::Locked, Self::Expired];

    /// The name in URLs (`?state=`) and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Open => "open",
            Self::Locked => "locked",
            Self::Expired => "expired",
        }
    }

    /// The state a URL names, if any.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::EVERY.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What to look for. Texts are lower-case parts of addresses (empty: any);
/// times bound the sending time, `until` excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFilter {
    /// Part of the sender's address.
    pub sender: String,
    /// Part of a recipient's address.
    pub recipient: String,
    /// Part of the sender's or a recipient's address (the mailboxes' one field).
    pub party: String,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub state: MessageState,
    /// The instant expiry is judged at.
    pub now: Timestamp,
}

impl Default for MessageFilter {
    fn default() -> Self {
        Self {
            sender: String::new(),
            recipient: String::new(),
            party: String::new(),
            from: None,
            until: None,
            state: MessageState::Any,
            now: Timestamp(0),
        }
    }
}

impl MessageFilter {
    /// Whether the filter lets every message through.
    pub fn is_empty(&self) -> bool {
        self.sender.is_empty()
            && self.recipient.is_empty()
            && self.party.is_empty()
            && self.from.is_none()
            && self.until.is_none()
            && self.state == MessageState::Any
    }
}

/// One page of a search.
#[derive(Debug, Clone)]
pub struct MessagePage {
    /// Newest first.
    pub messages: Vec<Message>,
    /// How many messages match in all.
    pub total: u64,
    /// Whether older messages match beyond this page.
    pub more: bool,
}

/// The search over messages.
#[async_trait]
pub trait MessageSearchStore: Send + Sync {
    /// The `owner`'s messages matching `filter`, newest first, older than
    /// `before` (if given), at most `limit`, with the total and whether more follow.
    async fn search_messages(
        &self,
        owner: &MessageOwner,
        filter: &MessageFilter,
        before: Option<MessageId>,
        limit: u32,
    ) -> StoreResult<MessagePage>;
}
