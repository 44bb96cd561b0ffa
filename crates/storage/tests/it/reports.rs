//! The Reports tab's counts: per month, an account's messages sent, recipients
//! notified, messages opened, and the registrations and activations of people it
//! had written to; never another account's. The message counts are kept as the
//! writes happen (the outbox's delivery, the first opening), so the test goes
//! through those ports.

use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{AuditStore, MessageStore, MonthCounts, OutboxStore, ReportStore, YearMonth};
use sealpost_domain::types::{AccountId, Timestamp};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::messages::{new_message, send, sender};
use crate::support::{T0, email, event, on_both_backends, user};

on_both_backends!(months_count_each_accounts_messages_and_the_people_it_wrote_to);

/// 2023-11-01 and 2023-12-01 and 2024-01-01, 00:00 UTC (`T0` is 2023-11-14).
const NOVEMBER: Timestamp = Timestamp(1_698_796_800_000);
const DECEMBER: Timestamp = Timestamp(1_701_388_800_000);
const JANUARY: Timestamp = Timestamp(1_704_067_200_000);

async fn person(store: &SqlStore, action: &str, who: &str, at: Timestamp, outcome: &str) {
    let mut event: AuditEvent = event(action, who);
    event.at = at;
    outcome.clone_into(&mut event.outcome);
    store.record_audit(event).await.expect("recorded");
}

/// Delivers every notification of `message` through the outbox, as the worker does.
async fn notify_all(store: &SqlStore, message: i64, at: Timestamp) {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE message_id = $1 AND kind = 'notification'")
        .bind(message)
        .fetch_all(store.pool())
        .await
        .expect("the notifications");
    assert!(!ids.is_empty());
    for id in ids {
        store.outbox_sent(id, at).await.expect("delivered");
        // Twice, as a worker may report it: counted once.
        store.outbox_sent(id, at).await.expect("delivered");
    }
}

async fn counts(store: &SqlStore, account: AccountId, from: Timestamp, until: Timestamp) -> Vec<(String, MonthCounts)> {
    store
        .monthly_counts(account, from, until)
        .await
        .expect("counted")
        .into_iter()
        .map(|(m, c)| (m.iso(), c))
        .collect()
}

async fn months_count_each_accounts_messages_and_the_people_it_wrote_to(store: SqlStore) {
    let (alice, one) = sender(&store, "alice@one.example", 1).await;
    let bob = user(&store, "bob@two.example").await;
    let two = account(&store, 2, Some(bob.id)).await;

    // November: One writes to Carol and Dave, Two to Erin; December: One to Carol.
    let first = send(
        &store,
        new_message(one.id, alice.id, 1, &["carol@x.example", "dave@x.example"], &[]),
    )
    .await;
    let mut later = new_message(one.id, alice.id, 2, &["carol@x.example"], &[]);
    later.created_at = DECEMBER.plus_seconds(60);
    send(&store, later).await;
    let other = send(&store, new_message(two.id, bob.id, 3, &["erin@x.example"], &[])).await;
    notify_all(&store, first.id.0, T0.plus_seconds(5)).await;
    notify_all(&store, other.id.0, T0.plus_seconds(5)).await;
    for _ in 0..2 {
        store
            .mark_opened(
                first.id,
                &email("carol@x.example"),
                T0.plus_seconds(9),
                None,
                event("message.opened", "x"),
            )
            .await
            .expect("opened");
    }
    store
        .mark_opened(
            first.id,
            &email("dave@x.example"),
            T0.plus_seconds(9),
            None,
            event("message.opened", "x"),
        )
        .await
        .expect("opened");

    let hour = 3600;
    // Carol registers twice (one person), Erin once; a refused attempt, a stranger
    // and Dave before anyone wrote to him count for nobody.
    for (action, who, at, outcome) in [
        ("user.registered", "carol@x.example", T0.plus_seconds(hour), "ok"),
        ("user.registered", "carol@x.example", T0.plus_seconds(2 * hour), "ok"),
        (
            "user.registered",
            "carol@x.example",
            T0.plus_seconds(2 * hour),
            "rate_limited",
        ),
        ("user.registered", "erin@x.example", T0.plus_seconds(hour), "ok"),
        ("user.registered", "frank@x.example", T0.plus_seconds(hour), "ok"),
        ("user.registered", "dave@x.example", T0.plus_seconds(-hour), "ok"),
        // Carol activates in December.
        ("user.activated", "carol@x.example", DECEMBER.plus_seconds(hour), "ok"),
    ] {
        person(&store, action, who, at, outcome).await;
    }

    let november = MonthCounts {
        sent: 1,
        notified: 2,
        opened: 1,
        registrations: 1,
        activations: 0,
    };
    let december = MonthCounts {
        sent: 1,
        activations: 1,
        ..MonthCounts::default()
    };
    assert_eq!(
        counts(&store, one.id, NOVEMBER, JANUARY).await,
        vec![("2023-11".to_owned(), november), ("2023-12".to_owned(), december)]
    );
    assert_eq!(
        counts(&store, two.id, NOVEMBER, JANUARY).await,
        vec![(
            "2023-11".to_owned(),
            MonthCounts {
                sent: 1,
                notified: 1,
                registrations: 1,
                ..MonthCounts::default()
            }
        )]
    );
    // The range is the range: December alone, and nothing before November.
    assert_eq!(
        counts(&store, one.id, DECEMBER, JANUARY).await,
        vec![("2023-12".to_owned(), december)]
    );
    assert!(counts(&store, one.id, Timestamp(0), NOVEMBER).await.is_empty());
    assert_eq!(YearMonth::of(DECEMBER).iso(), "2023-12");
}
