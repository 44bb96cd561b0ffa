//! Account tokens: stored with their hash only, listed per account, found by their
//! public id, revoked only by their own account and only once, their use noted.

use sealpost_domain::account_tokens::{Network, NewAccountToken, TokenScope};
use sealpost_domain::error::DomainError;
use sealpost_domain::ports::AccountTokenStore;
use sealpost_domain::types::{AccountId, Timestamp};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::support::{T0, event, on_both_backends, recent_actions};

on_both_backends!(tokens_are_kept_per_account_found_by_public_id_and_revoked_once_by_their_own_account,);

fn new_token(account: AccountId, public_id: &str) -> NewAccountToken {
    NewAccountToken {
        account_id: account,
        public_id: public_id.to_owned(),
        secret_hash: format!("sha256:{public_id}"),
        name: format!("Token {public_id}"),
        scopes: vec![TokenScope::SmtpSubmission],
        networks: vec![
            Network::parse("192.0.2.0/24").expect("v4"),
            Network::parse("2001:db8::/32").expect("v6"),
        ],
        expires_at: Some(Timestamp(T0.0 + 1_000)),
        created_by: None,
        created_at: T0,
        relay_untagged: public_id == "Zz999999",
    }
}

async fn tokens_are_kept_per_account_found_by_public_id_and_revoked_once_by_their_own_account(store: SqlStore) {
    let ours = account(&store, 4_711_040, None).await.id;
    let theirs = account(&store, 4_711_041, None).await.id;
    let stored = store
        .insert_account_token(&new_token(ours, "Ab-_1234"), event("token.created", "Ab-_1234"))
        .await
        .expect("stored");
    assert_eq!(stored.networks.len(), 2);
    assert_eq!(stored.networks[1].to_string(), "2001:db8::/32");
    assert_eq!(stored.scopes, [TokenScope::SmtpSubmission]);
    let taken = store
        .insert_account_token(&new_token(theirs, "Ab-_1234"), event("token.created", "again"))
        .await;
    assert!(
        matches!(taken, Err(DomainError::Conflict { field: "public_id" })),
        "{taken:?}"
    );
    store
        .insert_account_token(&new_token(theirs, "Zz999999"), event("token.created", "Zz999999"))
        .await
        .expect("theirs");
    let listed = store.account_tokens(ours).await.expect("listed");
    assert_eq!(listed.len(), 1, "only the account's own tokens");
    assert!(!listed[0].relay_untagged);
    let relaying = store.account_tokens(theirs).await.expect("listed");
    assert!(relaying[0].relay_untagged, "the relay option is kept");
    let (found, hash) = store
        .account_token_by_public_id("Ab-_1234")
        .await
        .expect("looked up")
        .expect("found");
    assert_eq!((found.id, hash.as_str()), (stored.id, "sha256:Ab-_1234"));
    assert!(
        store
            .account_token_by_public_id("nope")
            .await
            .expect("looked up")
            .is_none()
    );

    store
        .note_account_token_use(found.id, Timestamp(T0.0 + 5), "192.0.2.9")
        .await
        .expect("noted");
    let noted = &store.account_tokens(ours).await.expect("listed")[0];
    assert_eq!(
        (noted.last_used_at, noted.last_used_from.as_deref()),
        (Some(Timestamp(T0.0 + 5)), Some("192.0.2.9"))
    );

    let cross = store.revoke_account_token(theirs, found.id, T0, event("x", "y")).await;
    assert!(matches!(cross, Err(DomainError::NotFound)), "{cross:?}");
    assert!(
        store.account_tokens(ours).await.expect("listed")[0]
            .revoked_at
            .is_none()
    );
    store
        .revoke_account_token(ours, found.id, T0, event("token.revoked", "Ab-_1234"))
        .await
        .expect("revoked");
    let twice = store.revoke_account_token(ours, found.id, T0, event("x", "y")).await;
    assert!(matches!(twice, Err(DomainError::NotFound)), "{twice:?}");
    assert_eq!(
        recent_actions(&store, 1).await,
        ["token.revoked"],
        "no event for nothing"
    );
}
