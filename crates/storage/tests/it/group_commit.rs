//! Writes made at once and committed together (group commit): messages stored by
//! many senders at the same moment, and rows claimed and deliveries recorded by
//! many outbox lanes.
//! Each caller gets its own answer (one failing does not fail the others), and
//! everything each write carries is there, counted once, in the Reports tab too.

use futures_util::future::join_all;
use sealpost_domain::error::DomainError;
use sealpost_domain::ports::{MessageStore, OutboxStore, ReportStore};
use sealpost_domain::types::Timestamp;
use sealpost_storage::SqlStore;

use crate::messages::{new_message, notification, public_id, send, sender};
use crate::support::{T0, event, on_both_backends, recent_actions};

on_both_backends!(
    messages_stored_at_once_each_get_their_own_row_recipients_and_notifications,
    deliveries_recorded_at_once_each_mark_their_row_and_count_once,
    lanes_claiming_at_once_each_get_a_row_of_their_own_while_rows_are_due,
);

/// Twelve messages at once (one with a public id already taken): eleven stored,
/// each read back as itself with its recipients in order and its notifications
/// queued; the twelfth refused alone, leaving nothing.
async fn messages_stored_at_once_each_get_their_own_row_recipients_and_notifications(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    send(&store, new_message(acme.id, alice.id, 1, &["first@example.org"], &[])).await;
    let pending_before = store.outbox_pending().await.expect("counted");

    let sends = (1..=12_u8).map(|n| {
        let store = store.clone();
        // Message 1's public id is taken: that one must fail on its own.
        let to = [format!("to{n}@example.org"), format!("also{n}@example.org")];
        let message = new_message(
            acme.id,
            alice.id,
            n,
            &[&to[0], &to[1]],
            &[&format!("cc{n}@example.net")],
        );
        let notifications = message
            .recipients
            .iter()
            .map(|(to, _)| notification(to.as_str()))
            .collect();
        async move {
            store
                .insert_message(message, notifications, event("message.sent", &format!("m{n}")))
                .await
        }
    });
    let answers = join_all(sends).await;

    assert!(
        matches!(answers[0], Err(DomainError::Conflict { field: "public_id" })),
        "{:?}",
        answers[0]
    );
    for (n, answer) in (1..=12_u8).zip(&answers).skip(1) {
        let stored = answer.as_ref().unwrap_or_else(|e| panic!("message {n}: {e:?}"));
        assert_eq!(stored.public_id, public_id(n), "each caller gets its own message back");
        assert_eq!(stored.sender_email.as_str(), "alice@example.com");
        let recipients: Vec<String> = store
            .recipients(stored.id)
            .await
            .expect("recipients")
            .into_iter()
            .map(|r| r.email.to_string())
            .collect();
        assert_eq!(
            recipients,
            [
                format!("to{n}@example.org"),
                format!("also{n}@example.org"),
                format!("cc{n}@example.net")
            ]
        );
    }
    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        pending_before + 11 * 3,
        "three notifications for each message stored, none for the refused one"
    );
    let sent = recent_actions(&store, 40)
        .await
        .into_iter()
        .filter(|a| a == "message.sent")
        .count();
    assert_eq!(sent, 12, "the first message and the eleven stored at once are audited");
    let counts = store
        .monthly_counts(acme.id, Timestamp(0), T0.plus_seconds(86_400))
        .await
        .expect("counted");
    let total: u64 = counts.iter().map(|(_, c)| c.sent).sum();
    assert_eq!(total, 12, "the Reports tab counts each message stored once: {counts:?}");
}

/// Every notification of three messages delivered and recorded at once, some
/// twice (a worker may report a delivery again), and one unknown row: each row
/// is sent with its recipient notified, the unknown one alone is `NotFound`, and
/// the Reports tab counts each recipient notified once.
async fn deliveries_recorded_at_once_each_mark_their_row_and_count_once(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let mut messages = Vec::new();
    for n in 1..=3_u8 {
        let to = format!("to{n}@example.org");
        let cc = format!("cc{n}@example.net");
        messages.push(send(&store, new_message(acme.id, alice.id, n, &[&to], &[&cc])).await);
    }
    let claimed = store.claim_outbox(T0, T0.plus_seconds(60), 100).await.expect("claimed");
    assert_eq!(claimed.len(), 6);
    let at = T0.plus_seconds(30);

    let mut records: Vec<i64> = claimed.iter().map(|item| item.id).collect();
    records.extend([claimed[0].id, claimed[3].id]);
    records.insert(4, 999_999);
    let answers = join_all(records.iter().map(|&id| {
        let store = store.clone();
        async move { (id, store.outbox_sent(id, at).await) }
    }))
    .await;

    for (id, answer) in &answers {
        if *id == 999_999 {
            assert!(matches!(answer, Err(DomainError::NotFound)), "{answer:?}");
        } else {
            assert!(answer.is_ok(), "row {id}: {answer:?}");
        }
    }
    assert_eq!(store.outbox_pending().await.expect("counted"), 0, "every row is sent");
    for message in &messages {
        let recipients = store.recipients(message.id).await.expect("recipients");
        assert!(recipients.iter().all(|r| r.notified_at == Some(at)), "{recipients:?}");
    }
    let counts = store
        .monthly_counts(acme.id, Timestamp(0), T0.plus_seconds(86_400))
        .await
        .expect("counted");
    let notified: u64 = counts.iter().map(|(_, c)| c.notified).sum();
    assert_eq!(notified, 6, "each recipient notified counts once: {counts:?}");
}

/// Five lanes claim one row each at the same moment with three rows due: three
/// get a row each, no row twice, two get nothing; every row is leased, and the
/// next claims find nothing until the lease runs out.
async fn lanes_claiming_at_once_each_get_a_row_of_their_own_while_rows_are_due(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    send(
        &store,
        new_message(
            acme.id,
            alice.id,
            1,
            &["a@example.org", "b@example.org", "c@example.org"],
            &[],
        ),
    )
    .await;
    let lease_until = T0.plus_seconds(60);

    let claims = join_all((0..5).map(|_| {
        let store = store.clone();
        async move { store.claim_outbox(T0, lease_until, 1).await }
    }))
    .await;

    let mut claimed: Vec<String> = Vec::new();
    for claim in claims {
        let items = claim.expect("claimed");
        assert!(items.len() <= 1, "a lane asked for one row: {items:?}");
        claimed.extend(items.into_iter().map(|item| item.to.to_string()));
    }
    claimed.sort();
    assert_eq!(claimed, ["a@example.org", "b@example.org", "c@example.org"]);
    assert!(
        store
            .claim_outbox(T0.plus_seconds(59), lease_until, 1)
            .await
            .expect("claimed")
            .is_empty()
    );
    assert_eq!(
        store
            .claim_outbox(lease_until, lease_until.plus_seconds(60), 10)
            .await
            .expect("claimed")
            .len(),
        3
    );
}
