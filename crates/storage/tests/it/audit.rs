//! The audit trail: what is written, in which order it is read back.

use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::AuditStore;
use sealpost_domain::types::{AccountId, Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::support::{T0, on_both_backends};

on_both_backends!(
    audit_events_read_back_newest_first_and_filtered_by_account,
    audit_event_fields_round_trip,
);

fn event(action: &str, account: Option<AccountId>, at: i64) -> AuditEvent {
    AuditEvent {
        at: Timestamp(at),
        actor: None,
        account_id: account,
        action: action.to_owned(),
        target: String::new(),
        ip: None,
        outcome: "ok".to_owned(),
    }
}

async fn audit_events_read_back_newest_first_and_filtered_by_account(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let other = account(&store, 2_000_000, None).await;
    for (action, account) in [
        ("one", Some(acme.id)),
        ("two", None),
        ("three", Some(other.id)),
        ("four", Some(acme.id)),
    ] {
        // The same instant for all: order comes from insertion, not the clock.
        store
            .record_audit(event(action, account, T0.0))
            .await
            .expect("recorded");
    }
    let actions = |events: Vec<AuditEvent>| -> Vec<String> { events.into_iter().map(|e| e.action).collect() };
    assert_eq!(
        actions(store.list_audit(Some(acme.id), 10).await.expect("listed")),
        ["four", "one", "account.created"]
    );
    assert_eq!(
        actions(store.list_audit(None, 10).await.expect("listed")),
        ["four", "three", "two", "one", "account.created", "account.created"]
    );
    assert_eq!(
        actions(store.list_audit(None, 2).await.expect("listed")),
        ["four", "three"]
    );
    assert!(
        store
            .list_audit(Some(AccountId(9999)), 10)
            .await
            .expect("listed")
            .is_empty()
    );
}

async fn audit_event_fields_round_trip(store: SqlStore) {
    let full = AuditEvent {
        at: Timestamp(T0.0 + 7),
        actor: Some(UserId(17)),
        account_id: Some(AccountId(23)),
        action: "group.member_added".to_owned(),
        target: "alice@example.com → Finance".to_owned(),
        ip: Some("2001:db8::1".to_owned()),
        outcome: "refused".to_owned(),
    };
    store.record_audit(full.clone()).await.expect("recorded");
    store.record_audit(event("bare", None, T0.0)).await.expect("recorded");
    let listed = store.list_audit(None, 10).await.expect("listed");
    assert_eq!(listed.len(), 2);
    let bare = &listed[0];
    assert_eq!((bare.actor, bare.account_id, bare.ip.as_deref()), (None, None, None));
    let read = &listed[1];
    assert_eq!(read.at, full.at);
    assert_eq!(read.actor, full.actor);
    assert_eq!(read.account_id, full.account_id);
    assert_eq!(read.action, full.action);
    assert_eq!(read.target, full.target);
    assert_eq!(read.ip, full.ip);
    assert_eq!(read.outcome, full.outcome);
}
