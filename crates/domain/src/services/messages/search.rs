//! The message lists with filters: the Messages tab (sender, recipient, dates,
//! state) and the mailboxes' search (`?q=`: the subject, the sender or a
//! recipient), a page at a time with the total.

use super::*;
use crate::messages::MessageId;
use crate::ports::{MessageFilter, MessageOwner};

/// The longest part of an address a filter field takes (an address's length).
pub const FILTER_MAX_CHARS: usize = 254;
/// How many of a mailbox's newest messages a subject search reads (subjects are
/// sealed: each one is opened to be compared).
pub const SUBJECT_SEARCH_MAX: usize = 2_000;
/// Messages read per round of a subject search.
const SUBJECT_BATCH: u32 = 200;

/// A page of a filtered list.
#[derive(Debug, Clone)]
pub struct MessageListing {
    pub summaries: Vec<MessageSummary>,
    /// How many messages match in all (for a subject search: among the
    /// [`SUBJECT_SEARCH_MAX`] newest).
    pub total: u64,
    /// The cursor of the next (older) page, when there is one.
    pub next_before: Option<MessageId>,
    /// A subject search stopped at [`SUBJECT_SEARCH_MAX`] messages.
    pub cut: bool,
}

/// What a filter field compares: trimmed, lower-case (addresses are stored so),
/// without control characters (PostgreSQL refuses a NUL), at most
/// [`FILTER_MAX_CHARS`].
pub fn clean_filter_text(raw: &str) -> String {
    let kept: String = raw.chars().filter(|c| !c.is_control()).collect();
    kept.trim()
        .chars()
        .take(FILTER_MAX_CHARS)
        .collect::<String>()
        .to_lowercase()
}

impl Services {
    /// A page of the scope's account's messages matching `filter`, newest first,
    /// with the total. The scope is the only account read.
    pub async fn search_account_messages(
        &self,
        scope: &crate::policy::AccountScope,
        mut filter: MessageFilter,
        before: Option<MessageId>,
    ) -> Result<MessageListing, DomainError> {
        filter.sender = clean_filter_text(&filter.sender);
        filter.recipient = clean_filter_text(&filter.recipient);
        filter.party = clean_filter_text(&filter.party);
        filter.now = self.clock.now();
        let page = self
            .store
            .search_messages(
                &MessageOwner::Account(scope.account.id),
                &filter,
                before,
                MESSAGES_PER_PAGE,
            )
            .await?;
        let next_before = page.more.then(|| page.messages.last().map(|m| m.id)).flatten();
        Ok(MessageListing {
            summaries: self.summaries(page.messages, false).await?,
            total: page.total,
            next_before,
            cut: false,
        })
    }

    /// Sent (`sent`) or Inbox: a page of the actor's messages whose subject,
    /// sender or a recipient contains `q` (all of them when `q` is empty).
    pub async fn search_mailbox(
        &self,
        actor: &Actor,
        sent: bool,
        q: &str,
        before: Option<MessageId>,
    ) -> Result<MessageListing, DomainError> {
        // Not even who wrote and when, before the mailbox is proven.
        if !sent && !actor.user.mailbox_proven() {
            return Ok(MessageListing {
                summaries: Vec::new(),
                total: 0,
                next_before: None,
                cut: false,
            });
        }
        let owner = if sent {
            MessageOwner::Sender(actor.id())
        } else {
            MessageOwner::Recipient(actor.user.email.clone())
        };
        let q = clean_filter_text(q);
        if q.is_empty() {
            let page = self
                .store
                .search_messages(&owner, &MessageFilter::default(), before, MESSAGES_PER_PAGE)
                .await?;
            let next_before = page.more.then(|| page.messages.last().map(|m| m.id)).flatten();
            return Ok(MessageListing {
                summaries: self.summaries(page.messages, true).await?,
                total: page.total,
                next_before,
                cut: false,
            });
        }
        self.search_subjects(&owner, &q, before).await
    }

    /// Reads the owner's newest messages (up to [`SUBJECT_SEARCH_MAX`]), opening
    /// each subject, and keeps those whose subject or addresses contain `q`: the
    /// page after `before` and the count of all matches read.
    async fn search_subjects(
        &self,
        owner: &MessageOwner,
        q: &str,
        before: Option<MessageId>,
    ) -> Result<MessageListing, DomainError> {
        let wanted = usize::try_from(MESSAGES_PER_PAGE).unwrap_or(50);
        let mut cursor: Option<MessageId> = None;
        let mut read = 0_usize;
        let mut total = 0_u64;
        let mut page = Vec::new();
        let mut next_before = None;
        let mut cut = false;
        loop {
            let batch = self
                .store
                .search_messages(owner, &MessageFilter::default(), cursor, SUBJECT_BATCH)
                .await?;
            let more = batch.more;
            let summaries = self.summaries(batch.messages, true).await?;
            for summary in summaries {
                read += 1;
                cursor = Some(summary.message.id);
                if !matches(&summary, q) {
                    continue;
                }
                total += 1;
                let on_page = before.is_none_or(|b| summary.message.id < b);
                if on_page && page.len() < wanted {
                    page.push(summary);
                } else if on_page && next_before.is_none() {
                    next_before = page.last().map(|s: &MessageSummary| s.message.id);
                }
            }
            if !more {
                break;
            }
            if read >= SUBJECT_SEARCH_MAX {
                cut = true;
                break;
            }
        }
        Ok(MessageListing {
            summaries: page,
            total,
            next_before,
            cut,
        })
    }
}

/// Whether `q` (lower-case) is in the subject, the sender's or a recipient's address.
fn matches(summary: &MessageSummary, q: &str) -> bool {
    summary.subject.as_deref().is_some_and(|s| s.to_lowercase().contains(q))
        || summary.message.sender_email.as_str().contains(q)
        || summary.recipients.iter().any(|r| r.email.as_str().contains(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_text_is_trimmed_lowered_bounded_and_free_of_controls() {
        assert_eq!(clean_filter_text("  Alice@Example.COM \u{0}"), "alice@example.com");
        assert_eq!(clean_filter_text(&"x".repeat(10_000)).len(), FILTER_MAX_CHARS);
    }
}
