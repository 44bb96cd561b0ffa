//! Uploads in progress: noted before the first blob, forgotten when their message
//! is stored or their draft discarded, and listed once stale.

use sealpost_domain::ports::UploadStore;
use sealpost_storage::SqlStore;

use crate::messages::{new_message, public_id, send, sender};
use crate::support::{T0, on_both_backends};

on_both_backends!(uploads_are_noted_until_their_message_is_stored_or_they_are_forgotten,);

async fn uploads_are_noted_until_their_message_is_stored_or_they_are_forgotten(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    for id in [1, 2, 3] {
        store
            .begin_upload(&public_id(id), T0.plus_seconds(i64::from(id)))
            .await
            .expect("noted");
    }
    store
        .begin_upload(&public_id(1), T0.plus_seconds(99))
        .await
        .expect("noting twice is harmless");
    assert_eq!(
        store.stale_uploads(T0.plus_seconds(3)).await.expect("listed"),
        [public_id(1), public_id(2)],
        "begun before the cutoff, oldest first, with the first start kept"
    );

    // Storing the message ends its upload in the same transaction.
    send(&store, new_message(acme.id, alice.id, 2, &["bob@example.org"], &[])).await;
    store.end_upload(&public_id(3)).await.expect("forgotten");
    store
        .end_upload(&public_id(3))
        .await
        .expect("forgetting twice is harmless");
    assert_eq!(
        store.stale_uploads(T0.plus_seconds(1_000)).await.expect("listed"),
        [public_id(1)],
        "only the upload that became nothing is left"
    );
}
