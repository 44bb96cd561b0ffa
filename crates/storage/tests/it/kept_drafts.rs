//! Refused drafts waiting for their corrected form: taken back once, by their
//! sender only, one per sender, purged when old; their uploads are not stale
//! while they wait.

use sealpost_domain::ports::{KeptDraftRecord, KeptDraftStore, UploadStore};
use sealpost_domain::types::{AccountId, Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::messages::{public_id, sender};
use crate::support::{T0, on_both_backends, user};

fn kept(token: &str, id: u8, sender: UserId, account: AccountId, at: Timestamp) -> KeptDraftRecord {
    KeptDraftRecord {
        token_hash: format!("sha256:{token}"),
        public_id: public_id(id),
        sender_id: sender,
        account_id: account,
        key_version: 1,
        wrapped_dek: vec![7; 40],
        sealed: vec![9; 64],
        kept_at: at,
    }
}

on_both_backends!(a_kept_draft_is_taken_back_once_by_its_sender_only,);

async fn a_kept_draft_is_taken_back_once_by_its_sender_only(store: SqlStore) {
    let (alice, acme) = sender(&store, "alice@example.com", 1_000_000).await;
    let bob = user(&store, "bob@example.com").await;
    // What `user` takes back with the token whose hash is `token_hash`, if anything.
    let take = |token_hash: &'static str, user: UserId| {
        let store = &store;
        async move { store.take_kept_draft(token_hash, user).await.expect("asked") }
    };
    store.begin_upload(&public_id(1), T0).await.expect("noted");
    let removed = store
        .keep_draft(kept("one", 1, alice.id, acme.id, T0), T0.plus_seconds(-3600))
        .await
        .expect("kept");
    assert!(removed.is_empty());
    assert!(
        store
            .stale_uploads(T0.plus_seconds(86_400))
            .await
            .expect("listed")
            .is_empty(),
        "a kept draft's upload waits for the draft"
    );
    assert!(
        take("sha256:one", bob.id).await.is_none(),
        "another user's token finds nothing"
    );
    let taken = take("sha256:one", alice.id).await.expect("found");
    assert_eq!(
        (
            taken.public_id,
            taken.account_id,
            taken.key_version,
            taken.wrapped_dek,
            taken.sealed,
            taken.kept_at
        ),
        (public_id(1), acme.id, 1, vec![7; 40], vec![9; 64], T0)
    );
    assert!(take("sha256:one", alice.id).await.is_none(), "taken back once");
    assert_eq!(
        store.stale_uploads(T0.plus_seconds(86_400)).await.expect("listed"),
        [public_id(1)],
        "taken back, its upload is the draft's again"
    );

    // One per sender: keeping another hands back the older.
    store
        .keep_draft(kept("two", 2, alice.id, acme.id, T0), T0.plus_seconds(-3600))
        .await
        .expect("kept");
    let replaced = store
        .keep_draft(
            kept("three", 3, alice.id, acme.id, T0.plus_seconds(100)),
            T0.plus_seconds(-3600),
        )
        .await
        .expect("kept");
    assert_eq!(replaced, [public_id(2)]);
    store
        .keep_draft(kept("four", 4, bob.id, acme.id, T0), T0.plus_seconds(-3600))
        .await
        .expect("kept");
    assert_eq!(
        store.purge_kept_drafts(T0.plus_seconds(50)).await.expect("purged"),
        [public_id(4)],
        "only what was kept before the cutoff"
    );
    assert!(take("sha256:three", alice.id).await.is_some());
}
