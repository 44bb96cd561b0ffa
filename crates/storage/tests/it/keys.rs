//! Account keys: found by version or newest, a taken version is a conflict; and
//! crypto-shredding, which destroys only the data keys of expired messages.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::AccountKey;
use sealpost_domain::ports::{KeyStore, MessageStore};
use sealpost_domain::types::AccountId;
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::messages::{new_message, public_id, send, sender};
use crate::support::{T0, on_both_backends};

on_both_backends!(
    account_keys_are_found_by_version_or_newest_and_a_taken_version_is_a_conflict,
    shredding_destroys_only_keys_of_messages_expired_before_the_cutoff,
    shredding_respects_its_limit_and_never_reports_a_message_twice,
    the_first_master_key_check_recorded_is_the_one_every_node_reads,
);

async fn the_first_master_key_check_recorded_is_the_one_every_node_reads(store: SqlStore) {
    assert_eq!(store.master_key_check().await.expect("query"), None);
    assert!(store.newest_account_key().await.expect("query").is_none());
    let first = store.keep_master_key_check(&[1, 2, 3], T0).await.expect("kept");
    assert_eq!(first, [1, 2, 3]);
    // A second node starting at the same time loses the race and reads the first.
    let second = store
        .keep_master_key_check(&[9, 9], T0.plus_seconds(1))
        .await
        .expect("kept");
    assert_eq!(second, [1, 2, 3]);
    assert_eq!(store.master_key_check().await.expect("query"), Some(vec![1, 2, 3]));

    let acme = account(&store, 1_000_000, None).await;
    let globex = account(&store, 1_000_001, None).await;
    for (account, at) in [(acme.id, 5), (globex.id, 7), (acme.id, 6)] {
        let version = if at == 6 { 2 } else { 1 };
        store
            .insert_account_key(&AccountKey {
                account_id: account,
                version,
                wrapped: vec![u8::try_from(at).expect("small")],
                created_at: T0.plus_seconds(at),
            })
            .await
            .expect("stored");
    }
    let newest = store.newest_account_key().await.expect("query").expect("a key");
    assert_eq!((newest.account_id, newest.wrapped), (globex.id, vec![7]));
}

async fn account_keys_are_found_by_version_or_newest_and_a_taken_version_is_a_conflict(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    assert!(store.account_key(acme.id, None).await.expect("query").is_none());
    for version in [1, 2] {
        store
            .insert_account_key(&AccountKey {
                account_id: acme.id,
                version,
                wrapped: vec![0x00, 0xff, u8::try_from(version).expect("small")],
                created_at: T0.plus_seconds(version),
            })
            .await
            .expect("stored");
    }
    let newest = store.account_key(acme.id, None).await.expect("query").expect("a key");
    assert_eq!(newest.version, 2);
    assert_eq!(newest.wrapped, [0x00, 0xff, 2]);
    assert_eq!(newest.created_at, T0.plus_seconds(2));
    let first = store.account_key(acme.id, Some(1)).await.expect("query").expect("v1");
    assert_eq!(
        (first.account_id, first.version, first.wrapped),
        (acme.id, 1, vec![0x00, 0xff, 1])
    );
    assert!(store.account_key(acme.id, Some(3)).await.expect("query").is_none());

    let again = store
        .insert_account_key(&AccountKey {
            account_id: acme.id,
            version: 2,
            wrapped: vec![9],
            created_at: T0,
        })
        .await;
    assert!(
        matches!(again, Err(DomainError::Conflict { field: "key_version" })),
        "{again:?}"
    );
    let kept = store.account_key(acme.id, Some(2)).await.expect("query").expect("v2");
    assert_eq!(kept.wrapped, [0x00, 0xff, 2], "the first writer's key stays");

    let unknown = store
        .insert_account_key(&AccountKey {
            account_id: AccountId(9999),
            version: 1,
            wrapped: vec![1],
            created_at: T0,
        })
        .await;
    assert!(matches!(unknown, Err(DomainError::NotFound)), "{unknown:?}");
}

async fn shredding_destroys_only_keys_of_messages_expired_before_the_cutoff(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    for (id, expires) in [(1, Some(10)), (2, Some(20)), (3, None), (4, Some(100)), (5, Some(50))] {
        let mut message = new_message(acme.id, alice.id, id, &["bob@example.org"], &[]);
        message.expires_at = expires.map(|s| T0.plus_seconds(s));
        send(&store, message).await;
    }
    let cutoff = T0.plus_seconds(50);
    let mut shredded = store.shred_expired(cutoff, 100).await.expect("shredded");
    shredded.sort_by_key(|p| p.0);
    assert_eq!(
        shredded,
        [public_id(1), public_id(2)],
        "expiry exactly at the cutoff is kept"
    );
    for (id, has_key) in [(1, false), (2, false), (3, true), (4, true), (5, true)] {
        let message = store.message(&public_id(id)).await.expect("the row stays");
        assert_eq!(message.wrapped_dek.is_some(), has_key, "message {id}");
        assert_eq!(message.sealed_subject.len(), 6, "only the key goes");
    }
    assert!(store.shred_expired(cutoff, 100).await.expect("again").is_empty());
    let later = store.shred_expired(T0.plus_seconds(1000), 100).await.expect("later");
    let mut later: Vec<u8> = later.iter().map(|p| p.0[0]).collect();
    later.sort_unstable();
    assert_eq!(later, [4, 5], "a message without expiry is never shredded");
}

async fn shredding_respects_its_limit_and_never_reports_a_message_twice(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    for id in 1..=5 {
        let mut message = new_message(acme.id, alice.id, id, &["bob@example.org"], &[]);
        message.expires_at = Some(T0.plus_seconds(i64::from(id)));
        send(&store, message).await;
    }
    let cutoff = T0.plus_seconds(100);
    let first = store.shred_expired(cutoff, 2).await.expect("batch 1");
    assert_eq!(first, [public_id(1), public_id(2)], "oldest expiry first");
    let (a, b) = tokio::join!(store.shred_expired(cutoff, 2), store.shred_expired(cutoff, 2));
    let mut rest: Vec<u8> = a
        .expect("batch a")
        .into_iter()
        .chain(b.expect("batch b"))
        .map(|p| p.0[0])
        .collect();
    rest.sort_unstable();
    let last = store.shred_expired(cutoff, 2).await.expect("batch 3");
    rest.extend(last.iter().map(|p| p.0[0]));
    rest.sort_unstable();
    assert_eq!(rest, [3, 4, 5], "every message once, none twice");
}
