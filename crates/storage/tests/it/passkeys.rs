//! Passkeys and their ceremonies: stored with their audit event, listed per user,
//! renamed and removed only by their owner, the used credential written back; a ceremony is
//! taken once and not after its expiry, and purging removes expired ones. Recovery
//! codes last while a second factor (a passkey or TOTP) does.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{MailKind, NewOutboxItem};
use sealpost_domain::passkeys::{Ceremony, CeremonyKind};
use sealpost_domain::ports::{AuditStore, OutboxStore, PasskeyStore, SessionStore, TwoStepStore, UserAdminStore};
use sealpost_domain::types::UserId;
use sealpost_storage::SqlStore;

use crate::messages::mail;
use crate::support::{T0, count_of, event, on_both_backends, user};

on_both_backends!(
    a_passkey_is_stored_listed_and_removed_by_its_owner_only,
    a_ceremony_is_taken_once_and_never_after_it_expired,
    a_passkey_is_renamed_by_its_owner_only,
    starting_ceremonies_over_and_over_keeps_a_few_per_user_and_kind,
    recovery_codes_last_while_a_second_factor_does,
    an_administrators_reset_removes_every_second_factor_of_that_user_only,
    a_recovery_code_works_once_and_its_notice_is_queued_with_its_use,
);

async fn a_passkey_is_stored_listed_and_removed_by_its_owner_only(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    assert!(!store.has_passkey(alice.id).await.expect("query"));
    let notice = mail(MailKind::SecurityNotice, "alice@example.com", None);
    let id = store
        .add_passkey(
            alice.id,
            "Laptop",
            "{\"cred\":1}",
            T0,
            &notice,
            event("user.passkey_added", "alice"),
        )
        .await
        .expect("added");
    store
        .add_passkey(
            alice.id,
            "Phone",
            "{\"cred\":2}",
            T0.plus_seconds(1),
            &notice,
            event("user.passkey_added", "alice"),
        )
        .await
        .expect("added");
    let keys = store.passkeys(alice.id).await.expect("listed");
    assert_eq!(
        keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
        ["Laptop", "Phone"]
    );
    assert_eq!(keys[0].id, id);
    assert_eq!(keys[0].credential, "{\"cred\":1}");
    assert_eq!(keys[0].created_at, T0);
    assert_eq!(keys[0].last_used_at, None);
    assert!(store.has_passkey(alice.id).await.expect("query"));
    assert!(store.passkeys(bob.id).await.expect("listed").is_empty());
    let queued = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    assert_eq!(queued.len(), 2, "a notice with each passkey: {queued:?}");

    store
        .passkey_used(alice.id, id, "{\"cred\":3}", T0.plus_seconds(60))
        .await
        .expect("used");
    let keys = store.passkeys(alice.id).await.expect("listed");
    assert_eq!(keys[0].credential, "{\"cred\":3}");
    assert_eq!(keys[0].last_used_at, Some(T0.plus_seconds(60)));

    let refused = store
        .remove_passkey(bob.id, id, event("user.passkey_removed", "bob"))
        .await;
    assert!(matches!(refused, Err(DomainError::NotFound)), "{refused:?}");
    assert_eq!(
        store.passkeys(alice.id).await.expect("listed").len(),
        2,
        "Bob removed nothing"
    );
    store
        .remove_passkey(alice.id, id, event("user.passkey_removed", "alice"))
        .await
        .expect("removed");
    assert_eq!(store.passkeys(alice.id).await.expect("listed").len(), 1);
    let actions: Vec<String> = store
        .list_audit(None, 10)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "user.passkey_removed").count(),
        1,
        "only the removal that happened is audited: {actions:?}"
    );
    assert_eq!(actions.iter().filter(|a| *a == "user.passkey_added").count(), 2);
}

async fn a_passkey_is_renamed_by_its_owner_only(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    let id = store
        .add_passkey(
            alice.id,
            "Laptop",
            "{}",
            T0,
            &key_notice(),
            event("user.passkey_added", "alice"),
        )
        .await
        .expect("added");
    let refused = store
        .rename_passkey(bob.id, id, "Taken", event("user.passkey_renamed", "bob"))
        .await;
    assert!(matches!(refused, Err(DomainError::NotFound)), "{refused:?}");
    let missing = store
        .rename_passkey(alice.id, id + 1000, "Nothing", event("user.passkey_renamed", "alice"))
        .await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
    store
        .rename_passkey(alice.id, id, "Work laptop", event("user.passkey_renamed", "alice"))
        .await
        .expect("renamed");
    let keys = store.passkeys(alice.id).await.expect("listed");
    assert_eq!((keys[0].id, keys[0].name.as_str()), (id, "Work laptop"));
    let renames = count_of(&store, "user.passkey_renamed").await;
    assert_eq!(renames, 1, "only the rename that happened is audited");
}

fn ceremony(user: UserId, id_hash: &str, kind: CeremonyKind) -> Ceremony {
    Ceremony {
        id_hash: id_hash.to_owned(),
        user_id: user,
        kind,
        state: "{\"challenge\":\"abc\"}".to_owned(),
        expires_at: T0.plus_seconds(300),
    }
}

/// Stores a [`ceremony`] of `user`; the test fails if the store refuses it.
async fn store_ceremony(store: &SqlStore, user: UserId, id_hash: &str, kind: CeremonyKind) {
    store
        .insert_ceremony(&ceremony(user, id_hash, kind))
        .await
        .expect("stored");
}

async fn a_ceremony_is_taken_once_and_never_after_it_expired(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    store_ceremony(&store, alice.id, "c1", CeremonyKind::Register).await;
    store_ceremony(&store, alice.id, "c2", CeremonyKind::Login).await;
    store_ceremony(&store, alice.id, "c3", CeremonyKind::Login).await;

    let taken = store.take_ceremony("c1", T0).await.expect("query").expect("there");
    assert_eq!(taken.user_id, alice.id);
    assert_eq!(taken.kind, CeremonyKind::Register);
    assert_eq!(taken.state, "{\"challenge\":\"abc\"}");
    assert!(store.take_ceremony("c1", T0).await.expect("query").is_none(), "once");

    let login = store.take_ceremony("c2", T0).await.expect("query").expect("there");
    assert_eq!(login.kind, CeremonyKind::Login);
    assert!(
        store
            .take_ceremony("c3", T0.plus_seconds(300))
            .await
            .expect("query")
            .is_none(),
        "expired at its expiry instant"
    );

    store_ceremony(&store, alice.id, "c4", CeremonyKind::Login).await;
    let purged = store
        .purge_stale(T0.plus_seconds(301), T0.plus_seconds(-1), T0)
        .await
        .expect("purged");
    assert!(purged >= 1, "the expired ceremony is purged");
    assert!(store.take_ceremony("c4", T0).await.expect("query").is_none());
}

async fn starting_ceremonies_over_and_over_keeps_a_few_per_user_and_kind(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    store_ceremony(&store, bob.id, "bob", CeremonyKind::Login).await;
    store_ceremony(&store, alice.id, "alice-register", CeremonyKind::Register).await;
    for n in 0..200 {
        let mut started = ceremony(alice.id, &format!("login-{n:03}"), CeremonyKind::Login);
        started.expires_at = T0.plus_seconds(300 + n);
        store.insert_ceremony(&started).await.expect("stored");
    }
    let mut kept = Vec::new();
    for n in 0..200 {
        if store
            .take_ceremony(&format!("login-{n:03}"), T0)
            .await
            .expect("query")
            .is_some()
        {
            kept.push(n);
        }
    }
    assert_eq!(
        kept,
        [195, 196, 197, 198, 199],
        "the newest five, the last one among them"
    );
    assert!(
        store.take_ceremony("bob", T0).await.expect("query").is_some(),
        "another user's stays"
    );
    assert!(
        store
            .take_ceremony("alice-register", T0)
            .await
            .expect("query")
            .is_some(),
        "another kind stays"
    );
}

/// The notice a test passkey is added with (to an address of its own, so that
/// tests counting other notices can tell them apart).
fn key_notice() -> NewOutboxItem {
    mail(MailKind::SecurityNotice, "keys@example.com", None)
}

/// Adds the passkey `name` for `user`: its id.
async fn add_key(store: &SqlStore, user: UserId, name: &str) -> i64 {
    store
        .add_passkey(user, name, "{}", T0, &key_notice(), event("user.passkey_added", name))
        .await
        .expect("added")
}

async fn recovery_codes_last_while_a_second_factor_does(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    let codes = |n: usize| (0..n).map(|i| format!("hash-{i}")).collect::<Vec<_>>();
    let left = |user: UserId| {
        let store = &store;
        async move { store.recovery_codes_left(user).await.expect("counted") }
    };

    // Alice has two passkeys and no TOTP: removing one keeps her codes, the last takes them.
    let laptop = add_key(&store, alice.id, "Laptop").await;
    let phone = add_key(&store, alice.id, "Phone").await;
    store
        .replace_recovery_codes(alice.id, &codes(10), event("user.recovery_codes_replaced", "alice"))
        .await
        .expect("codes");
    store
        .remove_passkey(alice.id, laptop, event("user.passkey_removed", "alice"))
        .await
        .expect("removed");
    assert_eq!(left(alice.id).await, 10, "the phone is still a second factor");
    store
        .remove_passkey(alice.id, phone, event("user.passkey_removed", "alice"))
        .await
        .expect("removed");
    assert_eq!(left(alice.id).await, 0, "the codes went with the last passkey");

    // Bob has TOTP and a passkey: turning TOTP off keeps his codes, removing the
    // passkey then takes them. Each time TOTP goes, the notice telling him is queued.
    let notice = mail(MailKind::SecurityNotice, "bob@example.com", None);
    store.start_totp(bob.id, b"sealed", T0).await.expect("started");
    store
        .enable_totp(bob.id, 1, T0, &codes(10), event("user.two_step_enabled", "bob"))
        .await
        .expect("enabled");
    let key = add_key(&store, bob.id, "Key").await;
    store
        .disable_totp(bob.id, &notice, event("user.two_step_disabled", "bob"))
        .await
        .expect("disabled");
    assert!(!store.two_step_enabled(bob.id).await.expect("query"));
    assert_eq!(left(bob.id).await, 10, "the passkey is still a second factor");
    store
        .remove_passkey(bob.id, key, event("user.passkey_removed", "bob"))
        .await
        .expect("removed");
    assert_eq!(left(bob.id).await, 0);

    // TOTP alone: turning it off takes the codes, as before passkeys.
    store.start_totp(bob.id, b"sealed", T0).await.expect("started");
    store
        .enable_totp(bob.id, 2, T0, &codes(3), event("user.two_step_enabled", "bob"))
        .await
        .expect("enabled");
    assert_eq!(left(bob.id).await, 3);
    store
        .disable_totp(bob.id, &notice, event("user.two_step_disabled", "bob"))
        .await
        .expect("disabled");
    assert_eq!(left(bob.id).await, 0);

    // Off already, or only half set up: nothing changes, nothing to tell.
    store
        .disable_totp(bob.id, &notice, event("user.two_step_disabled", "bob"))
        .await
        .expect("nothing to turn off");
    store.start_totp(bob.id, b"sealed", T0).await.expect("started");
    store
        .disable_totp(bob.id, &notice, event("user.two_step_disabled", "bob"))
        .await
        .expect("the set-up dropped");
    let queued = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    let told: Vec<_> = queued
        .iter()
        .filter(|item| item.to.as_str() == "bob@example.com")
        .collect();
    assert_eq!(told.len(), 2, "one notice each time TOTP was on: {told:?}");
}

/// The reset and the mail telling the user are one write: the notice is queued
/// with the reset, and none for an unknown user.
async fn an_administrators_reset_removes_every_second_factor_of_that_user_only(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    for who in [alice.id, bob.id] {
        store.start_totp(who, b"sealed", T0).await.expect("started");
        let hashes: Vec<String> = (0..10).map(|i| format!("hash-{i}")).collect();
        store
            .enable_totp(who, 1, T0, &hashes, event("user.two_step_enabled", "someone"))
            .await
            .expect("enabled");
        add_key(&store, who, "Key").await;
    }
    let notice = mail(MailKind::SecurityNotice, "bob@example.com", None);
    store
        .reset_second_factors(bob.id, &notice, event("user.two_step_reset", "bob"))
        .await
        .expect("reset");
    assert!(!store.two_step_enabled(bob.id).await.expect("query"));
    assert!(!store.has_passkey(bob.id).await.expect("query"));
    assert_eq!(store.recovery_codes_left(bob.id).await.expect("counted"), 0);
    assert!(
        store.two_step_enabled(alice.id).await.expect("query"),
        "Alice keeps hers"
    );
    assert!(store.has_passkey(alice.id).await.expect("query"));
    assert_eq!(store.recovery_codes_left(alice.id).await.expect("counted"), 10);

    let stranger = mail(MailKind::SecurityNotice, "nobody@example.com", None);
    let unknown = store
        .reset_second_factors(UserId(999_999), &stranger, event("user.two_step_reset", "nobody"))
        .await;
    assert!(matches!(unknown, Err(DomainError::NotFound)), "{unknown:?}");
    let queued = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    let queued: Vec<(MailKind, &str)> = queued
        .iter()
        .map(|item| (item.kind, item.to.as_str()))
        .filter(|(_, to)| *to != "keys@example.com")
        .collect();
    assert_eq!(
        queued,
        [(MailKind::SecurityNotice, "bob@example.com")],
        "Bob's notice is queued with his reset, nobody's without one"
    );
    let resets = count_of(&store, "user.two_step_reset").await;
    assert_eq!(resets, 1, "only the reset that happened is audited");
}

/// A recovery code works once, for its owner only; the notice telling the user is
/// queued, and the use audited, with the use, and with nothing else.
async fn a_recovery_code_works_once_and_its_notice_is_queued_with_its_use(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    let hashes: Vec<String> = (0..3).map(|i| format!("hash-{i}")).collect();
    store
        .replace_recovery_codes(alice.id, &hashes, event("user.recovery_codes_replaced", "alice"))
        .await
        .expect("codes");
    let notice = mail(MailKind::SecurityNotice, "alice@example.com", None);
    let stray = mail(MailKind::SecurityNotice, "bob@example.com", None);
    let used_event = || event("user.recovery_code_used", "alice");
    assert!(
        !store
            .use_recovery_code(bob.id, "hash-0", T0, &stray, event("user.recovery_code_used", "bob"))
            .await
            .expect("tried"),
        "Alice's code is not Bob's"
    );
    assert!(
        store
            .use_recovery_code(alice.id, "hash-0", T0, &notice, used_event())
            .await
            .expect("used")
    );
    assert!(
        !store
            .use_recovery_code(alice.id, "hash-0", T0, &notice, used_event())
            .await
            .expect("tried"),
        "used once"
    );
    assert!(
        !store
            .use_recovery_code(alice.id, "hash-9", T0, &notice, used_event())
            .await
            .expect("tried"),
        "unknown"
    );
    assert_eq!(store.recovery_codes_left(alice.id).await.expect("counted"), 2);
    let queued = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    let queued: Vec<&str> = queued.iter().map(|item| item.to.as_str()).collect();
    assert_eq!(queued, ["alice@example.com"], "one notice, for the one use");
    let audited = count_of(&store, "user.recovery_code_used").await;
    assert_eq!(audited, 1, "one use, audited once in its own write");
}
