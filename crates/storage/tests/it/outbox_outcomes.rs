//! What a delivery's outcome writes in the outbox: a failure with its bounce
//! and its reason on the recipient, a late report that must not resend, the
//! recipients marked notified, the count of mail still to send, and the email's
//! bytes kept beside its row until the purge of mail that is done with.

use std::collections::BTreeSet;

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::MailKind;
use sealpost_domain::ports::{MessageStore, OutboxStore};
use sealpost_storage::{Backend, SqlStore};

use crate::messages::{count_rows, mail, new_message, send, sender};
use crate::outbox::{claim_at, item, queue, recipients_of};
use crate::support::{T0, on_both_backends, run};

on_both_backends!(
    failed_row_is_never_claimed_again_and_its_bounce_is_queued_with_it,
    failing_an_unknown_row_queues_no_bounce,
    late_report_from_a_worker_whose_lease_ran_out_does_not_resend_delivered_mail,
    delivering_a_notification_marks_its_recipient_notified,
    delivering_other_mail_of_a_message_leaves_recipients_unnotified,
    pending_count_covers_pending_and_sending_rows_only,
    a_failed_notification_tells_its_recipient_row_why_and_the_others_stay_clear,
    mail_whose_bytes_are_in_the_outbox_row_is_claimed_with_them,
    two_emails_sharing_a_message_id_each_keep_their_bytes,
    finished_rows_leave_with_their_emails_and_waiting_ones_stay,
);

/// On SQLite an updated row is written again whole: the outbox row holds no copy
/// of the email, so a claim and a delivery record write a few bytes, not the email.
#[tokio::test]
async fn on_sqlite_the_email_rests_beside_its_outbox_row_through_claim_and_delivery() {
    run(Backend::Sqlite, email_rests_beside_its_outbox_row).await;
}

async fn failed_row_is_never_claimed_again_and_its_bounce_is_queued_with_it(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = send(&store, new_message(acme.id, alice.id, 1, &["nobody@example.org"], &[])).await;
    let claimed = claim_at(&store, T0).await;
    assert_eq!(claimed.len(), 1);
    let mut bounce = mail(MailKind::Bounce, "alice@example.com", Some(stored.id));
    bounce.created_at = T0.plus_seconds(5);
    store
        .outbox_failed(
            claimed[0].id,
            "550 5.1.1 no such user",
            "550 5.1.1 no such user",
            Some(bounce),
        )
        .await
        .expect("given up");

    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        1,
        "only the bounce is left"
    );
    let later = T0.plus_seconds(3600);
    let next = claim_at(&store, later).await;
    assert_eq!(next.len(), 1, "the failed row stays failed: {next:?}");
    assert_eq!(next[0].kind, MailKind::Bounce);
    assert_eq!(next[0].to.as_str(), "alice@example.com");
    assert_eq!(next[0].message, Some(stored.id));
    let status: String = sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1")
        .bind(claimed[0].id)
        .fetch_one(store.pool())
        .await
        .expect("read");
    assert_eq!(status, "failed");
    assert!(
        store.recipients(stored.id).await.expect("recipients")[0]
            .notified_at
            .is_none(),
        "an undelivered notification notified nobody"
    );

    let without_bounce = {
        queue(&store, 1).await;
        claim_at(&store, later).await
    };
    store
        .outbox_failed(without_bounce[0].id, "550 rejected", "550 rejected", None)
        .await
        .expect("given up");
    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        1,
        "no bounce was asked for"
    );
}

async fn failing_an_unknown_row_queues_no_bounce(store: SqlStore) {
    let result = store
        .outbox_failed(
            9999,
            "550",
            "550",
            Some(mail(MailKind::Bounce, "alice@example.com", None)),
        )
        .await;
    assert!(matches!(result, Err(DomainError::NotFound)), "{result:?}");
    assert_eq!(store.outbox_pending().await.expect("counted"), 0);
    assert_eq!(count_rows(&store, "outbox").await, 0);
}

async fn late_report_from_a_worker_whose_lease_ran_out_does_not_resend_delivered_mail(store: SqlStore) {
    queue(&store, 1).await;
    let slow = claim_at(&store, T0).await;
    let lease_over = T0.plus_seconds(60);
    let fast = store
        .claim_outbox(lease_over, lease_over.plus_seconds(60), 10)
        .await
        .expect("claimed again");
    assert_eq!(fast[0].id, slow[0].id);
    store
        .outbox_sent(fast[0].id, lease_over.plus_seconds(1))
        .await
        .expect("sent");

    store
        .outbox_retry(slow[0].id, lease_over.plus_seconds(2), "421 timeout")
        .await
        .expect("a late retry is accepted");
    store
        .outbox_failed(
            slow[0].id,
            "554 late",
            "554 late",
            Some(mail(MailKind::Bounce, "alice@example.com", None)),
        )
        .await
        .expect("a late failure is accepted");
    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        0,
        "nothing to resend, no bounce"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1")
        .bind(slow[0].id)
        .fetch_one(store.pool())
        .await
        .expect("read");
    assert_eq!(status, "sent");

    store
        .outbox_sent(slow[0].id, lease_over.plus_seconds(9))
        .await
        .expect("sent twice is harmless");
    let sent_at: Option<i64> = sqlx::query_scalar("SELECT sent_at FROM outbox WHERE id = $1")
        .bind(slow[0].id)
        .fetch_one(store.pool())
        .await
        .expect("read");
    assert_eq!(
        sent_at,
        Some(lease_over.plus_seconds(1).0),
        "the first delivery time stays"
    );
    let missing = store.outbox_sent(9999, T0).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}

async fn delivering_a_notification_marks_its_recipient_notified(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = send(
        &store,
        new_message(acme.id, alice.id, 1, &["bob@example.org"], &["carol@example.net"]),
    )
    .await;
    let claimed = claim_at(&store, T0).await;
    let to_bob = claimed
        .iter()
        .find(|i| i.to.as_str() == "bob@example.org")
        .expect("bob's notification");
    let delivered = T0.plus_seconds(2);
    store.outbox_sent(to_bob.id, delivered).await.expect("sent");

    let recipients = store.recipients(stored.id).await.expect("recipients");
    assert_eq!(recipients[0].email.as_str(), "bob@example.org");
    assert_eq!(recipients[0].notified_at, Some(delivered));
    assert_eq!(recipients[1].notified_at, None, "carol's notification is still out");
    assert_eq!(store.outbox_pending().await.expect("counted"), 1);
}

async fn delivering_other_mail_of_a_message_leaves_recipients_unnotified(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = store
        .insert_message(
            new_message(acme.id, alice.id, 1, &["bob@example.org"], &[]),
            vec![],
            crate::support::event("message.sent", "1"),
        )
        .await
        .expect("stored");
    store
        .enqueue(vec![mail(MailKind::ReadReceipt, "bob@example.org", Some(stored.id))])
        .await
        .expect("queued");
    let claimed = claim_at(&store, T0).await;
    store.outbox_sent(claimed[0].id, T0).await.expect("sent");
    assert_eq!(
        store.recipients(stored.id).await.expect("recipients")[0].notified_at,
        None
    );
}

async fn pending_count_covers_pending_and_sending_rows_only(store: SqlStore) {
    assert_eq!(store.outbox_pending().await.expect("counted"), 0);
    queue(&store, 4).await;
    assert_eq!(store.outbox_pending().await.expect("counted"), 4);
    let now = T0.plus_seconds(10);
    let claimed = store.claim_outbox(now, now.plus_seconds(60), 3).await.expect("claimed");
    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        4,
        "sending still counts"
    );
    store.outbox_sent(claimed[0].id, now).await.expect("sent");
    store
        .outbox_failed(claimed[1].id, "550", "550", None)
        .await
        .expect("failed");
    store
        .outbox_retry(claimed[2].id, now.plus_seconds(60), "451")
        .await
        .expect("retried");
    assert_eq!(store.outbox_pending().await.expect("counted"), 2);
}

async fn a_failed_notification_tells_its_recipient_row_why_and_the_others_stay_clear(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = send(
        &store,
        new_message(acme.id, alice.id, 1, &["nobody@example.org"], &["carol@example.net"]),
    )
    .await;
    let claimed = claim_at(&store, T0).await;
    let to = |address: &str| {
        claimed
            .iter()
            .find(|i| i.to.as_str() == address)
            .map(|i| i.id)
            .expect("claimed")
    };
    let reason = "550 5.1.1 <nobody@example.org>: Recipient address rejected: no such user";
    store
        .outbox_failed(to("nobody@example.org"), &format!("gave up: {reason}"), reason, None)
        .await
        .expect("given up");
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM outbox WHERE to_email = 'nobody@example.org'")
            .fetch_one(store.pool())
            .await
            .expect("read");
    assert_eq!(
        error,
        Some(format!("gave up: {reason}")),
        "the operator's detail stays on the row"
    );
    store.outbox_sent(to("carol@example.net"), T0).await.expect("sent");

    let recipients = store.recipients(stored.id).await.expect("recipients");
    let errors: Vec<(&str, Option<&str>)> = recipients
        .iter()
        .map(|r| (r.email.as_str(), r.delivery_error.as_deref()))
        .collect();
    assert_eq!(
        errors,
        [("nobody@example.org", Some(reason)), ("carol@example.net", None)]
    );
}

/// A row queued with its email in `outbox.raw` (on PostgreSQL, copied from it, or
/// queued by the release before `outbox_mail`) is claimed with that email.
async fn mail_whose_bytes_are_in_the_outbox_row_is_claimed_with_them(store: SqlStore) {
    sqlx::query(
        "INSERT INTO outbox (kind, to_email, message_id_header, raw, status, attempts, next_attempt_at, \
         created_at) VALUES ('activation', 'old@example.org', 'old@sealpost.test', $1, 'pending', 0, $2, $2)",
    )
    .bind(b"From: old\r\n\r\nqueued before".as_slice())
    .bind(T0.0)
    .execute(store.pool())
    .await
    .expect("queued the old way");
    let claimed = claim_at(&store, T0.plus_seconds(1)).await;
    assert_eq!(recipients_of(&claimed), ["old@example.org"]);
    assert_eq!(claimed[0].raw, b"From: old\r\n\r\nqueued before");
}

/// Message-IDs are random, but should two emails queued together share one, each
/// is still claimed with its own bytes.
async fn two_emails_sharing_a_message_id_each_keep_their_bytes(store: SqlStore) {
    let (mut first, mut second) = (item("same@example.org", T0), item("same@example.org", T0));
    first.mail.raw = b"first".to_vec();
    second.mail.raw = b"second".to_vec();
    assert_eq!(first.mail.message_id, second.mail.message_id);
    store.enqueue(vec![first, second]).await.expect("queued");
    let claimed = claim_at(&store, T0.plus_seconds(1)).await;
    let raws: Vec<&[u8]> = claimed.iter().map(|item| item.raw.as_slice()).collect();
    assert_eq!(raws, [b"first".as_slice(), b"second".as_slice()]);
}

async fn email_rests_beside_its_outbox_row(store: SqlStore) {
    let mut queued = item("bob@example.org", T0);
    queued.mail.raw = vec![b'm'; 30_000];
    store.enqueue(vec![queued]).await.expect("queued");
    let in_row = || async {
        sqlx::query_scalar::<_, i64>("SELECT length(raw) FROM outbox")
            .fetch_one(store.pool())
            .await
            .expect("read the row")
    };
    assert_eq!(in_row().await, 0, "the outbox row holds no copy of the email");
    let claimed = claim_at(&store, T0.plus_seconds(1)).await;
    assert_eq!(claimed[0].raw.len(), 30_000, "claimed with its email");
    store
        .outbox_sent(claimed[0].id, T0.plus_seconds(2))
        .await
        .expect("sent");
    assert_eq!(in_row().await, 0);
    let beside: i64 = sqlx::query_scalar("SELECT length(raw) FROM outbox_mail WHERE outbox_id = $1")
        .bind(claimed[0].id)
        .fetch_one(store.pool())
        .await
        .expect("read outbox_mail");
    assert_eq!(beside, 30_000);
}

/// Housekeeping's purge: mail delivered before its cut, and mail given up on that
/// was queued before its own, goes with its email; waiting mail stays however old,
/// and so does what finished since. At most `limit` rows a call, oldest first.
async fn finished_rows_leave_with_their_emails_and_waiting_ones_stay(store: SqlStore) {
    store
        .enqueue(vec![
            item("sent-early@example.org", T0),
            item("sent-late@example.org", T0),
            item("failed-early@example.org", T0),
            item("waiting@example.org", T0),
            item("failed-late@example.org", T0.plus_seconds(500)),
        ])
        .await
        .expect("queued");
    let claimed = store
        .claim_outbox(T0.plus_seconds(600), T0.plus_seconds(660), 10)
        .await
        .expect("claimed");
    let id_of = |to: &str| {
        claimed
            .iter()
            .find(|row| row.to.as_str() == to)
            .map(|row| row.id)
            .expect("claimed row")
    };
    store
        .outbox_sent(id_of("sent-early@example.org"), T0.plus_seconds(610))
        .await
        .expect("sent");
    store
        .outbox_sent(id_of("sent-late@example.org"), T0.plus_seconds(1000))
        .await
        .expect("sent");
    for to in ["failed-early@example.org", "failed-late@example.org"] {
        store
            .outbox_failed(id_of(to), "550 no such user", "550 no such user", None)
            .await
            .expect("given up");
    }
    store
        .outbox_release(id_of("waiting@example.org"), T0.plus_seconds(620), "stopping")
        .await
        .expect("released");
    let mails_before = count_rows(&store, "outbox_mail").await;

    let purged = store
        .purge_finished_outbox(T0.plus_seconds(900), T0.plus_seconds(200), 10)
        .await
        .expect("purged");
    assert_eq!(purged, 2, "the early delivery and the early failure");
    let left: BTreeSet<String> = sqlx::query_scalar::<_, String>("SELECT to_email FROM outbox")
        .fetch_all(store.pool())
        .await
        .expect("listed")
        .into_iter()
        .collect();
    assert_eq!(
        left,
        BTreeSet::from(
            [
                "sent-late@example.org",
                "failed-late@example.org",
                "waiting@example.org"
            ]
            .map(str::to_owned)
        )
    );
    if store.backend() == Backend::Sqlite {
        assert_eq!(
            count_rows(&store, "outbox_mail").await,
            mails_before - 2,
            "their emails went with them"
        );
    }

    // Later cuts, one row a call: oldest first, and the waiting row stays.
    let later = T0.plus_seconds(1_000_000);
    for expected in [1, 1, 0] {
        let purged = store.purge_finished_outbox(later, later, 1).await.expect("purged");
        assert_eq!(purged, expected);
    }
    assert_eq!(
        claim_at(&store, later).await.len(),
        1,
        "the waiting mail is still there to send"
    );
    assert_eq!(count_rows(&store, "outbox").await, 1);
}
