//! Secure messages: account keys, message rows with their recipients, the lists of
//! sent, received and account messages, opening, locking, expiry and shredding.
//!
//! Only sealed bytes and wrapped keys are stored (see `sealpost_domain::messages`).
//! A message, its recipients, its notifications and its audit event commit in one
//! transaction ([`MessageStore::insert_message`]), so a notification never announces a message
//! that was not stored, and no stored message misses its notifications.
//!
//! Lists are keyset pages, newest first: `id < before ORDER BY id DESC LIMIT n`,
//! answered from the indexes `messages (sender_id, id DESC)`, `messages (account_id,
//! id DESC)` and `message_recipients (email, message_id)`, so the thousandth page
//! costs what the first does.

use std::sync::LazyLock;

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{
    DeliveryMode, Message, MessageId, MessageOptions, NewMessage, NewOutboxItem, PublicId, Recipient, RecipientKind,
};
use sealpost_domain::model::{AuditEvent, User};
use sealpost_domain::ports::{MessageStore, MessageToOpen, StoreResult};
use sealpost_domain::profiles::{ProfileId, SecurityLevel};
use sealpost_domain::types::{AccountId, EmailAddress, Timestamp, UserId};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::columns::{Columns, from_rows};
use crate::statements::{Fetch, Run};
use crate::users::{SENDER_COLUMNS, sender_from_row};
use crate::{SqlStore, db_error, limit, touched};

/// The columns [`message_from_row`] reads, for queries that alias `messages` as `m`
/// and join the sender as `u` (`JOIN users u ON u.id = m.sender_id`).
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.public_id, m.account_id, m.sender_id, u.email AS sender_email, \
     m.created_at, m.expires_at, m.locked_at, m.lock_reason, m.options, m.mode, m.wrapped_dek, \
     m.key_version, m.sealed_subject, m.part_count, m.payload_len, m.in_reply_to, m.profile_id, m.security_level";

/// `messages m` with its sender, for every query that reads [`MESSAGE_COLUMNS`].
pub(crate) const MESSAGES_WITH_SENDER: &str = "messages m JOIN users u ON u.id = m.sender_id";

/// To before Cc, each in the order the sender gave them (`message_recipients r`).
const RECIPIENT_ORDER: &str = "CASE r.kind WHEN 'to' THEN 0 ELSE 1 END, r.position";

/// One recipient (`message_recipients r`) as text, for `string_agg` with `' '`
/// between recipients: kind, address, opened and notified times (`-` for none),
/// then the delivery error as `-` or `<length in characters>:<text>`, so that
/// whatever the error says, [`recipients_from_list`] knows where it ends. Kinds and
/// addresses hold no space (addresses are checked when stored).
const RECIPIENT_LIST: &str = "r.kind || ' ' || r.email \
     || ' ' || COALESCE(CAST(r.opened_at AS TEXT), '-') || ' ' || COALESCE(CAST(r.notified_at AS TEXT), '-') \
     || ' ' || CASE WHEN r.delivery_error IS NULL THEN '-' \
     ELSE CAST(LENGTH(r.delivery_error) AS TEXT) || ':' || r.delivery_error END";

/// Reads the recipients [`RECIPIENT_LIST`] folded into one text; `None` when the
/// text does not read as such a list.
fn recipients_from_list(list: &str) -> Option<Vec<Recipient>> {
    fn field<'a>(rest: &mut &'a str) -> Option<&'a str> {
        let (field, after) = rest.split_once(' ')?;
        *rest = after;
        Some(field)
    }
    fn time(field: &str) -> Option<Option<Timestamp>> {
        match field {
            "-" => Some(None),
            digits => digits.parse().ok().map(|t| Some(Timestamp(t))),
        }
    }
    let mut rest = list;
    let mut recipients = Vec::new();
    loop {
        let kind = RecipientKind::from_stored(field(&mut rest)?);
        let email = EmailAddress::from_trusted(field(&mut rest)?.to_owned());
        let opened_at = time(field(&mut rest)?)?;
        let notified_at = time(field(&mut rest)?)?;
        let delivery_error = match rest.strip_prefix('-') {
            Some(after) => {
                rest = after;
                None
            }
            None => {
                let (length, after) = rest.split_once(':')?;
                let length: usize = length.parse().ok()?;
                let end = after.char_indices().nth(length).map_or(after.len(), |(i, _)| i);
                let error = after.get(..end)?;
                if error.chars().count() != length {
                    return None;
                }
                rest = after.get(end..)?;
                Some(error.to_owned())
            }
        };
        recipients.push(Recipient {
            email,
            kind,
            opened_at,
            notified_at,
            delivery_error,
        });
        if rest.is_empty() {
            return Some(recipients);
        }
        rest = rest.strip_prefix(' ')?;
    }
}

/// Builds a [`Recipient`] from a row with the columns `email`, `kind`,
/// `opened_at`, `notified_at` and `delivery_error`.
fn recipient_from_row(row: &impl Columns) -> Result<Recipient, sqlx::Error> {
    Ok(Recipient {
        email: EmailAddress::from_trusted(row.cell("email")?),
        kind: RecipientKind::from_stored(row.cell_str("kind")?),
        opened_at: row.cell::<Option<i64>>("opened_at")?.map(Timestamp),
        notified_at: row.cell::<Option<i64>>("notified_at")?.map(Timestamp),
        delivery_error: row.cell("delivery_error")?,
    })
}

/// Reads a stored public id: exactly 16 bytes (the schema checks it on insert).
pub(crate) fn public_id_from_row(row: &impl Columns, column: &str) -> Result<PublicId, sqlx::Error> {
    let bytes: Vec<u8> = row.cell(column)?;
    let array: [u8; 16] = bytes.try_into().map_err(|bytes: Vec<u8>| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("a public id has 16 bytes, the stored one {}", bytes.len()).into(),
    })?;
    Ok(PublicId(array))
}

/// The `public_id` column of each row: the messages a purge, shred or deletion
/// (`… RETURNING public_id`) reached, whose blobs the caller deletes next.
pub(crate) fn public_ids(rows: &[AnyRow]) -> StoreResult<Vec<PublicId>> {
    from_rows(rows, |row| public_id_from_row(row, "public_id"))
}

/// Builds a [`Message`] from a row holding [`MESSAGE_COLUMNS`].
fn message_from_row(row: &impl Columns) -> Result<Message, sqlx::Error> {
    Ok(Message {
        id: MessageId(row.cell("id")?),
        public_id: public_id_from_row(row, "public_id")?,
        account_id: AccountId(row.cell("account_id")?),
        sender_id: UserId(row.cell("sender_id")?),
        sender_email: EmailAddress::from_trusted(row.cell("sender_email")?),
        created_at: Timestamp(row.cell("created_at")?),
        expires_at: row.cell::<Option<i64>>("expires_at")?.map(Timestamp),
        locked_at: row.cell::<Option<i64>>("locked_at")?.map(Timestamp),
        lock_reason: row.cell("lock_reason")?,
        options: MessageOptions::from_bits(row.cell("options")?),
        mode: DeliveryMode::from_stored(row.cell_str("mode")?),
        wrapped_dek: row.cell("wrapped_dek")?,
        key_version: row.cell("key_version")?,
        sealed_subject: row.cell("sealed_subject")?,
        part_count: row.cell("part_count")?,
        payload_len: row.cell("payload_len")?,
        in_reply_to: row.cell::<Option<i64>>("in_reply_to")?.map(MessageId),
        profile_id: row.cell::<Option<i64>>("profile_id")?.map(ProfileId),
        security: SecurityLevel::from_stored(row.cell::<Option<String>>("security_level")?.as_deref()),
        sealed_parts: None,
    })
}

/// Maps rows holding [`MESSAGE_COLUMNS`] to messages.
pub(crate) fn messages_from_rows(rows: &[AnyRow]) -> StoreResult<Vec<Message>> {
    from_rows(rows, message_from_row)
}

/// The keyset bound of a list: before `before`, or from the newest message.
fn before_bound(before: Option<MessageId>) -> i64 {
    before.map_or(i64::MAX, |id| id.0)
}

/// The query of a message to read (`$1` its public id): the message (with its
/// content part when the row keeps it) joined with its sender, its recipients
/// folded into one column ([`RECIPIENT_LIST`]) in [`RECIPIENT_ORDER`].
static MESSAGE_TO_READ: LazyLock<String> = LazyLock::new(|| message_query(true, ""));

/// [`MESSAGE_TO_READ`] for a viewer (`$2` their user id), with whether they are
/// locked out of the message's account.
static MESSAGE_TO_OPEN: LazyLock<String> = LazyLock::new(|| message_query(true, VIEWER_LOCKED));

/// [`MESSAGE_TO_OPEN`] without its recipients, which [`RECIPIENTS_IN_ORDER`] reads
/// as rows: on the calling thread ([`crate::readers`]) a row costs no hand-off,
/// and the folded list cost SQLite a sort table, casts and concatenations, then a
/// parse, at every view.
static MESSAGE_TO_OPEN_ALONE: LazyLock<String> = LazyLock::new(|| message_query(false, VIEWER_LOCKED));

/// The recipients of a message (`$1` its id), in [`RECIPIENT_ORDER`].
static RECIPIENTS_IN_ORDER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT email, kind, opened_at, notified_at, delivery_error FROM message_recipients r \
         WHERE message_id = $1 ORDER BY {RECIPIENT_ORDER}"
    )
});

/// The column `viewer_locked`: whether the viewer (`$2`) is locked out of the
/// message's account.
const VIEWER_LOCKED: &str = ", EXISTS (SELECT 1 FROM account_user_locks l WHERE l.account_id = m.account_id AND l.user_id = $2) AS viewer_locked";

/// The message query: with `recipient_list` ([`RECIPIENT_LIST`] folded in
/// [`RECIPIENT_ORDER`]) or without, then `more_columns`.
fn message_query(with_recipient_list: bool, more_columns: &str) -> String {
    let recipient_list = if with_recipient_list {
        format!(
            ", (SELECT string_agg({RECIPIENT_LIST}, ' ' ORDER BY {RECIPIENT_ORDER}) \
             FROM message_recipients r WHERE r.message_id = m.id) AS recipient_list"
        )
    } else {
        String::new()
    };
    format!(
        "SELECT {MESSAGE_COLUMNS}, {SENDER_COLUMNS}, m.sealed_parts{recipient_list}{more_columns} \
         FROM {MESSAGES_WITH_SENDER} WHERE m.public_id = $1"
    )
}

impl SqlStore {
    /// A message to read with its recipients and sender, in one query; for a
    /// `viewer`, also whether they are locked out of its account. On SQLite, a
    /// viewer's read (a page view) is answered on the calling thread
    /// ([`crate::readers`]) in two statements, the recipients read as rows after
    /// the message.
    async fn read_message(&self, public_id: &PublicId, viewer: Option<UserId>) -> StoreResult<MessageToOpen> {
        fn read(row: &impl Columns, viewer: bool) -> Result<(Message, User, bool), sqlx::Error> {
            let mut message = message_from_row(row)?;
            message.sealed_parts = row.cell("sealed_parts")?;
            let locked = viewer && row.cell_flag("viewer_locked")?;
            Ok((message, sender_from_row(row)?, locked))
        }
        if let (Some(viewer), Some(readers)) = (viewer, &self.readers) {
            // Two statements in one read transaction: one snapshot of the database,
            // so a message deleted meanwhile is seen whole or not at all.
            let here = readers.read(|connection| {
                let snapshot = connection.unchecked_transaction()?;
                let params = rusqlite::named_params! { "$1": public_id.0.as_slice(), "$2": viewer.0 };
                let (message, sender, viewer_locked) =
                    crate::readers::first_row(connection, &MESSAGE_TO_OPEN_ALONE, params, |row| read(row, true))?
                        .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                let recipients = crate::readers::all_rows(
                    connection,
                    &RECIPIENTS_IN_ORDER,
                    rusqlite::named_params! { "$1": message.id.0 },
                    |row| recipient_from_row(row),
                )?;
                snapshot.commit()?;
                Ok(MessageToOpen {
                    message,
                    recipients,
                    sender,
                    viewer_locked,
                })
            });
            if let Some(answer) = here {
                return answer;
            }
        }
        let sql = match viewer {
            Some(_) => &*MESSAGE_TO_OPEN,
            None => &*MESSAGE_TO_READ,
        };
        let mut query = sqlx::query(sql).bind(public_id.0.to_vec());
        if let Some(viewer) = viewer {
            query = query.bind(viewer.0);
        }
        let row = query.optional(&self.pool).await?.ok_or(DomainError::NotFound)?;
        let (message, sender, viewer_locked) = read(&row, viewer.is_some()).map_err(db_error)?;
        let list: Option<String> = row.col("recipient_list")?;
        let recipients = match list.as_deref().map_or(Some(Vec::new()), recipients_from_list) {
            Some(recipients) => recipients,
            None => self.recipients(message.id).await?,
        };
        Ok(MessageToOpen {
            message,
            recipients,
            sender,
            viewer_locked,
        })
    }
}

#[async_trait]
impl MessageStore for SqlStore {
    /// The message row, its recipients (numbered in the order given), every outbox row
    /// and the audit events, in one transaction, which messages sent at the same time
    /// share (group commit, [`crate::sends`]): one sync for all of them.
    ///
    /// The outbox rows given here belong to the new message, whose id the caller cannot
    /// know yet: each is stored with `message_id` set to it, whatever `message` says.
    /// The audit event's `account_id`, when left empty, is the message's account.
    /// Errors: `Conflict { field: "public_id" }` for a public id already taken,
    /// `Conflict { field: "recipient" }` for an address listed twice, `NotFound` for an
    /// unknown account or sender. Any error leaves nothing behind.
    async fn insert_message(
        &self,
        message: NewMessage,
        notifications: Vec<NewOutboxItem>,
        mut event: AuditEvent,
    ) -> StoreResult<Message> {
        event.account_id = event.account_id.or(Some(message.account_id));
        let send = crate::sends::Send {
            message,
            notifications,
            event,
        };
        self.watched(crate::sends::store(self, send)).await
    }

    /// `NotFound` when no message has this public id.
    async fn message(&self, public_id: &PublicId) -> StoreResult<Message> {
        self.watched(async {
            let mut conn = self.pool.acquire().await.map_err(db_error)?;
            fetch_message(&mut conn, "m.public_id = $1", |q| q.bind(public_id.0.to_vec())).await
        })
        .await
    }

    /// `NotFound` when no message has this id.
    async fn message_by_id(&self, id: MessageId) -> StoreResult<Message> {
        self.watched(async {
            let mut conn = self.pool.acquire().await.map_err(db_error)?;
            fetch_message(&mut conn, "m.id = $1", |q| q.bind(id.0)).await
        })
        .await
    }

    /// One query, one row: the message (with its content part when the row keeps
    /// it) joined with its sender, its recipients
    /// folded into one column ([`RECIPIENT_LIST`]) in [`RECIPIENT_ORDER`]. A row
    /// per recipient would repeat the message's columns for each, and every value
    /// of a row is copied and converted: for a message to 30 people that was most
    /// of the read's cost. Should the folded list not decode (a delivery error
    /// holding a NUL, which SQLite's `length` stops at), the recipients are read
    /// as rows instead.
    async fn message_to_read(&self, public_id: &PublicId) -> StoreResult<(Message, Vec<Recipient>, User)> {
        let read = self.watched(self.read_message(public_id, None)).await?;
        Ok((read.message, read.recipients, read.sender))
    }

    async fn message_to_open(&self, public_id: &PublicId, viewer: UserId) -> StoreResult<MessageToOpen> {
        self.watched(self.read_message(public_id, Some(viewer))).await
    }

    /// To before Cc, each in the order the sender gave them. An unknown message has none.
    async fn recipients(&self, message: MessageId) -> StoreResult<Vec<Recipient>> {
        self.watched(async {
            let rows = sqlx::query(&RECIPIENTS_IN_ORDER)
                .bind(message.0)
                .all(&self.pool)
                .await?;
            from_rows(&rows, recipient_from_row)
        })
        .await
    }

    /// A sender's messages, newest first, before `before`.
    async fn sent_messages(&self, sender: UserId, before: Option<MessageId>, page: u32) -> StoreResult<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGES_WITH_SENDER} WHERE m.sender_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
        );
        self.watched(message_page(self, &sql, |q| q.bind(sender.0), before, page))
            .await
    }

    /// The messages addressed (To or Cc) to `email`, newest first, before `before`.
    async fn received_messages(
        &self,
        email: &EmailAddress,
        before: Option<MessageId>,
        page: u32,
    ) -> StoreResult<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM message_recipients r \
             JOIN messages m ON m.id = r.message_id JOIN users u ON u.id = m.sender_id \
             WHERE r.email = $1 AND r.message_id < $2 ORDER BY r.message_id DESC LIMIT $3"
        );
        self.watched(message_page(
            self,
            &sql,
            |q| q.bind(email.as_str().to_owned()),
            before,
            page,
        ))
        .await
    }

    /// The messages sent from an account, newest first, before `before`.
    async fn account_messages(
        &self,
        account: AccountId,
        before: Option<MessageId>,
        page: u32,
    ) -> StoreResult<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGES_WITH_SENDER} WHERE m.account_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
        );
        self.watched(message_page(self, &sql, |q| q.bind(account.0), before, page))
            .await
    }

    /// Sets `opened_at` only where it is still empty: the statement's row count says
    /// whether this is the first opening, also when two openings race. Only then is
    /// `receipt` queued; the audit event is written every time. An address that is not a
    /// recipient (the sender looking at their own message) changes nothing and answers
    /// `false`; an unknown message is `NotFound`.
    async fn mark_opened(
        &self,
        message: MessageId,
        email: &EmailAddress,
        at: Timestamp,
        receipt: Option<NewOutboxItem>,
        event: AuditEvent,
    ) -> StoreResult<bool> {
        // Batched with the views recorded beside it (group commit, see `views`).
        let view = crate::views::View {
            message,
            email: email.clone(),
            at,
            receipt,
            event,
        };
        self.watched(crate::views::record(self, view)).await
    }

    /// Locks with when and why, or unlocks (clearing both).
    async fn set_lock(
        &self,
        message: MessageId,
        lock: Option<(Timestamp, String)>,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            let (at, reason) = lock.map_or((None, None), |(at, reason)| (Some(at.0), Some(reason)));
            update_message(
                self,
                "UPDATE messages SET locked_at = $2, lock_reason = $3 WHERE id = $1",
                message,
                |q| q.bind(at).bind(reason),
                &event,
            )
            .await
        })
        .await
    }

    /// Sets, moves or removes the expiration.
    async fn set_expiry(
        &self,
        message: MessageId,
        expires_at: Option<Timestamp>,
        event: AuditEvent,
    ) -> StoreResult<()> {
        self.watched(async {
            update_message(
                self,
                "UPDATE messages SET expires_at = $2 WHERE id = $1",
                message,
                |q| q.bind(expires_at.map(|t| t.0)),
                &event,
            )
            .await
        })
        .await
    }
}

/// A keyset page of a list: `sql` reads [`MESSAGE_COLUMNS`] with its key as `$1`
/// (bound by `bind`), the bound as `$2` and the page size as `$3`.
async fn message_page(
    store: &SqlStore,
    sql: &str,
    bind: impl for<'q> FnOnce(crate::AnyQuery<'q>) -> crate::AnyQuery<'q>,
    before: Option<MessageId>,
    page: u32,
) -> StoreResult<Vec<Message>> {
    let rows = bind(sqlx::query(sql))
        .bind(before_bound(before))
        .bind(limit(page))
        .all(&store.pool)
        .await?;
    messages_from_rows(&rows)
}

/// One message matching `condition` (on `m`), read on `conn`; `NotFound` if none.
pub(crate) async fn fetch_message(
    conn: &mut AnyConnection,
    condition: &str,
    bind: impl for<'q> FnOnce(crate::AnyQuery<'q>) -> crate::AnyQuery<'q>,
) -> StoreResult<Message> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM {MESSAGES_WITH_SENDER} WHERE {condition}");
    let row = bind(sqlx::query(&sql)).one(conn).await?;
    message_from_row(&row).map_err(db_error)
}

/// Runs `UPDATE messages … WHERE id = $1` and the audit event together; `NotFound`
/// (and nothing written) when no message has the id.
async fn update_message(
    store: &SqlStore,
    sql: &str,
    message: MessageId,
    bind: impl for<'q> FnOnce(crate::AnyQuery<'q>) -> crate::AnyQuery<'q>,
    event: &AuditEvent,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let updated = bind(sqlx::query(sql).bind(message.0)).run(&mut *tx).await?;
    touched(&updated)?;
    tx.commit_audited(event).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folded_recipient_list_reads_back_whatever_its_delivery_errors_say() {
        let list = "to a@x.example 1700000000000 - - cc b@y.example - 1700000000001 12:550 5.1.1 ü: \
                    bcc c@z.example - - 0:";
        let read = recipients_from_list(list).unwrap_or_default();
        let shown: Vec<_> = read
            .iter()
            .map(|r| {
                (
                    r.kind,
                    r.email.as_str(),
                    r.opened_at,
                    r.notified_at,
                    r.delivery_error.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    RecipientKind::To,
                    "a@x.example",
                    Some(Timestamp(1_700_000_000_000)),
                    None,
                    None
                ),
                (
                    RecipientKind::Cc,
                    "b@y.example",
                    None,
                    Some(Timestamp(1_700_000_000_001)),
                    Some("550 5.1.1 ü:")
                ),
                (RecipientKind::Bcc, "c@z.example", None, None, Some("")),
            ]
        );
    }

    #[test]
    fn a_list_that_does_not_read_is_refused_not_guessed() {
        for broken in [
            "",
            "to a@x.example 1 -",
            "to a@x.example x - -",
            "to a@x.example - - 9:short",
            "to a@x.example - - - x",
        ] {
            assert!(recipients_from_list(broken).is_none(), "{broken:?}");
        }
    }
}
