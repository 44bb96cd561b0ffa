//! The outbox's claims: oldest first with leases (also by several workers at
//! once), retries and their waits, lanes recording deliveries and claiming their
//! next batch in one write, rows released unsent, and bringing waiting mail
//! forward. What an outcome writes is in `outbox_outcomes`; the helpers here
//! (a claim, an item, a queue) serve it too.

use std::collections::BTreeSet;
use std::time::Duration;

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{MailKind, NewOutboxItem, OutboxItem};
use sealpost_domain::ports::OutboxStore;
use sealpost_domain::types::{Locale, Timestamp};
use sealpost_storage::{Backend, SqlStore};

use crate::messages::mail;
use crate::support::{T0, email, on_both_backends, run};

on_both_backends!(
    enqueued_mail_is_claimed_oldest_first_up_to_the_limit_with_its_content,
    claimed_rows_are_not_claimed_again_while_their_lease_runs,
    row_whose_lease_ran_out_is_claimed_again_with_one_more_attempt,
    mail_is_not_claimed_before_its_time,
    retried_row_waits_for_its_next_attempt_and_keeps_the_error,
    concurrent_claims_never_return_the_same_row,
    enqueueing_nothing_is_harmless,
    bringing_forward_makes_waiting_rows_due_now_and_leaves_the_others_alone,
    a_delivery_record_claims_the_next_due_row_in_the_same_write,
    lanes_recording_together_each_get_a_row_of_their_own_while_rows_last,
    a_batch_of_deliveries_is_recorded_with_the_claim_of_the_next_batch,
    a_row_released_unsent_is_due_again_and_its_claim_counts_no_attempt,
);

/// What one worker claims at `now`: up to ten due rows, each leased for a
/// minute (`now` + 60 s).
pub(crate) async fn claim_at(store: &SqlStore, now: Timestamp) -> Vec<OutboxItem> {
    store
        .claim_outbox(now, now.plus_seconds(60), 10)
        .await
        .expect("claimed")
}

/// The Postgres-only proof that a claim skips locked rows instead of waiting.
#[tokio::test]
async fn postgres_claim_passes_over_a_row_another_worker_holds_without_waiting() {
    run(
        Backend::Postgres,
        claim_passes_over_a_row_another_worker_holds_without_waiting,
    )
    .await;
}

pub(crate) fn item(to: &str, created_at: Timestamp) -> NewOutboxItem {
    let mut item = mail(MailKind::Activation, to, None);
    item.created_at = created_at;
    item
}

/// Queues `n` activation mails to `user<i>@example.org`, created one second apart.
pub(crate) async fn queue(store: &SqlStore, n: i64) {
    let items = (0..n)
        .map(|i| item(&format!("user{i}@example.org"), T0.plus_seconds(i)))
        .collect();
    store.enqueue(items).await.expect("queued");
}

pub(crate) fn recipients_of(items: &[OutboxItem]) -> Vec<String> {
    items.iter().map(|i| i.to.as_str().to_owned()).collect()
}

async fn enqueued_mail_is_claimed_oldest_first_up_to_the_limit_with_its_content(store: SqlStore) {
    let mut bounced = item("bob@example.org", T0);
    bounced.bounce_to = Some((email("alice@example.com"), Locale::Fr));
    bounced.mail.raw = vec![b'X', 0x00, 0xff, b'\r', b'\n'];
    store
        .enqueue(vec![
            bounced,
            item("carol@example.net", T0),
            item("dave@example.org", T0),
        ])
        .await
        .expect("queued");

    let now = T0.plus_seconds(1);
    let claimed = store.claim_outbox(now, now.plus_seconds(60), 2).await.expect("claimed");
    assert_eq!(recipients_of(&claimed), ["bob@example.org", "carol@example.net"]);
    let first = &claimed[0];
    assert_eq!(first.kind, MailKind::Activation);
    assert_eq!(first.message_id_header, "activation.bob@example.org@sealpost.test");
    assert_eq!(
        first.raw,
        [b'X', 0x00, 0xff, b'\r', b'\n'],
        "raw bytes survive unchanged"
    );
    assert_eq!(first.message, None);
    assert_eq!(
        first.bounce_to.as_ref().map(|(to, locale)| (to.as_str(), *locale)),
        Some(("alice@example.com", Locale::Fr))
    );
    assert_eq!(first.attempts, 1, "claiming counts an attempt");
    assert_eq!(first.created_at, T0);
    assert_eq!(claimed[1].bounce_to, None);

    let rest = claim_at(&store, now).await;
    assert_eq!(recipients_of(&rest), ["dave@example.org"]);
}

async fn claimed_rows_are_not_claimed_again_while_their_lease_runs(store: SqlStore) {
    queue(&store, 3).await;
    let now = T0.plus_seconds(10);
    let lease = now.plus_seconds(60);
    assert_eq!(store.claim_outbox(now, lease, 10).await.expect("claimed").len(), 3);
    assert!(store.claim_outbox(now, lease, 10).await.expect("claimed").is_empty());
    let almost = Timestamp(lease.0 - 1);
    assert!(
        claim_at(&store, almost).await.is_empty(),
        "the lease holds until its last millisecond"
    );
}

async fn row_whose_lease_ran_out_is_claimed_again_with_one_more_attempt(store: SqlStore) {
    queue(&store, 1).await;
    let lease = T0.plus_seconds(60);
    let first = store.claim_outbox(T0, lease, 10).await.expect("claimed");
    assert_eq!(first[0].attempts, 1);
    // The worker crashed: nobody reports back. At the end of the lease the row is due.
    let again = claim_at(&store, lease).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(
        again[0].message_id_header, first[0].message_id_header,
        "a stable Message-ID"
    );
    assert_eq!(store.outbox_pending().await.expect("counted"), 1);
}

async fn mail_is_not_claimed_before_its_time(store: SqlStore) {
    store
        .enqueue(vec![item("later@example.org", T0.plus_seconds(30))])
        .await
        .expect("queued");
    assert!(claim_at(&store, T0).await.is_empty());
    let due = store
        .claim_outbox(T0.plus_seconds(30), T0.plus_seconds(90), 10)
        .await
        .expect("claimed");
    assert_eq!(recipients_of(&due), ["later@example.org"]);
}

async fn retried_row_waits_for_its_next_attempt_and_keeps_the_error(store: SqlStore) {
    queue(&store, 1).await;
    let claimed = claim_at(&store, T0).await;
    let id = claimed[0].id;
    let next = T0.plus_seconds(300);
    store
        .outbox_retry(id, next, "451 4.7.1 greylisted, try again later")
        .await
        .expect("rescheduled");
    assert_eq!(store.outbox_pending().await.expect("counted"), 1);
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .expect("read");
    assert_eq!(error.as_deref(), Some("451 4.7.1 greylisted, try again later"));

    let early = Timestamp(next.0 - 1);
    assert!(
        claim_at(&store, early).await.is_empty(),
        "not before the next attempt, although the first lease ran out"
    );
    let again = claim_at(&store, next).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);

    let missing = store.outbox_retry(9999, next, "x").await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}

async fn concurrent_claims_never_return_the_same_row(store: SqlStore) {
    const ROWS: i64 = 60;
    queue(&store, ROWS).await;
    let now = T0.plus_seconds(ROWS);
    let lease = now.plus_seconds(600);
    let worker = |store: SqlStore| async move {
        let mut mine = Vec::new();
        loop {
            let claimed = store.claim_outbox(now, lease, 4).await.expect("claimed");
            if claimed.is_empty() {
                return mine;
            }
            mine.extend(claimed.into_iter().map(|i| i.id));
            tokio::task::yield_now().await;
        }
    };
    let (a, b, c) = tokio::join!(worker(store.clone()), worker(store.clone()), worker(store.clone()));
    let total = a.len() + b.len() + c.len();
    let distinct: BTreeSet<i64> = a.iter().chain(&b).chain(&c).copied().collect();
    assert_eq!(total, distinct.len(), "a row was claimed twice: {a:?} {b:?} {c:?}");
    assert_eq!(
        i64::try_from(distinct.len()).expect("small"),
        ROWS,
        "every row was claimed"
    );

    let (x, y) = tokio::join!(
        store.claim_outbox(lease, lease.plus_seconds(60), 100),
        store.claim_outbox(lease, lease.plus_seconds(60), 100)
    );
    let (x, y) = (x.expect("claimed"), y.expect("claimed"));
    let reclaimed: BTreeSet<i64> = x.iter().chain(&y).map(|i| i.id).collect();
    assert_eq!(reclaimed.len(), x.len() + y.len(), "expired leases are taken once too");
    assert_eq!(reclaimed, distinct);
}

async fn claim_passes_over_a_row_another_worker_holds_without_waiting(store: SqlStore) {
    queue(&store, 3).await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM outbox ORDER BY id")
        .fetch_all(store.pool())
        .await
        .expect("ids");
    let mut other = store.pool().begin().await.expect("a transaction");
    sqlx::query("SELECT id FROM outbox WHERE id = $1 FOR UPDATE")
        .bind(ids[0])
        .fetch_one(&mut *other)
        .await
        .expect("the row is locked");

    let now = T0.plus_seconds(10);
    let claimed = tokio::time::timeout(
        Duration::from_secs(5),
        store.claim_outbox(now, now.plus_seconds(60), 10),
    )
    .await
    .expect("the claim did not wait for the locked row")
    .expect("claimed");
    let claimed: Vec<i64> = claimed.iter().map(|i| i.id).collect();
    assert_eq!(claimed, ids[1..]);
    other.rollback().await.expect("released");
    let rest = claim_at(&store, now).await;
    assert_eq!(rest.iter().map(|i| i.id).collect::<Vec<_>>(), ids[..1]);
}

/// The status and lease of row `id`.
async fn status_of(store: &SqlStore, id: i64) -> (String, Option<i64>) {
    sqlx::query_as("SELECT status, lease_until FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .expect("read")
}

async fn a_delivery_record_claims_the_next_due_row_in_the_same_write(store: SqlStore) {
    queue(&store, 3).await;
    let now = T0.plus_seconds(10);
    let lease = now.plus_seconds(60);
    let first = store.claim_outbox(now, lease, 1).await.expect("claimed");
    assert_eq!(recipients_of(&first), ["user0@example.org"]);

    let next = store
        .outbox_sent_then_claim(&[first[0].id], now, lease, 1)
        .await
        .expect("recorded")
        .pop()
        .expect("the next due row");
    assert_eq!(next.to.as_str(), "user1@example.org", "oldest first");
    assert_eq!(next.attempts, 1, "claiming counts an attempt");
    assert_eq!(next.message_id_header, "activation.user1@example.org@sealpost.test");
    assert_eq!(status_of(&store, first[0].id).await, ("sent".to_owned(), None));
    assert_eq!(status_of(&store, next.id).await, ("sending".to_owned(), Some(lease.0)));
    let third = claim_at(&store, now).await;
    assert_eq!(
        recipients_of(&third),
        ["user2@example.org"],
        "the row claimed with the record is leased to its lane"
    );
    store.outbox_sent(third[0].id, now).await.expect("sent");

    // Nothing due: the record is made, nothing is claimed.
    store
        .enqueue(vec![item("later@example.org", now.plus_seconds(100))])
        .await
        .expect("queued");
    let none = store
        .outbox_sent_then_claim(&[next.id], now, lease, 1)
        .await
        .expect("recorded");
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(status_of(&store, next.id).await.0, "sent");

    // An unknown row: refused, and nothing claimed with it.
    let due = now.plus_seconds(200);
    let missing = store
        .outbox_sent_then_claim(&[9999], due, due.plus_seconds(60), 1)
        .await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
    assert_eq!(
        recipients_of(&claim_at(&store, due).await),
        ["later@example.org"],
        "the failed record claimed nothing"
    );
}

async fn lanes_recording_together_each_get_a_row_of_their_own_while_rows_last(store: SqlStore) {
    queue(&store, 5).await;
    let now = T0.plus_seconds(10);
    let lease = now.plus_seconds(60);
    let delivered = store.claim_outbox(now, lease, 3).await.expect("claimed");
    let [a, b, c] = [0, 1, 2].map(|i| delivered[i].id);
    let shared = &store;
    let record = |id| async move { shared.outbox_sent_then_claim(&[id], now, lease, 1).await };
    let (a, b, c) = tokio::join!(record(a), record(b), record(c));
    let next: Vec<OutboxItem> = [a, b, c]
        .into_iter()
        .flat_map(|recorded| recorded.expect("recorded"))
        .collect();
    let mut to: Vec<String> = recipients_of(&next);
    to.sort();
    assert_eq!(
        to,
        ["user3@example.org", "user4@example.org"],
        "two rows were left for three lanes: one each, none twice"
    );
    for row in &delivered {
        assert_eq!(status_of(&store, row.id).await.0, "sent");
    }
    assert!(claim_at(&store, now).await.is_empty(), "both are leased");
}

async fn a_batch_of_deliveries_is_recorded_with_the_claim_of_the_next_batch(store: SqlStore) {
    queue(&store, 6).await;
    let now = T0.plus_seconds(10);
    let lease = now.plus_seconds(60);
    let batch = store.claim_outbox(now, lease, 3).await.expect("claimed");
    assert_eq!(
        recipients_of(&batch),
        ["user0@example.org", "user1@example.org", "user2@example.org"]
    );
    let ids: Vec<i64> = batch.iter().map(|item| item.id).collect();

    let next = store
        .outbox_sent_then_claim(&ids, now, lease, 2)
        .await
        .expect("recorded");
    assert_eq!(
        recipients_of(&next),
        ["user3@example.org", "user4@example.org"],
        "oldest first, no more than asked"
    );
    for id in ids {
        assert_eq!(status_of(&store, id).await, ("sent".to_owned(), None));
    }
    for row in &next {
        assert_eq!(status_of(&store, row.id).await, ("sending".to_owned(), Some(lease.0)));
    }

    // Asking for more than is due gets what is due; asking for none claims nothing.
    let ids: Vec<i64> = next.iter().map(|item| item.id).collect();
    let last = store
        .outbox_sent_then_claim(&ids, now, lease, 5)
        .await
        .expect("recorded");
    assert_eq!(recipients_of(&last), ["user5@example.org"]);
    let none = store
        .outbox_sent_then_claim(&[last[0].id], now, lease, 0)
        .await
        .expect("recorded");
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(status_of(&store, last[0].id).await.0, "sent");
    assert_eq!(store.outbox_pending().await.expect("counted"), 0);
}

async fn a_row_released_unsent_is_due_again_and_its_claim_counts_no_attempt(store: SqlStore) {
    queue(&store, 2).await;
    let now = T0.plus_seconds(10);
    let claimed = claim_at(&store, now).await;
    let (first, second) = (claimed[0].id, claimed[1].id);
    assert_eq!(claimed[0].attempts, 1);

    store
        .outbox_release(first, now, "not sent yet: the outbox worker stopped")
        .await
        .expect("released");
    assert_eq!(status_of(&store, first).await, ("pending".to_owned(), None));
    let again = claim_at(&store, now).await;
    assert_eq!(
        again.iter().map(|item| item.id).collect::<Vec<_>>(),
        [first],
        "due at once"
    );
    assert_eq!(again[0].attempts, 1, "the released claim did not count");

    // A row delivered meanwhile (another worker's, after the lease) is left alone.
    store.outbox_sent(second, now).await.expect("sent");
    store.outbox_release(second, now, "late").await.expect("ignored");
    assert_eq!(status_of(&store, second).await.0, "sent");
    let missing = store.outbox_release(9999, now, "none").await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}

async fn enqueueing_nothing_is_harmless(store: SqlStore) {
    store.enqueue(Vec::new()).await.expect("nothing queued");
    assert_eq!(store.outbox_pending().await.expect("counted"), 0);
}

async fn bringing_forward_makes_waiting_rows_due_now_and_leaves_the_others_alone(store: SqlStore) {
    queue(&store, 4).await;
    let now = T0.plus_seconds(10);
    let claimed = claim_at(&store, now).await;
    let ids: Vec<i64> = claimed.iter().map(|i| i.id).collect();
    // Two wait for hours, one is being sent, one was delivered.
    store
        .outbox_retry(ids[0], now.plus_seconds(6 * 3600), "connection refused")
        .await
        .expect("rescheduled");
    store
        .outbox_retry(ids[1], now.plus_seconds(4 * 3600), "connection refused")
        .await
        .expect("rescheduled");
    store.outbox_sent(ids[3], now).await.expect("sent");
    let later = now.plus_seconds(30);
    assert!(claim_at(&store, later).await.is_empty(), "nothing is due by itself");

    assert_eq!(store.outbox_bring_forward(later).await.expect("brought forward"), 2);

    let due = claim_at(&store, later).await;
    assert_eq!(due.iter().map(|i| i.id).collect::<Vec<_>>(), ids[..2]);
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM outbox ORDER BY id")
        .fetch_all(store.pool())
        .await
        .expect("read");
    assert_eq!(statuses, ["sending", "sending", "sending", "sent"]);
    assert_eq!(
        store.outbox_bring_forward(later).await.expect("brought forward"),
        0,
        "nothing waits any more"
    );
}
