//! What happens to a stored message: first opening and read receipts, page views
//! at once, locking and expiry.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{MailKind, MessageId};
use sealpost_domain::ports::{MessageStore, OutboxStore};
use sealpost_domain::types::Timestamp;
use sealpost_storage::SqlStore;

use crate::messages::{mail, new_message, public_id, send, sender};
use crate::support::{T0, email, event, on_both_backends, recent_actions};

on_both_backends!(
    first_opening_is_recorded_once_and_queues_one_receipt,
    opening_by_someone_not_a_recipient_changes_nothing_but_is_audited,
    opening_an_unknown_message_is_not_found,
    lock_with_reason_and_unlock_round_trip_with_audit,
    expiry_is_set_moved_and_removed,
    locking_or_expiring_an_unknown_message_is_not_found_and_not_audited,
    page_views_at_once_are_each_recorded_and_answered_on_their_own,
);

async fn first_opening_is_recorded_once_and_queues_one_receipt(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = send(
        &store,
        new_message(acme.id, alice.id, 1, &["bob@example.org", "carol@example.net"], &[]),
    )
    .await;
    let before = store.outbox_pending().await.expect("counted");
    let bob = email("bob@example.org");
    let receipt = || Some(mail(MailKind::ReadReceipt, "alice@example.com", Some(stored.id)));

    let opened_at = T0.plus_seconds(100);
    let first = store
        .mark_opened(stored.id, &bob, opened_at, receipt(), event("message.opened", "1"))
        .await
        .expect("recorded");
    assert!(first, "the first opening is reported as such");
    let again = store
        .mark_opened(
            stored.id,
            &bob,
            T0.plus_seconds(200),
            receipt(),
            event("message.opened", "2"),
        )
        .await
        .expect("recorded");
    assert!(!again, "a second opening is not the first");

    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        before + 1,
        "one receipt only"
    );
    let recipients = store.recipients(stored.id).await.expect("recipients");
    assert_eq!(recipients[0].opened_at, Some(opened_at), "the first time is kept");
    assert_eq!(recipients[1].opened_at, None, "carol has not opened it");
    assert_eq!(recent_actions(&store, 2).await, ["message.opened", "message.opened"]);

    let claimed = store
        .claim_outbox(T0.plus_seconds(300), T0.plus_seconds(360), 10)
        .await
        .expect("claimed");
    let receipts: Vec<_> = claimed.iter().filter(|i| i.kind == MailKind::ReadReceipt).collect();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].to.as_str(), "alice@example.com");
    assert_eq!(receipts[0].message, Some(stored.id));

    let carol_first = store
        .mark_opened(
            stored.id,
            &email("carol@example.net"),
            T0.plus_seconds(400),
            None,
            event("message.opened", "3"),
        )
        .await
        .expect("recorded");
    assert!(carol_first, "each recipient has their own first opening");
}

async fn opening_by_someone_not_a_recipient_changes_nothing_but_is_audited(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = send(&store, new_message(acme.id, alice.id, 1, &["bob@example.org"], &[])).await;
    let before = store.outbox_pending().await.expect("counted");
    let first = store
        .mark_opened(
            stored.id,
            &email("alice@example.com"),
            T0,
            Some(mail(MailKind::ReadReceipt, "alice@example.com", None)),
            event("message.viewed_by_sender", "1"),
        )
        .await
        .expect("recorded");
    assert!(!first);
    assert_eq!(store.outbox_pending().await.expect("counted"), before, "no receipt");
    assert_eq!(recent_actions(&store, 1).await, ["message.viewed_by_sender"]);
    assert!(
        store.recipients(stored.id).await.expect("recipients")[0]
            .opened_at
            .is_none()
    );
}

async fn opening_an_unknown_message_is_not_found(store: SqlStore) {
    let result = store
        .mark_opened(
            MessageId(9999),
            &email("bob@example.org"),
            T0,
            None,
            event("message.opened", "x"),
        )
        .await;
    assert!(matches!(result, Err(DomainError::NotFound)), "{result:?}");
    assert!(recent_actions(&store, 1).await.is_empty(), "nothing was audited");
}

async fn lock_with_reason_and_unlock_round_trip_with_audit(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = send(&store, new_message(acme.id, alice.id, 1, &["bob@example.org"], &[])).await;
    let locked_at = T0.plus_seconds(60);
    store
        .set_lock(
            stored.id,
            Some((locked_at, "Sent to the wrong person — please delete".to_owned())),
            event("message.locked", "1"),
        )
        .await
        .expect("locked");
    let locked = store.message(&public_id(1)).await.expect("found");
    assert_eq!(locked.locked_at, Some(locked_at));
    assert_eq!(
        locked.lock_reason.as_deref(),
        Some("Sent to the wrong person — please delete")
    );

    store
        .set_lock(stored.id, None, event("message.unlocked", "1"))
        .await
        .expect("unlocked");
    let unlocked = store.message(&public_id(1)).await.expect("found");
    assert_eq!(unlocked.locked_at, None);
    assert_eq!(unlocked.lock_reason, None);
    assert!(unlocked.wrapped_dek.is_some(), "locking never touches the key");
    assert_eq!(recent_actions(&store, 2).await, ["message.unlocked", "message.locked"]);
}

async fn expiry_is_set_moved_and_removed(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let stored = send(&store, new_message(acme.id, alice.id, 1, &["bob@example.org"], &[])).await;
    let at = T0.plus_seconds(3600);
    store
        .set_expiry(stored.id, Some(at), event("message.expiry_set", "1"))
        .await
        .expect("set");
    let found = store.message_by_id(stored.id).await.expect("found");
    assert_eq!(found.expires_at, Some(at));
    assert!(!found.expired(Timestamp(at.0 - 1)));
    assert!(found.expired(at));

    let later = at.plus_seconds(86_400);
    store
        .set_expiry(stored.id, Some(later), event("message.expiry_extended", "1"))
        .await
        .expect("moved");
    assert_eq!(
        store.message_by_id(stored.id).await.expect("found").expires_at,
        Some(later)
    );
    store
        .set_expiry(stored.id, None, event("message.expiry_removed", "1"))
        .await
        .expect("removed");
    assert_eq!(store.message_by_id(stored.id).await.expect("found").expires_at, None);
    assert_eq!(
        recent_actions(&store, 3).await,
        [
            "message.expiry_removed",
            "message.expiry_extended",
            "message.expiry_set"
        ]
    );
}

async fn locking_or_expiring_an_unknown_message_is_not_found_and_not_audited(store: SqlStore) {
    let locked = store
        .set_lock(
            MessageId(9999),
            Some((T0, "why".to_owned())),
            event("message.locked", "x"),
        )
        .await;
    assert!(matches!(locked, Err(DomainError::NotFound)), "{locked:?}");
    let expired = store
        .set_expiry(MessageId(9999), Some(T0), event("message.expiry_set", "x"))
        .await;
    assert!(matches!(expired, Err(DomainError::NotFound)), "{expired:?}");
    assert!(recent_actions(&store, 1).await.is_empty());
}

/// Many page views at once: each gets its own answer, a view of an unknown message
/// fails alone, and every view is recorded.
async fn page_views_at_once_are_each_recorded_and_answered_on_their_own(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let readers: Vec<String> = (0..12).map(|i| format!("reader{i}@example.org")).collect();
    let to: Vec<&str> = readers.iter().map(String::as_str).collect();
    let stored = send(&store, new_message(acme.id, alice.id, 1, &to, &[])).await;
    let before = store.outbox_pending().await.expect("counted");

    let view = |message: MessageId, reader: &str| {
        let store = store.clone();
        let reader = email(reader);
        let receipt = Some(mail(MailKind::ReadReceipt, "alice@example.com", Some(message)));
        async move {
            store
                .mark_opened(message, &reader, T0, receipt, event("message.opened", reader.as_str()))
                .await
        }
    };
    // Every reader looks twice, all at once, and someone asks for a message that
    // does not exist in the middle of it.
    let mut views: Vec<_> = readers
        .iter()
        .flat_map(|r| [view(stored.id, r), view(stored.id, r)])
        .collect();
    views.insert(7, view(MessageId(999_999), "reader0@example.org"));
    let answers = futures_util::future::join_all(views).await;

    assert!(matches!(answers[7], Err(DomainError::NotFound)), "{:?}", answers[7]);
    let firsts = answers.iter().filter(|a| matches!(a, Ok(true))).count();
    let agains = answers.iter().filter(|a| matches!(a, Ok(false))).count();
    assert_eq!((firsts, agains), (12, 12), "one first opening per reader: {answers:?}");
    assert_eq!(
        store.outbox_pending().await.expect("counted"),
        before + 12,
        "one receipt per reader"
    );
    let opened = recent_actions(&store, 100).await;
    assert_eq!(
        opened.iter().filter(|a| *a == "message.opened").count(),
        24,
        "every view of the real message is audited, the unknown one is not"
    );
    let recipients = store.recipients(stored.id).await.expect("recipients");
    assert!(recipients.iter().all(|r| r.opened_at == Some(T0)));
}
