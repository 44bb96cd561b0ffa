//! Registration and one-time tokens: pending users refreshed until activated,
//! tokens that work once, for one purpose, before they expire.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{MailKind, MessageStore, TokenPurpose};
use sealpost_domain::model::{NewUser, UserStatus};
use sealpost_domain::ports::Store;
use sealpost_domain::types::{Locale, Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::messages::{count_rows, mail};
use crate::support::{T0, email, event, new_user, on_both_backends, recent_actions, user};

on_both_backends!(
    registering_creates_a_pending_user,
    registering_again_refreshes_the_pending_users_names_language_and_password,
    registering_an_active_or_locked_address_is_a_conflict_and_changes_nothing,
    concurrent_registrations_of_one_address_leave_one_pending_user,
    activation_makes_a_pending_user_active_once,
    activation_never_unlocks_a_locked_user,
    token_is_stored_with_its_mail_and_works_once,
    token_for_another_purpose_is_refused,
    expired_token_is_refused,
    token_user_looks_without_using_the_token_up,
    simultaneous_uses_of_one_token_succeed_once,
    duplicate_or_orphan_token_is_refused_and_mails_nothing,
);

fn registration(address: &str, first: &str, locale: Locale, hash: &str) -> NewUser {
    NewUser {
        first_name: first.to_owned(),
        last_name: "Recipient".to_owned(),
        password_hash: Some(hash.to_owned()),
        // The store decides: a registration is always pending.
        status: UserStatus::Active,
        locale: Some(locale),
        ..new_user(address)
    }
}

async fn password_hash(store: &SqlStore, address: &str) -> Option<String> {
    store
        .credentials_by_email(&email(address))
        .await
        .expect("query")
        .expect("the user exists")
        .password_hash
}

async fn registering_creates_a_pending_user(store: SqlStore) {
    let registered = store
        .upsert_pending_user(registration("bob@example.org", "Bob", Locale::Fr, "$hash1"))
        .await
        .expect("registered");
    assert_eq!(registered.email.as_str(), "bob@example.org");
    assert_eq!(registered.status, UserStatus::Pending);
    assert_eq!(registered.first_name, "Bob");
    assert_eq!(registered.locale, Some(Locale::Fr));
    assert!(!registered.operator);
    let found = store.user_by_id(registered.id).await.expect("found");
    assert_eq!(found.status, UserStatus::Pending);
    assert_eq!(
        password_hash(&store, "bob@example.org").await.as_deref(),
        Some("$hash1")
    );
}

async fn registering_again_refreshes_the_pending_users_names_language_and_password(store: SqlStore) {
    let first = store
        .upsert_pending_user(registration("bob@example.org", "Bob", Locale::Fr, "$hash1"))
        .await
        .expect("registered");
    let again = store
        .upsert_pending_user(registration("bob@example.org", "Robert", Locale::De, "$hash2"))
        .await
        .expect("registered again");
    assert_eq!(again.id, first.id, "the same user");
    assert_eq!(again.first_name, "Robert");
    assert_eq!(again.locale, Some(Locale::De));
    assert_eq!(again.status, UserStatus::Pending);
    assert_eq!(
        password_hash(&store, "bob@example.org").await.as_deref(),
        Some("$hash2")
    );
    assert_eq!(store.count_users().await.expect("counted"), 1);
}

async fn registering_an_active_or_locked_address_is_a_conflict_and_changes_nothing(store: SqlStore) {
    let active = user(&store, "alice@example.com").await;
    let mut locked = new_user("mallory@example.com");
    locked.status = UserStatus::Locked;
    store.insert_user(locked, None).await.expect("inserted");

    for address in ["alice@example.com", "mallory@example.com"] {
        let result = store
            .upsert_pending_user(registration(address, "Eve", Locale::Fr, "$attacker"))
            .await;
        assert!(
            matches!(result, Err(DomainError::Conflict { field: "email" })),
            "{result:?}"
        );
        let kept = store
            .user_by_email(&email(address))
            .await
            .expect("query")
            .expect("exists");
        assert_eq!(kept.first_name, "Alex", "names unchanged");
        assert_ne!(password_hash(&store, address).await.as_deref(), Some("$attacker"));
    }
    assert_eq!(
        store.user_by_id(active.id).await.expect("found").status,
        UserStatus::Active
    );
}

async fn concurrent_registrations_of_one_address_leave_one_pending_user(store: SqlStore) {
    let (a, b) = tokio::join!(
        store.upsert_pending_user(registration("bob@example.org", "Bob", Locale::Fr, "$a")),
        store.upsert_pending_user(registration("bob@example.org", "Bob", Locale::Fr, "$b"))
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.id, b.id);
    assert_eq!(store.count_users().await.expect("counted"), 1);
}

async fn activation_makes_a_pending_user_active_once(store: SqlStore) {
    let pending = store
        .upsert_pending_user(registration("bob@example.org", "Bob", Locale::En, "$h"))
        .await
        .expect("registered");
    store
        .activate_user(pending.id, event("user.activated", "bob@example.org"))
        .await
        .expect("activated");
    assert_eq!(
        store.user_by_id(pending.id).await.expect("found").status,
        UserStatus::Active
    );
    assert_eq!(recent_actions(&store, 5).await, ["user.activated"]);

    store
        .activate_user(pending.id, event("user.activated", "again"))
        .await
        .expect("activating twice is harmless");
    assert_eq!(
        recent_actions(&store, 5).await,
        ["user.activated"],
        "nothing changed, nothing recorded"
    );
    let again = store
        .upsert_pending_user(registration("bob@example.org", "Eve", Locale::En, "$x"))
        .await;
    assert!(
        matches!(again, Err(DomainError::Conflict { field: "email" })),
        "an active user cannot be registered over: {again:?}"
    );
    let missing = store.activate_user(UserId(9999), event("user.activated", "x")).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}

async fn activation_never_unlocks_a_locked_user(store: SqlStore) {
    let mut locked = new_user("mallory@example.com");
    locked.status = UserStatus::Locked;
    let locked = store.insert_user(locked, None).await.expect("inserted");
    let result = store.activate_user(locked.id, event("user.activated", "x")).await;
    assert!(matches!(result, Err(DomainError::Forbidden)), "{result:?}");
    assert_eq!(
        store.user_by_id(locked.id).await.expect("found").status,
        UserStatus::Locked
    );
    assert!(recent_actions(&store, 1).await.is_empty());
}

async fn token_is_stored_with_its_mail_and_works_once(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    let expires = T0.plus_seconds(3600);
    store
        .insert_token(
            "sha256:abc",
            bob.id,
            TokenPurpose::PasswordReset,
            expires,
            mail(MailKind::PasswordReset, "bob@example.org", None),
        )
        .await
        .expect("stored");
    let queued = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].kind, MailKind::PasswordReset);

    let now = T0.plus_seconds(60);
    let used = store
        .consume_token("sha256:abc", TokenPurpose::PasswordReset, now)
        .await
        .expect("query");
    assert_eq!(used, Some(bob.id));
    let twice = store
        .consume_token("sha256:abc", TokenPurpose::PasswordReset, now)
        .await
        .expect("query");
    assert_eq!(twice, None, "a token works once");
    assert_eq!(
        store
            .token_user("sha256:abc", TokenPurpose::PasswordReset, now)
            .await
            .expect("query"),
        None,
        "a used token is not live"
    );
    assert_eq!(
        store
            .consume_token("sha256:unknown", TokenPurpose::PasswordReset, now)
            .await
            .expect("query"),
        None
    );
}

async fn token_for_another_purpose_is_refused(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    store
        .insert_token(
            "sha256:act",
            bob.id,
            TokenPurpose::Activation,
            T0.plus_seconds(3600),
            mail(MailKind::Activation, "bob@example.org", None),
        )
        .await
        .expect("stored");
    let wrong = store
        .consume_token("sha256:act", TokenPurpose::PasswordReset, T0)
        .await
        .expect("query");
    assert_eq!(wrong, None);
    let right = store
        .consume_token("sha256:act", TokenPurpose::Activation, T0)
        .await
        .expect("query");
    assert_eq!(right, Some(bob.id), "the refusal did not use the token up");
}

async fn expired_token_is_refused(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    let expires = T0.plus_seconds(3600);
    store
        .insert_token(
            "sha256:old",
            bob.id,
            TokenPurpose::Activation,
            expires,
            mail(MailKind::Activation, "bob@example.org", None),
        )
        .await
        .expect("stored");
    for at in [expires, expires.plus_seconds(1)] {
        assert_eq!(
            store
                .token_user("sha256:old", TokenPurpose::Activation, at)
                .await
                .expect("query"),
            None
        );
        assert_eq!(
            store
                .consume_token("sha256:old", TokenPurpose::Activation, at)
                .await
                .expect("query"),
            None,
            "a token is over at its expiry instant"
        );
    }
    let just_before = Timestamp(expires.0 - 1);
    assert_eq!(
        store
            .consume_token("sha256:old", TokenPurpose::Activation, just_before)
            .await
            .expect("query"),
        Some(bob.id)
    );
}

async fn token_user_looks_without_using_the_token_up(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    store
        .insert_token(
            "sha256:look",
            bob.id,
            TokenPurpose::PasswordReset,
            T0.plus_seconds(3600),
            mail(MailKind::PasswordReset, "bob@example.org", None),
        )
        .await
        .expect("stored");
    for _ in 0..2 {
        assert_eq!(
            store
                .token_user("sha256:look", TokenPurpose::PasswordReset, T0)
                .await
                .expect("query"),
            Some(bob.id)
        );
    }
    assert_eq!(
        store
            .token_user("sha256:look", TokenPurpose::Activation, T0)
            .await
            .expect("query"),
        None,
        "another purpose"
    );
    assert_eq!(
        store
            .consume_token("sha256:look", TokenPurpose::PasswordReset, T0)
            .await
            .expect("query"),
        Some(bob.id)
    );
}

async fn simultaneous_uses_of_one_token_succeed_once(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    for i in 0..5 {
        store
            .insert_token(
                &format!("sha256:race{i}"),
                bob.id,
                TokenPurpose::Activation,
                T0.plus_seconds(3600),
                mail(MailKind::Activation, "bob@example.org", None),
            )
            .await
            .expect("stored");
    }
    for i in 0..5 {
        let hash = format!("sha256:race{i}");
        let (a, b, c) = tokio::join!(
            store.consume_token(&hash, TokenPurpose::Activation, T0),
            store.consume_token(&hash, TokenPurpose::Activation, T0),
            store.consume_token(&hash, TokenPurpose::Activation, T0)
        );
        let successes = [a, b, c]
            .into_iter()
            .filter(|r| r.as_ref().expect("query").is_some())
            .count();
        assert_eq!(successes, 1, "token {i}");
    }
}

async fn duplicate_or_orphan_token_is_refused_and_mails_nothing(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    let expires = T0.plus_seconds(3600);
    store
        .insert_token(
            "sha256:dup",
            bob.id,
            TokenPurpose::Activation,
            expires,
            mail(MailKind::Activation, "bob@example.org", None),
        )
        .await
        .expect("stored");
    let duplicate = store
        .insert_token(
            "sha256:dup",
            bob.id,
            TokenPurpose::Activation,
            expires,
            mail(MailKind::Activation, "bob@example.org", None),
        )
        .await;
    assert!(
        matches!(duplicate, Err(DomainError::Conflict { field: "token" })),
        "{duplicate:?}"
    );
    let orphan = store
        .insert_token(
            "sha256:orphan",
            UserId(9999),
            TokenPurpose::Activation,
            expires,
            mail(MailKind::Activation, "ghost@example.org", None),
        )
        .await;
    assert!(matches!(orphan, Err(DomainError::NotFound)), "{orphan:?}");
    assert_eq!(count_rows(&store, "outbox").await, 1, "only the first token's mail");
    assert_eq!(count_rows(&store, "one_time_tokens").await, 1);
}
