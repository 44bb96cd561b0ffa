//! Sessions (expiry, touch, delete) and login throttling counters.

use sealpost_domain::error::DomainError;
use sealpost_domain::model::{AuditEvent, Roles, Session, SessionKind};
use sealpost_domain::ports::{SessionStore, UserStore};
use sealpost_domain::types::{Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::groups::{add_to_group, group};
use crate::support::{T0, on_both_backends, user};

on_both_backends!(
    stored_session_is_returned_until_it_expires,
    touching_a_session_moves_its_expiry_forward,
    deleted_session_is_gone_and_deleting_twice_is_harmless,
    session_for_an_unknown_user_is_refused,
    a_login_session_is_stored_only_while_the_checked_password_stands,
    throttle_counts_failures_per_key_until_cleared,
    throttle_states_read_several_keys_at_once_in_their_order,
    purging_removes_dead_sessions_and_old_counters_only,
    a_session_is_read_with_its_users_roles,
);

fn session(user: UserId, id_hash: &str, kind: SessionKind) -> Session {
    Session {
        id_hash: id_hash.to_owned(),
        user_id: user,
        csrf_token: format!("csrf-{id_hash}"),
        kind,
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0.plus_seconds(600),
    }
}

/// Stores a [`session`] of `user`; the test fails if the store refuses it.
async fn store_session(store: &SqlStore, user: UserId, id_hash: &str, kind: SessionKind) {
    store
        .insert_session(&session(user, id_hash, kind))
        .await
        .expect("stored");
}

async fn stored_session_is_returned_until_it_expires(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    store_session(&store, alice.id, "h1", SessionKind::PasswordChangeOnly).await;

    let found = store.session("h1", T0).await.expect("query").expect("live");
    assert_eq!(found.id_hash, "h1");
    assert_eq!(found.user_id, alice.id);
    assert_eq!(found.csrf_token, "csrf-h1");
    assert_eq!(found.kind, SessionKind::PasswordChangeOnly);
    assert_eq!(found.created_at, T0);
    assert_eq!(found.last_seen_at, T0);
    assert_eq!(found.expires_at, T0.plus_seconds(600));

    let just_before = Timestamp(T0.plus_seconds(600).0 - 1);
    assert!(store.session("h1", just_before).await.expect("query").is_some());
    assert!(
        store
            .session("h1", T0.plus_seconds(600))
            .await
            .expect("query")
            .is_none(),
        "a session is over at its expiry instant"
    );
    assert!(store.session("unknown", T0).await.expect("query").is_none());
}

async fn touching_a_session_moves_its_expiry_forward(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    store_session(&store, alice.id, "h1", SessionKind::Full).await;
    let later = T0.plus_seconds(300);
    store
        .touch_session("h1", later, later.plus_seconds(600))
        .await
        .expect("touched");

    let at_old_expiry = T0.plus_seconds(600);
    let found = store
        .session("h1", at_old_expiry)
        .await
        .expect("query")
        .expect("still live after the old expiry");
    assert_eq!(found.last_seen_at, later);
    assert_eq!(found.expires_at, later.plus_seconds(600));
    assert_eq!(found.kind, SessionKind::Full);
    store
        .touch_session("gone", later, later)
        .await
        .expect("touching an ended session is not an error");
}

async fn deleted_session_is_gone_and_deleting_twice_is_harmless(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    for id in ["h1", "h2"] {
        store_session(&store, alice.id, id, SessionKind::Full).await;
    }
    store.delete_session("h1").await.expect("deleted");
    store.delete_session("h1").await.expect("deleted again");
    assert!(store.session("h1", T0).await.expect("query").is_none());
    assert!(
        store.session("h2", T0).await.expect("query").is_some(),
        "only that session ended"
    );
}

async fn session_for_an_unknown_user_is_refused(store: SqlStore) {
    let result = store
        .insert_session(&session(UserId(9999), "h1", SessionKind::Full))
        .await;
    assert!(matches!(result, Err(DomainError::NotFound)), "{result:?}");
    assert!(store.session("h1", T0).await.expect("query").is_none());
}

async fn a_login_session_is_stored_only_while_the_checked_password_stands(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let checked = store
        .credentials_by_email(&alice.email)
        .await
        .expect("query")
        .and_then(|c| c.password_hash)
        .expect("alice has a password");
    store
        .insert_login_session(&session(alice.id, "h1", SessionKind::Full), &checked)
        .await
        .expect("the password stands: stored");
    assert!(store.session("h1", T0).await.expect("query").is_some());

    // A password change lands between the login's check and its session.
    let event = AuditEvent {
        at: T0,
        actor: Some(alice.id),
        account_id: None,
        action: "user.password_changed".to_owned(),
        target: alice.email.to_string(),
        ip: None,
        outcome: "ok".to_owned(),
    };
    store
        .set_password(alice.id, "$argon2id$changed", false, None, event)
        .await
        .expect("changed");
    assert!(
        store.session("h1", T0).await.expect("query").is_none(),
        "the change ended h1"
    );
    let late = store
        .insert_login_session(&session(alice.id, "h2", SessionKind::Full), &checked)
        .await;
    assert!(matches!(late, Err(DomainError::NotFound)), "{late:?}");
    assert!(
        store.session("h2", T0).await.expect("query").is_none(),
        "a login checked against the old password opened nothing"
    );
    let stranger = store
        .insert_login_session(&session(UserId(9999), "h3", SessionKind::Full), &checked)
        .await;
    assert!(matches!(stranger, Err(DomainError::NotFound)), "{stranger:?}");
}

async fn throttle_counts_failures_per_key_until_cleared(store: SqlStore) {
    let key = "pair:alice@example.com|192.0.2.1";
    assert_eq!(store.throttle_state(key).await.expect("query"), None);
    for seconds in [1, 2, 3] {
        store
            .throttle_failure(key, T0.plus_seconds(seconds))
            .await
            .expect("counted");
    }
    store.throttle_failure("client:192.0.2.1", T0).await.expect("counted");
    assert_eq!(
        store.throttle_state(key).await.expect("query"),
        Some((3, T0.plus_seconds(3)))
    );
    assert_eq!(
        store.throttle_state("client:192.0.2.1").await.expect("query"),
        Some((1, T0))
    );

    store.throttle_clear(key).await.expect("cleared");
    store.throttle_clear(key).await.expect("cleared again");
    assert_eq!(store.throttle_state(key).await.expect("query"), None);
    assert_eq!(
        store.throttle_state("client:192.0.2.1").await.expect("query"),
        Some((1, T0)),
        "other keys keep their count"
    );
    store.throttle_failure(key, T0.plus_seconds(9)).await.expect("counted");
    assert_eq!(
        store.throttle_state(key).await.expect("query"),
        Some((1, T0.plus_seconds(9))),
        "counting starts over after a clear"
    );
}

/// What a login or an SMTP `AUTH` reads before it goes on: each key's count in
/// the order asked, `None` for a key with no failures, a key asked twice answered
/// twice.
async fn throttle_states_read_several_keys_at_once_in_their_order(store: SqlStore) {
    store.throttle_failure("client:192.0.2.1", T0).await.expect("counted");
    store.throttle_failure("pair:a|192.0.2.1", T0).await.expect("counted");
    store
        .throttle_failure("pair:a|192.0.2.1", T0.plus_seconds(4))
        .await
        .expect("counted");
    let states = store
        .throttle_states(&["pair:a|192.0.2.1", "nobody", "client:192.0.2.1", "pair:a|192.0.2.1"])
        .await
        .expect("query");
    assert_eq!(
        states,
        [
            Some((2, T0.plus_seconds(4))),
            None,
            Some((1, T0)),
            Some((2, T0.plus_seconds(4)))
        ]
    );
    assert_eq!(store.throttle_states(&["nobody"]).await.expect("query"), [None]);
}

async fn purging_removes_dead_sessions_and_old_counters_only(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    store_session(&store, alice.id, "live", SessionKind::Full).await;
    let mut idle = session(alice.id, "idle", SessionKind::Full);
    idle.expires_at = T0.plus_seconds(10);
    store.insert_session(&idle).await.expect("stored");
    store.throttle_failure("old", T0).await.expect("counted");
    store
        .throttle_failure("recent", T0.plus_seconds(100))
        .await
        .expect("counted");

    let now = T0.plus_seconds(60);
    let purged = store
        .purge_stale(now, T0.plus_seconds(-1), T0.plus_seconds(50))
        .await
        .expect("purged");
    assert_eq!(purged, 2, "the idle session and the old counter");
    assert!(store.session("live", now).await.expect("query").is_some());
    assert!(
        store.session("idle", T0).await.expect("query").is_none(),
        "gone, not just expired"
    );
    assert!(store.throttle_state("old").await.expect("query").is_none());
    assert!(store.throttle_state("recent").await.expect("query").is_some());

    // Past the absolute limit a session goes even if it was kept busy.
    let purged = store.purge_stale(now, T0.plus_seconds(1), T0).await.expect("purged");
    assert_eq!(purged, 1);
    assert!(store.session("live", now).await.expect("query").is_none());
}

async fn a_session_is_read_with_its_users_roles(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let member = user(&store, "member@example.com").await;
    let outsider = user(&store, "outsider@example.com").await;
    let acme = account(&store, 4_711_000, Some(admin.id)).await;
    let finance = group(&store, acme.id, "Finance").await;
    add_to_group(&store, finance.id, member.id).await;
    for (who, hash) in [(&admin, "h-admin"), (&member, "h-member"), (&outsider, "h-outsider")] {
        store_session(&store, who.id, hash, SessionKind::Full).await;
    }
    let roles = |hash: &'static str| {
        let store = store.clone();
        async move {
            let (_, _, roles) = store.session_with_user(hash, T0).await.expect("query").expect("live");
            roles
        }
    };
    assert_eq!(
        roles("h-admin").await,
        Roles {
            member: true,
            account_admin: true
        }
    );
    assert_eq!(
        roles("h-member").await,
        Roles {
            member: true,
            account_admin: false
        }
    );
    assert_eq!(roles("h-outsider").await, Roles::default());
}
