//! `MessageSearchStore`: the message lists' filters as one `WHERE` built from
//! fixed fragments and numbered parameters (no input is ever SQL text), walked
//! newest first from an id cursor, with the total counted under the same filter.
//!
//! An account's list reads the `messages_account` index; Sent reads
//! `messages_sender`; Inbox starts from `message_recipients_email`. Address parts
//! match with `LIKE` after escaping `%`, `_` and `!`.

use async_trait::async_trait;
use sealpost_domain::messages::MessageId;
use sealpost_domain::ports::{MessageFilter, MessageOwner, MessagePage, MessageSearchStore, MessageState, StoreResult};

use crate::messages::{MESSAGE_COLUMNS, MESSAGES_WITH_SENDER, messages_from_rows};
use crate::params::{Params, containing};
use crate::statements::Fetch;
use crate::{SqlStore, limit};

/// The `WHERE` of a search over `messages m` (joined to its sender `u`).
fn conditions(owner: &MessageOwner, filter: &MessageFilter) -> (String, Params) {
    let mut sql: Vec<String> = Vec::new();
    let mut params = Params::default();
    match owner {
        MessageOwner::Account(account) => {
            let p = params.int(account.0);
            sql.push(format!("m.account_id = {p}"));
        }
        MessageOwner::Sender(user) => {
            let p = params.int(user.0);
            sql.push(format!("m.sender_id = {p}"));
        }
        MessageOwner::Recipient(email) => {
            let p = params.text(email.as_str());
            sql.push(format!(
                "EXISTS (SELECT 1 FROM message_recipients o WHERE o.message_id = m.id AND o.email = {p})"
            ));
        }
    }
    if !filter.sender.is_empty() {
        let p = params.text(containing(&filter.sender));
        sql.push(format!("u.email LIKE {p} ESCAPE '!'"));
    }
    if !filter.recipient.is_empty() {
        let p = params.text(containing(&filter.recipient));
        sql.push(format!(
            "EXISTS (SELECT 1 FROM message_recipients f WHERE f.message_id = m.id AND f.email LIKE {p} ESCAPE '!')"
        ));
    }
    if !filter.party.is_empty() {
        let p = params.text(containing(&filter.party));
        sql.push(format!(
            "(u.email LIKE {p} ESCAPE '!' OR EXISTS (SELECT 1 FROM message_recipients f \
             WHERE f.message_id = m.id AND f.email LIKE {p} ESCAPE '!'))"
        ));
    }
    if let Some(from) = filter.from {
        let p = params.int(from.0);
        sql.push(format!("m.created_at >= {p}"));
    }
    if let Some(until) = filter.until {
        let p = params.int(until.0);
        sql.push(format!("m.created_at < {p}"));
    }
    match filter.state {
        MessageState::Any => {}
        MessageState::Locked => sql.push("m.locked_at IS NOT NULL".to_owned()),
        MessageState::Open => {
            let p = params.int(filter.now.0);
            sql.push(format!(
                "m.locked_at IS NULL AND m.wrapped_dek IS NOT NULL AND (m.expires_at IS NULL OR m.expires_at > {p})"
            ));
        }
        MessageState::Expired => {
            let p = params.int(filter.now.0);
            sql.push(format!("(m.wrapped_dek IS NULL OR m.expires_at <= {p})"));
        }
    }
    (sql.join(" AND "), params)
}

#[async_trait]
impl MessageSearchStore for SqlStore {
    async fn search_messages(
        &self,
        owner: &MessageOwner,
        filter: &MessageFilter,
        before: Option<MessageId>,
        page: u32,
    ) -> StoreResult<MessagePage> {
        self.watched(async {
            let (filter_sql, mut params) = conditions(owner, filter);
            let count_sql = format!("SELECT COUNT(*) FROM {MESSAGES_WITH_SENDER} WHERE {filter_sql}");
            let total = params
                .bind(sqlx::query_scalar::<_, i64>(&count_sql))
                .one(&self.pool)
                .await?;
            let wanted = page.max(1);
            let before_at = params.int(before.map_or(i64::MAX, |id| id.0));
            let limit_at = params.int(limit(wanted) + 1);
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM {MESSAGES_WITH_SENDER} WHERE {filter_sql} AND m.id < {before_at} \
                 ORDER BY m.id DESC LIMIT {limit_at}"
            );
            let rows = params.bind(sqlx::query(&sql)).all(&self.pool).await?;
            let mut messages = messages_from_rows(&rows)?;
            let more = messages.len() > wanted as usize;
            messages.truncate(wanted as usize);
            Ok(MessagePage {
                messages,
                total: u64::try_from(total).unwrap_or(0),
                more,
            })
        })
        .await
    }
}
