//! Registration and one-time tokens: each registration attempt keeps its own
//! password until its link is used; tokens work once, for one purpose, in their
//! session when bound to one, before they expire; a used link proves the mailbox.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{Confirmation, MailKind, NewOutboxItem, RegistrationAttempt, TokenPurpose};
use sealpost_domain::model::{User, UserStatus};
use sealpost_domain::ports::{OutboxStore, SessionStore, StoreResult, TokenStore, UserStore};
use sealpost_domain::types::{Locale, Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::messages::{count_rows, mail};
use crate::support::{T0, email, event, new_user, on_both_backends, recent_actions, user};

on_both_backends!(
    registering_creates_a_pending_user_without_a_password,
    each_registration_link_activates_only_its_own_password,
    registering_a_proven_or_locked_address_is_a_conflict_and_changes_nothing,
    the_mailbox_owner_registers_over_an_unproven_user,
    concurrent_registrations_of_one_address_leave_one_pending_user,
    registration_links_expire_and_never_unlock,
    a_session_bound_token_works_only_in_its_session,
    a_new_password_ends_every_other_reset_link,
    token_is_stored_with_its_mail_and_works_once,
    token_for_another_purpose_is_refused,
    expired_token_is_refused,
    token_user_looks_without_using_the_token_up,
    simultaneous_uses_of_one_token_succeed_once,
    duplicate_or_orphan_token_is_refused_and_mails_nothing,
);

/// Stores a link of `purpose` for `user` (hash, expiry, its mail to `to`), with the
/// `token.issued` event naming `whom`.
async fn issue(
    store: &SqlStore,
    user: UserId,
    purpose: TokenPurpose,
    hash: &str,
    expires: Timestamp,
    mail_to: (MailKind, &str),
    whom: &str,
) {
    try_issue(store, user, purpose, hash, expires, mail_to, whom)
        .await
        .expect("stored");
}

/// [`issue`], giving the store's answer instead of expecting it to store the link.
async fn try_issue(
    store: &SqlStore,
    user: UserId,
    purpose: TokenPurpose,
    hash: &str,
    expires: Timestamp,
    (kind, to): (MailKind, &str),
    whom: &str,
) -> StoreResult<()> {
    store
        .insert_token(
            user,
            purpose,
            None,
            &link(hash, expires, mail(kind, to, None)),
            event("token.issued", whom),
        )
        .await
}

/// [`issue`] to bob@example.org, mailed as the purpose's kind of mail.
async fn issue_to_bob(store: &SqlStore, bob: UserId, purpose: TokenPurpose, hash: &str, expires: Timestamp) {
    let kind = match purpose {
        TokenPurpose::Activation => MailKind::Activation,
        TokenPurpose::PasswordReset => MailKind::PasswordReset,
    };
    issue(store, bob, purpose, hash, expires, (kind, "bob@example.org"), "bob").await;
}

/// Uses the token `hash` of `purpose` outside any session at `at`: whose it was.
async fn consume(store: &SqlStore, hash: &str, purpose: TokenPurpose, at: Timestamp) -> Option<UserId> {
    store.consume_token(hash, purpose, None, at).await.expect("query")
}

/// Whose live token `hash` of `purpose` is at `at`, without using it.
async fn look(store: &SqlStore, hash: &str, purpose: TokenPurpose, at: Timestamp) -> Option<UserId> {
    store.token_user(hash, purpose, at).await.expect("query")
}

fn link(hash: &str, expires_at: Timestamp, mail: NewOutboxItem) -> Confirmation {
    Confirmation {
        token_hash: hash.to_owned(),
        expires_at,
        mail,
    }
}

/// A registration attempt choosing `first` and the password hash `hash`, whose
/// link's token hash is `link_hash`.
fn attempt(to: &str, first: &str, locale: Locale, hash: &str, link_hash: &str) -> RegistrationAttempt {
    RegistrationAttempt {
        first_name: first.to_owned(),
        last_name: "Recipient".to_owned(),
        password_hash: hash.to_owned(),
        locale,
        link: link(
            link_hash,
            T0.plus_seconds(48 * 3600),
            mail(MailKind::Activation, to, None),
        ),
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

async fn register(store: &SqlStore, address: &str, first: &str, hash: &str, link_hash: &str) -> StoreResult<User> {
    store
        .begin_registration(
            &email(address),
            &attempt(address, first, Locale::Fr, hash, link_hash),
            T0,
            event("user.registered", address),
        )
        .await
}

async fn registering_creates_a_pending_user_without_a_password(store: SqlStore) {
    let registered = register(&store, "bob@example.org", "Bob", "$hash1", "sha256:l1")
        .await
        .expect("registered");
    assert_eq!(registered.email.as_str(), "bob@example.org");
    assert_eq!(registered.status, UserStatus::Pending);
    assert!(!registered.mailbox_proven());
    assert_eq!(
        password_hash(&store, "bob@example.org").await,
        None,
        "the password lives in the attempt until its link is used"
    );
    assert_eq!(count_rows(&store, "outbox").await, 1, "the activation mail is queued");
    assert_eq!(recent_actions(&store, 5).await, ["user.registered"]);
}

/// The takeover of issue 7: Eve registers Bob's pending address with her own
/// password; Bob then clicks the link of his own attempt. He must get his own
/// password, and Eve's link must stop working.
async fn each_registration_link_activates_only_its_own_password(store: SqlStore) {
    let bob = register(&store, "bob@example.org", "Bob", "$bob", "sha256:bob")
        .await
        .expect("Bob registers");
    let eve = register(&store, "bob@example.org", "Eve", "$eve", "sha256:eve")
        .await
        .expect("Eve registers the same pending address");
    assert_eq!(eve.id, bob.id, "one user");
    assert_eq!(
        password_hash(&store, "bob@example.org").await,
        None,
        "nothing chosen yet"
    );

    let now = T0.plus_seconds(60);
    assert_eq!(
        store.registration_user("sha256:bob", now).await.expect("query"),
        Some(bob.id)
    );
    let done = store
        .complete_registration("sha256:bob", bob.id, now, event("user.activated", "bob@example.org"))
        .await
        .expect("activated");
    assert!(done);
    let user = store.user_by_id(bob.id).await.expect("found");
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.first_name, "Bob", "the names of Bob's attempt");
    assert_eq!(user.mailbox_verified_at, Some(now), "the link proved the mailbox");
    assert_eq!(
        password_hash(&store, "bob@example.org").await.as_deref(),
        Some("$bob"),
        "Bob's password, not Eve's"
    );
    assert_eq!(
        store.registration_user("sha256:eve", now).await.expect("query"),
        None,
        "the first link used ends every other attempt"
    );
    let late = store
        .complete_registration("sha256:eve", bob.id, now, event("user.activated", "x"))
        .await
        .expect("query");
    assert!(!late, "Eve's link no longer works");
    assert_eq!(password_hash(&store, "bob@example.org").await.as_deref(), Some("$bob"));
}

async fn registering_a_proven_or_locked_address_is_a_conflict_and_changes_nothing(store: SqlStore) {
    let mut proven = new_user("alice@example.com");
    proven.mailbox_verified_at = Some(T0);
    store.insert_user(proven, None).await.expect("inserted");
    let mut locked = new_user("mallory@example.com");
    locked.status = UserStatus::Locked;
    store.insert_user(locked, None).await.expect("inserted");

    for address in ["alice@example.com", "mallory@example.com"] {
        let before = password_hash(&store, address).await;
        let result = register(&store, address, "Eve", "$attacker", &format!("sha256:{address}")).await;
        assert!(
            matches!(result, Err(DomainError::Conflict { field: "email" })),
            "{result:?}"
        );
        assert_eq!(password_hash(&store, address).await, before, "password unchanged");
    }
    assert_eq!(count_rows(&store, "registrations").await, 0);
    assert_eq!(count_rows(&store, "outbox").await, 0, "no mail queued");
}

/// A user an administrator created (password known to them, mailbox never
/// proven) can still be registered by the mailbox's owner: their link replaces
/// the password and ends the sessions of whoever knew the old one.
async fn the_mailbox_owner_registers_over_an_unproven_user(store: SqlStore) {
    let planted = user(&store, "carol@example.net").await;
    assert!(!planted.mailbox_proven());
    let session = sealpost_domain::model::Session {
        id_hash: "sha256:planted-session".to_owned(),
        user_id: planted.id,
        csrf_token: "csrf".to_owned(),
        kind: sealpost_domain::model::SessionKind::Full,
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0.plus_seconds(3600),
    };
    store.insert_session(&session).await.expect("session");
    register(&store, "carol@example.net", "Carol", "$carol", "sha256:carol")
        .await
        .expect("the owner may register");
    let done = store
        .complete_registration("sha256:carol", planted.id, T0, event("user.activated", "carol"))
        .await
        .expect("activated");
    assert!(done);
    assert_eq!(
        password_hash(&store, "carol@example.net").await.as_deref(),
        Some("$carol")
    );
    assert!(
        store
            .session("sha256:planted-session", T0)
            .await
            .expect("query")
            .is_none(),
        "the session of whoever knew the old password ended"
    );
}

async fn concurrent_registrations_of_one_address_leave_one_pending_user(store: SqlStore) {
    let (a, b) = tokio::join!(
        register(&store, "bob@example.org", "Bob", "$a", "sha256:a"),
        register(&store, "bob@example.org", "Bob", "$b", "sha256:b")
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.id, b.id);
    assert_eq!(store.count_users().await.expect("counted"), 1);
    assert_eq!(count_rows(&store, "registrations").await, 2);
}

async fn registration_links_expire_and_never_unlock(store: SqlStore) {
    let pending = register(&store, "bob@example.org", "Bob", "$h", "sha256:h")
        .await
        .expect("registered");
    let expiry = T0.plus_seconds(48 * 3600);
    assert_eq!(store.registration_user("sha256:h", expiry).await.expect("query"), None);
    let late = store
        .complete_registration("sha256:h", pending.id, expiry, event("user.activated", "x"))
        .await
        .expect("query");
    assert!(!late, "an expired link does nothing");
    let wrong_user = store
        .complete_registration("sha256:h", UserId(9999), T0, event("user.activated", "x"))
        .await
        .expect("query");
    assert!(!wrong_user, "a link belongs to its user");

    let mut locked = new_user("mallory@example.com");
    locked.status = UserStatus::Pending;
    let mallory = store.insert_user(locked, None).await.expect("inserted");
    register(&store, "mallory@example.com", "M", "$m", "sha256:m")
        .await
        .expect("registered");
    sqlx::query("UPDATE users SET status = 'locked' WHERE id = $1")
        .bind(mallory.id.0)
        .execute(store.pool())
        .await
        .expect("locked meanwhile");
    let result = store
        .complete_registration("sha256:m", mallory.id, T0, event("user.activated", "x"))
        .await;
    assert!(matches!(result, Err(DomainError::Forbidden)), "{result:?}");
    assert_eq!(
        store.user_by_id(mallory.id).await.expect("found").status,
        UserStatus::Locked
    );
}

async fn a_session_bound_token_works_only_in_its_session(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    store
        .insert_token(
            bob.id,
            TokenPurpose::Activation,
            Some("sha256:bobs-session"),
            &link(
                "sha256:proof",
                T0.plus_seconds(3600),
                mail(MailKind::Activation, "bob@example.org", None),
            ),
            event("user.mailbox_proof_requested", "bob"),
        )
        .await
        .expect("stored");
    for other in [None, Some("sha256:someone-else")] {
        assert_eq!(
            store
                .consume_token("sha256:proof", TokenPurpose::Activation, other, T0)
                .await
                .expect("query"),
            None,
            "{other:?}"
        );
    }
    assert!(!store.user_by_id(bob.id).await.expect("found").mailbox_proven());
    assert_eq!(
        store
            .consume_token(
                "sha256:proof",
                TokenPurpose::Activation,
                Some("sha256:bobs-session"),
                T0
            )
            .await
            .expect("query"),
        Some(bob.id)
    );
    assert_eq!(
        store.user_by_id(bob.id).await.expect("found").mailbox_verified_at,
        Some(T0),
        "a used link proves the mailbox"
    );
}

async fn a_new_password_ends_every_other_reset_link(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    for hash in ["sha256:r1", "sha256:r2"] {
        store
            .insert_token(
                bob.id,
                TokenPurpose::PasswordReset,
                None,
                &link(
                    hash,
                    T0.plus_seconds(3600),
                    mail(MailKind::PasswordReset, "bob@example.org", None),
                ),
                event("user.password_reset_requested", "bob"),
            )
            .await
            .expect("stored");
    }
    assert_eq!(
        consume(&store, "sha256:r1", TokenPurpose::PasswordReset, T0).await,
        Some(bob.id)
    );
    store
        .set_password(bob.id, "$new", false, None, event("user.password_reset", "bob"))
        .await
        .expect("set");
    assert_eq!(
        look(&store, "sha256:r2", TokenPurpose::PasswordReset, T0).await,
        None,
        "the second link died with the reset by the first"
    );
}
async fn token_is_stored_with_its_mail_and_works_once(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    let expires = T0.plus_seconds(3600);
    issue_to_bob(&store, bob.id, TokenPurpose::PasswordReset, "sha256:abc", expires).await;
    let queued = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].kind, MailKind::PasswordReset);

    let now = T0.plus_seconds(60);
    let used = consume(&store, "sha256:abc", TokenPurpose::PasswordReset, now).await;
    assert_eq!(used, Some(bob.id));
    let twice = consume(&store, "sha256:abc", TokenPurpose::PasswordReset, now).await;
    assert_eq!(twice, None, "a token works once");
    assert_eq!(
        look(&store, "sha256:abc", TokenPurpose::PasswordReset, now).await,
        None,
        "a used token is not live"
    );
    assert_eq!(
        consume(&store, "sha256:unknown", TokenPurpose::PasswordReset, now).await,
        None
    );
}

async fn token_for_another_purpose_is_refused(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    issue_to_bob(
        &store,
        bob.id,
        TokenPurpose::Activation,
        "sha256:act",
        T0.plus_seconds(3600),
    )
    .await;
    let wrong = consume(&store, "sha256:act", TokenPurpose::PasswordReset, T0).await;
    assert_eq!(wrong, None);
    let right = consume(&store, "sha256:act", TokenPurpose::Activation, T0).await;
    assert_eq!(right, Some(bob.id), "the refusal did not use the token up");
}

async fn expired_token_is_refused(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    let expires = T0.plus_seconds(3600);
    issue_to_bob(&store, bob.id, TokenPurpose::Activation, "sha256:old", expires).await;
    for at in [expires, expires.plus_seconds(1)] {
        assert_eq!(look(&store, "sha256:old", TokenPurpose::Activation, at).await, None);
        assert_eq!(
            consume(&store, "sha256:old", TokenPurpose::Activation, at).await,
            None,
            "a token is over at its expiry instant"
        );
    }
    let just_before = Timestamp(expires.0 - 1);
    assert_eq!(
        consume(&store, "sha256:old", TokenPurpose::Activation, just_before).await,
        Some(bob.id)
    );
}

async fn token_user_looks_without_using_the_token_up(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    issue_to_bob(
        &store,
        bob.id,
        TokenPurpose::PasswordReset,
        "sha256:look",
        T0.plus_seconds(3600),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            look(&store, "sha256:look", TokenPurpose::PasswordReset, T0).await,
            Some(bob.id)
        );
    }
    assert_eq!(
        look(&store, "sha256:look", TokenPurpose::Activation, T0).await,
        None,
        "another purpose"
    );
    assert_eq!(
        consume(&store, "sha256:look", TokenPurpose::PasswordReset, T0).await,
        Some(bob.id)
    );
}

async fn simultaneous_uses_of_one_token_succeed_once(store: SqlStore) {
    let bob = user(&store, "bob@example.org").await;
    for i in 0..5 {
        let hash = format!("sha256:race{i}");
        issue_to_bob(&store, bob.id, TokenPurpose::Activation, &hash, T0.plus_seconds(3600)).await;
    }
    for i in 0..5 {
        let hash = format!("sha256:race{i}");
        let (a, b, c) = tokio::join!(
            store.consume_token(&hash, TokenPurpose::Activation, None, T0),
            store.consume_token(&hash, TokenPurpose::Activation, None, T0),
            store.consume_token(&hash, TokenPurpose::Activation, None, T0)
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
    issue_to_bob(&store, bob.id, TokenPurpose::Activation, "sha256:dup", expires).await;
    let duplicate = try_issue(
        &store,
        bob.id,
        TokenPurpose::Activation,
        "sha256:dup",
        expires,
        (MailKind::Activation, "bob@example.org"),
        "bob",
    )
    .await;
    assert!(
        matches!(duplicate, Err(DomainError::Conflict { field: "token" })),
        "{duplicate:?}"
    );
    let orphan = try_issue(
        &store,
        UserId(9999),
        TokenPurpose::Activation,
        "sha256:orphan",
        expires,
        (MailKind::Activation, "ghost@example.org"),
        "bob",
    )
    .await;
    assert!(matches!(orphan, Err(DomainError::NotFound)), "{orphan:?}");
    assert_eq!(count_rows(&store, "outbox").await, 1, "only the first token's mail");
    assert_eq!(count_rows(&store, "one_time_tokens").await, 1);
}
