//! The outbox: a durable queue of rendered emails (DESIGN §7).
//!
//! Rows are written in the transaction of the change that causes them
//! ([`insert_item`]), so a crash never loses or invents a notification. A worker
//! claims due rows with a lease ([`OutboxStore::claim_outbox`]): status `pending` → `sending`,
//! `lease_until` set, `attempts` counted. Delivery ends a row as `sent`; a temporary
//! failure puts it back to `pending` for later; a permanent one marks it `failed`
//! and queues the bounce in the same transaction. A worker that crashes mid-send
//! leaves a `sending` row whose lease runs out, and the next claim takes it again:
//! at-least-once delivery, with a stable `Message-ID` for relays to de-duplicate.
//!
//! Several workers (one per node on PostgreSQL) never hold one row at the same
//! time: on PostgreSQL the claim locks its rows with `FOR UPDATE SKIP LOCKED`, so
//! concurrent claims take disjoint rows without waiting; on SQLite the claim runs in
//! a `BEGIN IMMEDIATE` transaction, and writers take turns.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{MailKind, MessageId, NewOutboxItem, OutboxItem};
use sealpost_domain::ports::{OutboxStore, StoreResult};
use sealpost_domain::types::{EmailAddress, Locale, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::columns::Columns;
use crate::group_commit::GroupCommit;
use crate::statements::{Fetch, Run};
use crate::{Backend, DATABASE, DELIVERY_RECORD_PATIENCE, SqlStore, db_error, limit};

/// Queues one email on `conn`, due at once (`next_attempt_at = created_at`).
pub(crate) async fn insert_item(conn: &mut AnyConnection, item: &NewOutboxItem) -> StoreResult<()> {
    insert_item_of(conn, item, item.message).await
}

/// [`insert_item`] for the message `message`, whatever `item` says (a new
/// message's notification, whose id was not known when it was made).
pub(crate) async fn insert_item_of(
    conn: &mut AnyConnection,
    item: &NewOutboxItem,
    message: Option<MessageId>,
) -> StoreResult<()> {
    insert_items_of(conn, &[(item, message)]).await
}

/// Rows one `INSERT` of [`insert_items_of`] carries at the most (each row holds a
/// whole rendered email).
const ITEMS_PER_INSERT: usize = 64;

/// Queues several emails on `conn` as [`insert_item_of`] does, each with the
/// message it is about, in one statement per [`ITEMS_PER_INSERT`]. On SQLite the
/// emails go to `outbox_mail` in a second statement (and `outbox.raw` stays
/// empty), so that claiming a row and recording its delivery do not write the
/// email again (migration 0032); PostgreSQL keeps them in `outbox.raw`.
pub(crate) async fn insert_items_of(
    conn: &mut AnyConnection,
    items: &[(&NewOutboxItem, Option<MessageId>)],
) -> StoreResult<()> {
    let apart = Backend::of(conn) == Backend::Sqlite;
    let returning = if apart { " RETURNING id, message_id_header" } else { "" };
    for chunk in items.chunks(ITEMS_PER_INSERT) {
        // Eight parameters a row, the last (the time it was queued) used twice.
        let rows = (0..chunk.len())
            .map(|row| {
                let p: Vec<String> = (1..=8).map(|col| format!("${}", row * 8 + col)).collect();
                format!("({}, 'pending', 0, {}, {})", p[..7].join(", "), p[7], p[7])
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO outbox (kind, to_email, message_id_header, raw, message_id, bounce_to, \
             bounce_locale, status, attempts, next_attempt_at, created_at) VALUES {rows}{returning}"
        );
        let mut query = sqlx::query(&sql);
        for (item, message) in chunk {
            let (bounce_to, bounce_locale) = match &item.bounce_to {
                Some((to, locale)) => (Some(to.as_str()), Some(locale.tag())),
                None => (None, None),
            };
            query = query
                .bind(item.kind.as_str())
                .bind(item.to.as_str())
                .bind(&item.mail.message_id)
                .bind(if apart { &[][..] } else { item.mail.raw.as_slice() })
                .bind(message.map(|m| m.0))
                .bind(bounce_to)
                .bind(bounce_locale)
                .bind(item.created_at.0);
        }
        if apart {
            let inserted = query.all(&mut *conn).await?;
            insert_mail(conn, chunk, &inserted).await?;
        } else {
            query.run(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Writes the emails of `chunk` to `outbox_mail`, each under the id its outbox
/// row got (`inserted`: the rows `RETURNING id, message_id_header` gave, in no
/// promised order, matched by `Message-ID`: 128 random bits, one per rendered email).
async fn insert_mail(
    conn: &mut AnyConnection,
    chunk: &[(&NewOutboxItem, Option<MessageId>)],
    inserted: &[AnyRow],
) -> StoreResult<()> {
    let mut returned = Vec::with_capacity(inserted.len());
    for row in inserted {
        returned.push((row.col::<i64>("id")?, row.col::<String>("message_id_header")?));
    }
    // Ids ascend in the order of the rows inserted: should two emails share a
    // Message-ID after all, each still gets an id of its own.
    returned.sort_unstable();
    let mut ids: std::collections::HashMap<String, std::collections::VecDeque<i64>> =
        std::collections::HashMap::with_capacity(returned.len());
    for (id, header) in returned {
        ids.entry(header).or_default().push_back(id);
    }
    let sql = format!(
        "INSERT INTO outbox_mail (outbox_id, raw) VALUES {}",
        crate::placeholders(1, 2, chunk.len())
    );
    let mut query = sqlx::query(&sql);
    for (item, _) in chunk {
        let id = ids
            .get_mut(&item.mail.message_id)
            .and_then(|ids| ids.pop_front())
            .ok_or_else(|| {
                DomainError::internal(std::io::Error::other("an outbox row was not returned by its insert"))
            })?;
        query = query.bind(id).bind(&item.mail.raw);
    }
    query.run(conn).await?;
    Ok(())
}

#[async_trait]
impl OutboxStore for SqlStore {
    /// Made together with the other lanes' records ([`SentQueue`]); on a full disk
    /// the record waits for space (`record_delivery`).
    async fn outbox_sent(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        self.record_delivery(Delivered {
            ids: vec![id],
            at,
            claim: None,
        })
        .await
        .map(drop)
    }

    /// The record and the claim are one write, made together with the other
    /// lanes' records ([`SentQueue`]); on a full disk the record waits for space
    /// (`record_delivery`).
    async fn outbox_sent_then_claim(
        &self,
        ids: &[i64],
        at: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        self.record_delivery(Delivered {
            ids: ids.to_vec(),
            at,
            claim: (limit > 0).then_some((lease_until, limit)),
        })
        .await
    }

    /// Queues emails not tied to another change, all or none.
    async fn enqueue(&self, items: Vec<NewOutboxItem>) -> StoreResult<()> {
        self.watched(async {
            if items.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            for item in &items {
                insert_item(&mut tx, item).await?;
            }
            tx.commit().await.map_err(db_error)
        })
        .await
    }

    /// One statement a batch, so that a large first purge does not hold the writer
    /// long; `outbox_mail` rows go with theirs (`ON DELETE CASCADE`).
    async fn purge_finished_outbox(
        &self,
        sent_before: Timestamp,
        failed_before: Timestamp,
        batch: u32,
    ) -> StoreResult<u64> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox \
                 WHERE (status = 'sent' AND sent_at < $1) OR (status = 'failed' AND created_at < $2) \
                 ORDER BY id LIMIT $3)",
            )
            .bind(sent_before.0)
            .bind(failed_before.0)
            .bind(limit(batch))
            .run(&mut *tx)
            .await?;
            tx.commit().await.map_err(db_error)?;
            Ok(done.rows_affected())
        })
        .await
    }

    /// Hands every leased row back to the queue, due now, undoing its claim's count.
    async fn release_outbox_leases(&self, now: Timestamp) -> StoreResult<u64> {
        self.watched(async {
            let done = sqlx::query(
                "UPDATE outbox SET status = 'pending', lease_until = NULL, next_attempt_at = $1, \
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE status = 'sending'",
            )
            .bind(now.0)
            .run(&self.pool)
            .await?;
            Ok(done.rows_affected())
        })
        .await
    }

    /// Claims up to `page` due rows, oldest first: pending ones whose time has come and
    /// sending ones whose lease ran out (a worker that crashed). Each becomes `sending`
    /// until `lease_until`, with one more attempt counted, in one statement.
    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, page: u32) -> StoreResult<Vec<OutboxItem>> {
        // The lanes' claims are made together (one write).
        self.watched(self.claims.submit(self, (now, lease_until, page))).await
    }

    /// Puts a row being sent back to `pending`, due at `next_attempt_at`, remembering
    /// why. A row that is no longer `sending` (its lease ran out and another worker
    /// finished it) is left alone, so a late failure report cannot resend delivered
    /// mail; `NotFound` for an unknown id.
    async fn outbox_retry(&self, id: i64, next_attempt_at: Timestamp, error: &str) -> StoreResult<()> {
        self.watched(back_to_pending(self, id, next_attempt_at, error, false))
            .await
    }

    async fn outbox_release(&self, id: i64, at: Timestamp, why: &str) -> StoreResult<()> {
        self.watched(back_to_pending(self, id, at, why, true)).await
    }

    /// Gives up on a row being sent (`error` becomes its last error) and queues
    /// `bounce` in the same transaction. A notification's `reason` (the relay's reply)
    /// is also noted on its recipient, so the sender's tracking page says why. As with
    /// [`OutboxStore::outbox_retry`], a row no longer `sending` is left alone (and no
    /// bounce queued); `NotFound` for an unknown id.
    async fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        reason: &str,
        bounce: Option<NewOutboxItem>,
    ) -> StoreResult<()> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let row = sqlx::query(
                "UPDATE outbox SET status = 'failed', last_error = $2, lease_until = NULL \
                 WHERE id = $1 AND status = 'sending' RETURNING kind, message_id, to_email",
            )
            .bind(id)
            .bind(error)
            .optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return ensure_item_exists(&mut tx, id).await;
            };
            let kind = MailKind::from_stored(row.cell_str("kind").map_err(db_error)?);
            let message: Option<i64> = row.col("message_id")?;
            if let (MailKind::Notification, Some(message)) = (kind, message) {
                let to: String = row.col("to_email")?;
                sqlx::query("UPDATE message_recipients SET delivery_error = $3 WHERE message_id = $1 AND email = $2")
                    .bind(message)
                    .bind(to)
                    .bind(reason)
                    .run(&mut *tx)
                    .await?;
            }
            if let Some(bounce) = &bounce {
                insert_item(&mut tx, bounce).await?;
            }
            tx.commit().await.map_err(db_error)
        })
        .await
    }

    /// Rows neither delivered nor given up: pending or being sent.
    async fn outbox_pending(&self) -> StoreResult<i64> {
        self.watched(async {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
                .one(&self.pool)
                .await
        })
        .await
    }

    /// The creation time of the oldest row pending or being sent.
    async fn outbox_oldest_waiting(&self) -> StoreResult<Option<Timestamp>> {
        self.watched(async {
            let oldest: Option<i64> =
                sqlx::query_scalar("SELECT MIN(created_at) FROM outbox WHERE status IN ('pending', 'sending')")
                    .one(&self.pool)
                    .await?;
            Ok(oldest.map(Timestamp))
        })
        .await
    }

    /// Makes every pending row that waits for a later attempt due at `now`; returns how
    /// many. Rows being sent, sent or failed are left alone.
    async fn outbox_bring_forward(&self, now: Timestamp) -> StoreResult<u64> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let done =
                sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending' AND next_attempt_at > $1")
                    .bind(now.0)
                    .run(&mut *tx)
                    .await?;
            tx.commit().await.map_err(db_error)?;
            Ok(done.rows_affected())
        })
        .await
    }
}

/// The columns [`item_from_row`] reads, of an `outbox` row: its email from
/// `outbox_mail` (SQLite), else from `outbox.raw` (PostgreSQL, and rows copied from it).
const ITEM_COLUMNS: &str = "id, kind, to_email, message_id_header, \
     COALESCE((SELECT m.raw FROM outbox_mail m WHERE m.outbox_id = outbox.id), raw) AS raw, \
     message_id, bounce_to, bounce_locale, attempts, created_at";

/// Builds an [`OutboxItem`] from a row holding [`ITEM_COLUMNS`].
fn item_from_row(row: &AnyRow) -> Result<OutboxItem, sqlx::Error> {
    let bounce_to = row
        .try_get::<Option<String>, _>("bounce_to")?
        .map(EmailAddress::from_trusted);
    let bounce_locale: Option<String> = row.try_get("bounce_locale")?;
    Ok(OutboxItem {
        id: row.try_get("id")?,
        kind: MailKind::from_stored(row.try_get("kind")?),
        to: EmailAddress::from_trusted(row.try_get("to_email")?),
        message_id_header: row.try_get("message_id_header")?,
        raw: row.try_get("raw")?,
        message: row.try_get::<Option<i64>, _>("message_id")?.map(MessageId),
        bounce_to: bounce_to.map(|to| {
            let locale = bounce_locale.as_deref().and_then(Locale::from_tag).unwrap_or_default();
            (to, locale)
        }),
        attempts: row.try_get("attempts")?,
        created_at: Timestamp(row.try_get("created_at")?),
    })
}

/// Puts row `id` back to `pending`, due at `at`, with `error` as its last error;
/// with `take_back_attempt`, its claim does not count as an attempt. A row that is
/// no longer `sending` is left alone; `NotFound` for an unknown id.
async fn back_to_pending(
    store: &SqlStore,
    id: i64,
    at: Timestamp,
    error: &str,
    take_back_attempt: bool,
) -> StoreResult<()> {
    let attempts = if take_back_attempt {
        ", attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"
    } else {
        ""
    };
    let mut tx = store.begin_write().await?;
    let updated = sqlx::query(&format!(
        "UPDATE outbox SET status = 'pending', next_attempt_at = $2, last_error = $3, lease_until = NULL{attempts} \
         WHERE id = $1 AND status = 'sending'"
    ))
    .bind(id)
    .bind(at.0)
    .bind(error)
    .run(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return ensure_item_exists(&mut tx, id).await;
    }
    tx.commit().await.map_err(db_error)
}

/// `NotFound` unless the outbox row exists.
async fn ensure_item_exists(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM outbox WHERE id = $1")
        .bind(id)
        .optional(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(())
}

/// Outbox lanes' claims (`(now, lease_until, limit)`), made together
/// ([`crate::group_commit`]): under load every lane claims again as soon as it has
/// delivered, each claim a write of its own otherwise.
pub(crate) type ClaimQueue = GroupCommit<(Timestamp, Timestamp, u32), Vec<OutboxItem>>;

/// A new [`ClaimQueue`].
pub(crate) fn claim_queue() -> ClaimQueue {
    GroupCommit::new("outbox claims", |store, claims| Box::pin(claim_together(store, claims)))
}

/// Up to `limit` rows for each claim `(now, lease_until, limit)` while there are
/// rows due, in the order of the claims, as of the earliest `now` and leased until
/// the earliest `lease_until` (a lane's lease is never longer than it asked).
async fn claim_together(
    store: &SqlStore,
    claims: &[&(Timestamp, Timestamp, u32)],
) -> StoreResult<Vec<Vec<OutboxItem>>> {
    let claims: Vec<(Timestamp, Timestamp, u32)> = claims.iter().map(|&&claim| claim).collect();
    let Some((now, lease_until, page)) = earliest(&claims) else {
        return Ok(Vec::new());
    };
    let items = claim_rows(store, now, lease_until, page).await?;
    Ok(share(items, &claims))
}

/// The claim that serves all `claims` (`(now, lease_until, limit)` each) at once:
/// as of the earliest `now`, leased until the earliest `lease_until`, as many rows
/// as they ask for together.
fn earliest(claims: &[(Timestamp, Timestamp, u32)]) -> Option<(Timestamp, Timestamp, u32)> {
    let now = claims.iter().map(|claim| claim.0).min()?;
    let lease_until = claims.iter().map(|claim| claim.1).min()?;
    let page = claims.iter().fold(0u32, |page, claim| page.saturating_add(claim.2));
    Some((now, lease_until, page))
}

/// `items`, oldest first, dealt to `claims` in their order, each up to its limit.
fn share(items: Vec<OutboxItem>, claims: &[(Timestamp, Timestamp, u32)]) -> Vec<Vec<OutboxItem>> {
    let mut items = items.into_iter();
    claims
        .iter()
        .map(|&(_, _, limit)| items.by_ref().take(limit as usize).collect())
        .collect()
}

/// Claims up to `page` due rows, oldest first (see [`OutboxStore::claim_outbox`]).
async fn claim_rows(
    store: &SqlStore,
    now: Timestamp,
    lease_until: Timestamp,
    page: u32,
) -> StoreResult<Vec<OutboxItem>> {
    // A read first: the lanes look far more often than there is mail due (each new
    // message wakes one, each claim wakes another), and an empty claim would still
    // take the write lock from the messages being stored. While claims find mail (a
    // backlog being worked off), the read is skipped.
    if !store.outbox_busy.load(Ordering::Relaxed) {
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $1) \
             OR (status = 'sending' AND lease_until <= $1) LIMIT 1",
        )
        .bind(now.0)
        .optional(&store.pool)
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
    }
    let mut tx = store.begin_write().await?;
    let items = claim_in(store, &mut tx, now, lease_until, page).await?;
    tx.commit().await.map_err(db_error)?;
    store.outbox_busy.store(!items.is_empty(), Ordering::Relaxed);
    Ok(items)
}

/// Claims up to `page` due rows, oldest first, in the transaction `tx`.
async fn claim_in(
    store: &SqlStore,
    tx: &mut AnyConnection,
    now: Timestamp,
    lease_until: Timestamp,
    page: u32,
) -> StoreResult<Vec<OutboxItem>> {
    let rows = sqlx::query(&format!(
        "UPDATE outbox SET status = 'sending', lease_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox \
         WHERE (status = 'pending' AND next_attempt_at <= $1) \
         OR (status = 'sending' AND lease_until <= $1) \
         ORDER BY id LIMIT $3{}) \
         RETURNING {ITEM_COLUMNS}",
        store.skip_locked()
    ))
    .bind(now.0)
    .bind(lease_until.0)
    .bind(limit(page))
    .all(&mut *tx)
    .await?;
    let mut items = rows
        .iter()
        .map(item_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error)?;
    // RETURNING promises no order.
    items.sort_by_key(|item| item.id);
    Ok(items)
}

/// Delivered emails to record: their rows, when they were delivered, and, when
/// their lane wants its next mail in the same write, until when those rows are
/// leased and how many at most (they are claimed as of the delivery).
#[derive(Debug, Clone)]
pub(crate) struct Delivered {
    ids: Vec<i64>,
    at: Timestamp,
    claim: Option<(Timestamp, u32)>,
}

/// Delivered emails waiting to be recorded together ([`crate::group_commit`]),
/// with the next rows their lanes claim: under load, each outbox lane's delivery
/// would otherwise be a commit of its own, and its next claim another.
pub(crate) type SentQueue = GroupCommit<Delivered, Vec<OutboxItem>>;

impl SqlStore {
    /// Records `delivered` through the [`SentQueue`]. A delivered mail whose record
    /// is lost goes out again when its lease runs out (or at the next start): on a
    /// full disk the record waits for space, for at most
    /// [`DELIVERY_RECORD_PATIENCE`], well inside the worker's lease.
    async fn record_delivery(&self, delivered: Delivered) -> StoreResult<Vec<OutboxItem>> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            match self.sent.submit(self, delivered.clone()).await {
                Err(DomainError::Unavailable(reason)) if started.elapsed() < DELIVERY_RECORD_PATIENCE => {
                    self.health.refused(DATABASE, reason.as_ref());
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                recorded => return self.health.watch(DATABASE, recorded),
            }
        }
    }
}

/// A new [`SentQueue`].
pub(crate) fn sent_queue() -> SentQueue {
    GroupCommit::new("delivered emails", |store, sent| Box::pin(record_sent(store, sent)))
}

/// Marks each row delivered and, for a notification, its recipient notified,
/// counted once per message and month for the Reports tab; then claims the due
/// rows each record asks for (as the lanes' claims are made together,
/// [`claim_together`]). A row already marked sent keeps its first delivery time;
/// `NotFound` for an unknown id.
async fn record_sent(store: &SqlStore, sent: &[&Delivered]) -> StoreResult<Vec<Vec<OutboxItem>>> {
    let mut tx = store.begin_write().await?;
    let mut notified = Vec::new();
    for delivered in sent {
        for &id in &delivered.ids {
            let row = sqlx::query(
                "UPDATE outbox SET status = 'sent', sent_at = $2, lease_until = NULL \
                 WHERE id = $1 AND status <> 'sent' RETURNING kind, message_id, to_email",
            )
            .bind(id)
            .bind(delivered.at.0)
            .optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                ensure_item_exists(&mut tx, id).await?;
                continue;
            };
            let kind = MailKind::from_stored(row.cell_str("kind").map_err(db_error)?);
            let message: Option<i64> = row.col("message_id")?;
            if let (MailKind::Notification, Some(message)) = (kind, message) {
                let to: String = row.col("to_email")?;
                let done = sqlx::query(
                    "UPDATE message_recipients SET notified_at = $3 \
                     WHERE message_id = $1 AND email = $2 AND notified_at IS NULL",
                )
                .bind(message)
                .bind(to)
                .bind(delivered.at.0)
                .run(&mut *tx)
                .await?;
                if done.rows_affected() > 0 {
                    notified.push(MessageId(message));
                }
            }
        }
    }
    crate::reports::count_notified(&mut tx, &notified).await?;
    let claims: Vec<(Timestamp, Timestamp, u32)> = sent
        .iter()
        .map(|delivered| match delivered.claim {
            Some((lease_until, limit)) => (delivered.at, lease_until, limit),
            None => (delivered.at, delivered.at, 0),
        })
        .collect();
    let asking: Vec<(Timestamp, Timestamp, u32)> = claims.iter().copied().filter(|claim| claim.2 > 0).collect();
    let claimed = match earliest(&asking) {
        Some((now, lease_until, page)) => claim_in(store, &mut tx, now, lease_until, page).await?,
        None => Vec::new(),
    };
    tx.commit().await.map_err(db_error)?;
    if !asking.is_empty() {
        store.outbox_busy.store(!claimed.is_empty(), Ordering::Relaxed);
    }
    Ok(share(claimed, &claims))
}
