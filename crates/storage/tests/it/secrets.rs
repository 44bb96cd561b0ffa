//! Recipient secrets (No Password Required): stored with their message, found by
//! verifier only for that message, destroyed with its data key on every path
//! (expiry shredding, account deletion) and gone with the message.

use sealpost_domain::messages::StoredRecipientSecret;
use sealpost_domain::ports::{AccountAdminStore, KeyStore, MessageStore, SecretStore};
use sealpost_domain::profiles::SecurityLevel;
use sealpost_storage::SqlStore;

use crate::messages::{count_rows, new_message, send, sender};
use crate::support::{T0, email, event, on_both_backends};

on_both_backends!(
    a_secret_is_found_by_its_verifier_for_its_own_message_only,
    secrets_are_destroyed_with_the_data_key_on_expiry_and_account_deletion,
    a_recipient_without_a_message_row_stores_no_secret,
);

fn stored(address: &str, verifier: u8) -> StoredRecipientSecret {
    StoredRecipientSecret {
        email: email(address),
        // Bytes text columns would mangle.
        verifier: vec![verifier, 0x00, 0xff, 0x80, verifier],
        wrapped_dek: vec![0x00, 0xfe, verifier, 0x00],
    }
}

async fn a_secret_is_found_by_its_verifier_for_its_own_message_only(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let mut first = new_message(acme.id, alice.id, 1, &["bob@example.org", "carol@example.org"], &[]);
    first.security = SecurityLevel::NoPasswordRequired;
    first.secrets = vec![stored("bob@example.org", 1), stored("carol@example.org", 2)];
    let first = send(&store, first).await;
    let mut second = new_message(acme.id, alice.id, 2, &["bob@example.org"], &[]);
    second.security = SecurityLevel::NoPasswordRequired;
    second.secrets = vec![stored("bob@example.org", 3)];
    let second = send(&store, second).await;

    let found = store
        .recipient_secret(first.id, &stored("x@x.example", 2).verifier)
        .await
        .expect("read");
    assert_eq!(found, Some(stored("carol@example.org", 2)));
    // Bob's secret of the second message does not name him on the first.
    let foreign = store
        .recipient_secret(first.id, &stored("x@x.example", 3).verifier)
        .await
        .expect("read");
    assert_eq!(foreign, None);
    assert_eq!(
        store
            .recipient_secret(second.id, &stored("x@x.example", 3).verifier)
            .await
            .expect("read"),
        Some(stored("bob@example.org", 3))
    );
    assert_eq!(store.recipient_secret(second.id, &[]).await.expect("read"), None);
    assert_eq!(count_rows(&store, "recipient_secrets").await, 3);
}

async fn secrets_are_destroyed_with_the_data_key_on_expiry_and_account_deletion(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let (_, other) = sender(&store, "dora@example.com", 1_000_001).await;
    let mut expiring = new_message(acme.id, alice.id, 1, &["bob@example.org"], &[]);
    expiring.expires_at = Some(T0.plus_seconds(10));
    expiring.secrets = vec![stored("bob@example.org", 1)];
    let expiring = send(&store, expiring).await;
    let mut lasting = new_message(acme.id, alice.id, 2, &["bob@example.org"], &[]);
    lasting.secrets = vec![stored("bob@example.org", 2)];
    let lasting = send(&store, lasting).await;
    let mut elsewhere = new_message(other.id, alice.id, 3, &["bob@example.org"], &[]);
    elsewhere.secrets = vec![stored("bob@example.org", 3)];
    let elsewhere = send(&store, elsewhere).await;

    store.shred_expired(T0.plus_seconds(60), 100).await.expect("shredded");
    let verifier = |n: u8| stored("x@x.example", n).verifier;
    // The secret the message keeps for the recipient of verifier `n`, if any.
    let secret = |message, n: u8| {
        let store = &store;
        async move { store.recipient_secret(message, &verifier(n)).await.expect("read") }
    };
    assert_eq!(secret(expiring.id, 1).await, None);
    assert!(secret(lasting.id, 2).await.is_some());

    store
        .delete_account(acme.id, T0.plus_seconds(60), event("account.deleted", "1000000"))
        .await
        .expect("deleted");
    assert_eq!(secret(lasting.id, 2).await, None);
    assert!(
        secret(elsewhere.id, 3).await.is_some(),
        "another account's message keeps its secrets"
    );
    assert_eq!(count_rows(&store, "recipient_secrets").await, 1);
}

async fn a_recipient_without_a_message_row_stores_no_secret(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let mut message = new_message(acme.id, alice.id, 1, &["bob@example.org"], &[]);
    // Listed twice: the whole message is refused, its secrets with it.
    message.secrets = vec![stored("bob@example.org", 1), stored("bob@example.org", 1)];
    let refused = store
        .insert_message(message, Vec::new(), event("message.sent", "01"))
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(count_rows(&store, "recipient_secrets").await, 0);
    assert_eq!(count_rows(&store, "messages").await, 0);
}
