//! Account logos: one per account, replaced and removed with their audit event in
//! the same transaction, never another account's; an unknown account changes nothing.

use sealpost_domain::error::DomainError;
use sealpost_domain::ports::BrandingStore;
use sealpost_domain::types::AccountId;
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::support::{T0, event, on_both_backends, recent_actions};

on_both_backends!(a_logo_is_kept_per_account_replaced_and_removed_with_its_audit_event,);

async fn a_logo_is_kept_per_account_replaced_and_removed_with_its_audit_event(store: SqlStore) {
    let ours = account(&store, 4_712_040, None).await.id;
    let theirs = account(&store, 4_712_041, None).await.id;
    assert_eq!(store.account_logo(ours).await.expect("read"), None);
    // Bytes that are not text on either backend (BYTEA / BLOB round trip).
    let first: Vec<u8> = (0..=255).collect();
    store
        .set_account_logo(
            ours,
            Some(first.clone()),
            T0,
            event("account.logo_set", "256 bytes PNG"),
        )
        .await
        .expect("stored");
    store
        .set_account_logo(theirs, Some(vec![7; 10]), T0, event("account.logo_set", "10 bytes PNG"))
        .await
        .expect("theirs");
    assert_eq!(store.account_logo(ours).await.expect("read"), Some(first));
    store
        .set_account_logo(ours, Some(vec![1, 2, 3]), T0, event("account.logo_set", "3 bytes PNG"))
        .await
        .expect("replaced");
    assert_eq!(store.account_logo(ours).await.expect("read"), Some(vec![1, 2, 3]));
    store
        .set_account_logo(ours, None, T0, event("account.logo_removed", ""))
        .await
        .expect("removed");
    assert_eq!(store.account_logo(ours).await.expect("read"), None);
    assert_eq!(
        store.account_logo(theirs).await.expect("read"),
        Some(vec![7; 10]),
        "another account's logo is untouched"
    );
    let missing = store
        .set_account_logo(
            AccountId(9_999_999),
            Some(vec![1]),
            T0,
            event("account.logo_set", "ghost"),
        )
        .await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
    let actions = recent_actions(&store, 10).await;
    assert_eq!(
        actions.iter().filter(|a| a.starts_with("account.logo")).count(),
        4,
        "one event per change, none for the refused one: {actions:?}"
    );
}
