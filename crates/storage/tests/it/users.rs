//! Users: insert, look-up, passwords, operators, and the paged users list.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::MailKind;
use sealpost_domain::model::{Session, SessionKind, UserQuery, UserStatus, UserVisibility};
use sealpost_domain::ports::{GroupStore, OutboxStore, SessionStore, UserStore};
use sealpost_domain::types::{Locale, Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::groups::{add_to_group, group};
use crate::messages::mail;
use crate::support::{T0, email, event, new_user, on_both_backends, recent_actions, user, user_created_by};

on_both_backends!(
    inserted_user_reads_back_the_same_by_id_and_by_email,
    taken_email_is_a_conflict_on_email_whatever_the_case_typed,
    unknown_user_is_not_found_by_id_and_absent_by_email,
    credentials_carry_the_password_hash_or_none,
    setting_a_password_activates_the_user_and_ends_all_their_sessions,
    upgrading_a_password_hash_keeps_the_sessions,
    operator_flag_follows_grants_and_revocations,
    login_time_and_language_are_remembered,
    users_list_pages_by_address_and_says_where_to_continue,
    users_list_prefix_search_finds_only_addresses_starting_with_it,
    users_list_search_finds_names_by_prefix_whatever_the_case_and_never_deleted_users,
    administrators_see_members_of_their_accounts_and_users_they_created,
    administrators_of_very_many_groups_see_the_same_users,
);

async fn inserted_user_reads_back_the_same_by_id_and_by_email(store: SqlStore) {
    let creator = user(&store, "creator@example.com").await;
    let mut new = new_user("jordan.miller@example.com");
    new.first_name = "Jordan".to_owned();
    new.last_name = "Miller".to_owned();
    new.status = UserStatus::Pending;
    new.must_change_password = true;
    new.locale = Some(Locale::De);
    new.created_by = Some(creator.id);
    new.created_at = Timestamp(T0.0 + 42);

    let inserted = store
        .insert_user(new, Some(event("user.created", "jordan.miller@example.com")))
        .await
        .expect("inserted");
    let by_id = store.user_by_id(inserted.id).await.expect("found by id");
    let by_email = store
        .user_by_email(&email("jordan.miller@example.com"))
        .await
        .expect("query works")
        .expect("found by email");

    for found in [&inserted, &by_id, &by_email] {
        assert_eq!(found.id, inserted.id);
        assert_eq!(found.email.as_str(), "jordan.miller@example.com");
        assert_eq!(found.full_name(), "Jordan Miller");
        assert_eq!(found.status, UserStatus::Pending);
        assert!(found.must_change_password);
        assert_eq!(found.locale, Some(Locale::De));
        assert!(!found.operator);
        assert_eq!(found.created_by, Some(creator.id));
        assert_eq!(found.created_at, Timestamp(T0.0 + 42));
        assert_eq!(found.last_login_at, None);
    }
    assert_eq!(store.count_users().await.expect("counted"), 2);
    assert_eq!(recent_actions(&store, 10).await, ["user.created"]);
}

async fn taken_email_is_a_conflict_on_email_whatever_the_case_typed(store: SqlStore) {
    user(&store, "alice@example.com").await;
    let result = store
        .insert_user(new_user("  Alice@Example.COM "), Some(event("user.created", "alice")))
        .await;
    assert!(
        matches!(result, Err(DomainError::Conflict { field: "email" })),
        "{result:?}"
    );
    assert_eq!(store.count_users().await.expect("counted"), 1);
    assert!(
        recent_actions(&store, 10).await.is_empty(),
        "the refused insert wrote no audit event"
    );
}

async fn unknown_user_is_not_found_by_id_and_absent_by_email(store: SqlStore) {
    assert!(matches!(
        store.user_by_id(UserId(4242)).await,
        Err(DomainError::NotFound)
    ));
    let nobody = email("nobody@example.com");
    assert!(store.user_by_email(&nobody).await.expect("query").is_none());
    assert!(store.credentials_by_email(&nobody).await.expect("query").is_none());
    assert_eq!(store.count_users().await.expect("counted"), 0);
}

async fn credentials_carry_the_password_hash_or_none(store: SqlStore) {
    let with = user(&store, "with@example.com").await;
    let mut new = new_user("without@example.com");
    new.password_hash = None;
    new.status = UserStatus::Pending;
    store.insert_user(new, None).await.expect("inserted");

    let credentials = store
        .credentials_by_email(&email("with@example.com"))
        .await
        .expect("query")
        .expect("found");
    assert_eq!(credentials.user.id, with.id);
    assert_eq!(
        credentials.password_hash.as_deref(),
        new_user("x@example.com").password_hash.as_deref()
    );
    let credentials = store
        .credentials_by_email(&email("without@example.com"))
        .await
        .expect("query")
        .expect("found");
    assert_eq!(credentials.password_hash, None);
    assert_eq!(credentials.user.status, UserStatus::Pending);
}

fn session_of(user: UserId, id_hash: &str) -> Session {
    Session {
        id_hash: id_hash.to_owned(),
        user_id: user,
        csrf_token: format!("csrf-{id_hash}"),
        kind: SessionKind::Full,
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0.plus_seconds(3600),
    }
}

async fn setting_a_password_activates_the_user_and_ends_all_their_sessions(store: SqlStore) {
    let mut new = new_user("pending@example.com");
    new.status = UserStatus::Pending;
    new.password_hash = None;
    let pending = store.insert_user(new, None).await.expect("inserted");
    let other = user(&store, "other@example.com").await;
    for (owner, id) in [(pending.id, "s1"), (pending.id, "s2"), (other.id, "s3")] {
        store
            .insert_session(&session_of(owner, id))
            .await
            .expect("session stored");
    }

    store
        .set_password(
            pending.id,
            "$argon2id$new",
            true,
            None,
            event("user.password_set", "pending@example.com"),
        )
        .await
        .expect("password set");

    let credentials = store
        .credentials_by_email(&pending.email)
        .await
        .expect("query")
        .expect("found");
    assert_eq!(credentials.password_hash.as_deref(), Some("$argon2id$new"));
    assert_eq!(credentials.user.status, UserStatus::Active);
    assert!(credentials.user.must_change_password);
    for id in ["s1", "s2"] {
        assert!(store.session(id, T0).await.expect("query").is_none(), "{id} ended");
    }
    assert!(
        store.session("s3", T0).await.expect("query").is_some(),
        "another user's session survives"
    );
    assert_eq!(recent_actions(&store, 10).await, ["user.password_set"]);

    let notice = mail(MailKind::SecurityNotice, "pending@example.com", None);
    store
        .set_password(pending.id, "$argon2id$newer", false, Some(&notice), event("again", "x"))
        .await
        .expect("password set again");
    let user = store.user_by_id(pending.id).await.expect("found");
    assert!(!user.must_change_password);

    let stray = mail(MailKind::SecurityNotice, "nobody@example.com", None);
    let missing = store
        .set_password(UserId(9999), "h", false, Some(&stray), event("user.password_set", "x"))
        .await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
    assert_eq!(recent_actions(&store, 10).await, ["again", "user.password_set"]);
    let queued = store.claim_outbox(T0, T0.plus_seconds(60), 10).await.expect("claimed");
    let queued: Vec<&str> = queued.iter().map(|item| item.to.as_str()).collect();
    assert_eq!(
        queued,
        ["pending@example.com"],
        "the notice goes with its change, none without one"
    );
}

async fn upgrading_a_password_hash_keeps_the_sessions(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let hash_of_alice = || async {
        store
            .credentials_by_email(&alice.email)
            .await
            .expect("query")
            .expect("found")
            .password_hash
    };
    let weaker = hash_of_alice().await.expect("alice has a password");
    store.insert_session(&session_of(alice.id, "s1")).await.expect("stored");
    store
        .upgrade_password_hash(alice.id, &weaker, "$argon2id$stronger")
        .await
        .expect("upgraded");
    assert_eq!(hash_of_alice().await.as_deref(), Some("$argon2id$stronger"));
    assert!(store.session("s1", T0).await.expect("query").is_some());

    // An upgrade computed from a hash that has been replaced since (the password
    // was changed meanwhile) must not bring the old password back.
    let stale = store
        .upgrade_password_hash(alice.id, &weaker, "$argon2id$old-password-rehashed")
        .await;
    assert!(matches!(stale, Err(DomainError::NotFound)), "{stale:?}");
    assert_eq!(hash_of_alice().await.as_deref(), Some("$argon2id$stronger"));
    assert!(matches!(
        store.upgrade_password_hash(UserId(9999), "h", "h2").await,
        Err(DomainError::NotFound)
    ));
}

async fn operator_flag_follows_grants_and_revocations(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    assert!(!store.user_by_id(alice.id).await.expect("found").operator);

    for _ in 0..2 {
        store
            .set_operator(alice.id, true, event("operator.granted", "alice"))
            .await
            .expect("granted, also the second time");
    }
    assert!(store.user_by_id(alice.id).await.expect("found").operator);
    assert!(!store.user_by_id(bob.id).await.expect("found").operator);
    let credentials = store
        .credentials_by_email(&alice.email)
        .await
        .expect("query")
        .expect("found");
    assert!(credentials.user.operator);
    let page = store
        .list_users(&UserQuery {
            visibility: UserVisibility::All,
            prefix: None,
            status: sealpost_domain::model::UserStatusFilter::Any,
            after: None,
            limit: 10,
        })
        .await
        .expect("listed");
    let flags: Vec<(&str, bool)> = page.users.iter().map(|u| (u.email.as_str(), u.operator)).collect();
    assert_eq!(flags, [("alice@example.com", true), ("bob@example.com", false)]);

    store
        .set_operator(alice.id, false, event("operator.revoked", "alice"))
        .await
        .expect("revoked");
    assert!(!store.user_by_id(alice.id).await.expect("found").operator);
    assert!(matches!(
        store
            .set_operator(UserId(9999), true, event("operator.granted", "x"))
            .await,
        Err(DomainError::NotFound)
    ));
    assert_eq!(
        recent_actions(&store, 10).await,
        ["operator.revoked", "operator.granted", "operator.granted"]
    );
}

async fn login_time_and_language_are_remembered(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    store
        .record_login(alice.id, Timestamp(T0.0 + 5000))
        .await
        .expect("recorded");
    store.set_user_locale(alice.id, Some(Locale::Fr)).await.expect("set");
    let found = store.user_by_id(alice.id).await.expect("found");
    assert_eq!(found.last_login_at, Some(Timestamp(T0.0 + 5000)));
    assert_eq!(found.locale, Some(Locale::Fr));

    store.set_user_locale(alice.id, None).await.expect("cleared");
    assert_eq!(store.user_by_id(alice.id).await.expect("found").locale, None);
    assert!(matches!(
        store.record_login(UserId(9999), T0).await,
        Err(DomainError::NotFound)
    ));
}

fn everyone(prefix: Option<&str>, after: Option<&str>, limit: u32) -> UserQuery {
    UserQuery {
        visibility: UserVisibility::All,
        prefix: prefix.map(str::to_owned),
        status: sealpost_domain::model::UserStatusFilter::Any,
        after: after.map(str::to_owned),
        limit,
    }
}

fn addresses(page: &sealpost_domain::model::UserPage) -> Vec<&str> {
    page.users.iter().map(|u| u.email.as_str()).collect()
}

async fn users_list_pages_by_address_and_says_where_to_continue(store: SqlStore) {
    for name in ["dora", "bob", "eve", "alice", "carol"] {
        user(&store, &format!("{name}@example.com")).await;
    }
    let first = store.list_users(&everyone(None, None, 2)).await.expect("page 1");
    assert_eq!(addresses(&first), ["alice@example.com", "bob@example.com"]);
    assert_eq!(first.next_after.as_deref(), Some("bob@example.com"));

    let second = store
        .list_users(&everyone(None, first.next_after.as_deref(), 2))
        .await
        .expect("page 2");
    assert_eq!(addresses(&second), ["carol@example.com", "dora@example.com"]);
    assert_eq!(second.next_after.as_deref(), Some("dora@example.com"));

    let last = store
        .list_users(&everyone(None, second.next_after.as_deref(), 2))
        .await
        .expect("page 3");
    assert_eq!(addresses(&last), ["eve@example.com"]);
    assert_eq!(last.next_after, None);

    let exact = store
        .list_users(&everyone(None, Some("bob@example.com"), 3))
        .await
        .expect("a page that ends exactly at the last user");
    assert_eq!(addresses(&exact).len(), 3);
    assert_eq!(exact.next_after, None, "no next page when nothing follows a full page");
}

async fn users_list_prefix_search_finds_only_addresses_starting_with_it(store: SqlStore) {
    for address in [
        "an@example.com",
        "ann@example.com",
        "anna@example.com",
        "annz@example.com",
        "ao@example.com",
        "bob@example.com",
        "zann@example.com",
    ] {
        user(&store, address).await;
    }
    let page = store
        .list_users(&everyone(Some("ann"), None, 10))
        .await
        .expect("searched");
    assert_eq!(
        addresses(&page),
        ["ann@example.com", "anna@example.com", "annz@example.com"]
    );
    assert_eq!(page.next_after, None);

    let page = store
        .list_users(&everyone(Some("an"), None, 2))
        .await
        .expect("searched");
    assert_eq!(addresses(&page), ["an@example.com", "ann@example.com"]);
    let next = store
        .list_users(&everyone(Some("an"), page.next_after.as_deref(), 2))
        .await
        .expect("next page of the search");
    assert_eq!(addresses(&next), ["anna@example.com", "annz@example.com"]);
    assert_eq!(next.next_after, None, "ao@ is not part of the search");

    let none = store
        .list_users(&everyone(Some("zz"), None, 10))
        .await
        .expect("searched");
    assert!(none.users.is_empty());
    assert_eq!(none.next_after, None);
}

async fn administrators_see_members_of_their_accounts_and_users_they_created(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let own = account(&store, 1_000_001, Some(admin.id)).await;
    let foreign = account(&store, 1_000_002, None).await;
    let finance = group(&store, own.id, "Finance").await;
    let foreign_admins = store.admin_group(foreign.id).await.expect("group");

    let member = user(&store, "member@example.com").await;
    let outsider = user(&store, "outsider@example.com").await;
    let created = user_created_by(&store, "created@example.com", admin.id).await;
    user(&store, "stranger@example.com").await;
    store
        .add_member(finance.id, member.id, Some(admin.id), T0, event("add", "m"))
        .await
        .expect("added");
    add_to_group(&store, foreign_admins.id, outsider.id).await;
    // In two groups of the account, listed once.
    add_to_group(&store, finance.id, admin.id).await;

    let visible_to = |accounts: Vec<_>, limit| UserQuery {
        visibility: UserVisibility::Administrator {
            accounts,
            creator: admin.id,
        },
        prefix: None,
        status: sealpost_domain::model::UserStatusFilter::Any,
        after: None,
        limit,
    };
    let page = store.list_users(&visible_to(vec![own.id], 10)).await.expect("listed");
    assert_eq!(
        addresses(&page),
        ["admin@example.com", "created@example.com", "member@example.com"]
    );

    let page = store
        .list_users(&visible_to(vec![own.id, foreign.id], 10))
        .await
        .expect("listed");
    assert_eq!(
        addresses(&page),
        [
            "admin@example.com",
            "created@example.com",
            "member@example.com",
            "outsider@example.com"
        ]
    );

    let page = store.list_users(&visible_to(vec![], 10)).await.expect("listed");
    assert_eq!(addresses(&page), [created.email.as_str()]);

    let first = store.list_users(&visible_to(vec![own.id], 1)).await.expect("listed");
    assert_eq!(addresses(&first), ["admin@example.com"]);
    assert_eq!(first.next_after.as_deref(), Some("admin@example.com"));
    let mut query = visible_to(vec![own.id], 10);
    query.after = first.next_after.clone();
    query.prefix = Some("m".to_owned());
    let rest = store.list_users(&query).await.expect("listed");
    assert_eq!(addresses(&rest), ["member@example.com"]);
}

async fn administrators_of_very_many_groups_see_the_same_users(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let acme = account(&store, 1_000_001, Some(admin.id)).await;
    // More groups than the store merges one by one (it then filters the address
    // index instead); the answer must not change.
    let mut last = None;
    for i in 0..110 {
        last = Some(group(&store, acme.id, &format!("Team {i:03}")).await);
    }
    let last = last.expect("groups were created");
    for address in ["zoe@example.com", "bea@example.com"] {
        let member = user(&store, address).await;
        add_to_group(&store, last.id, member.id).await;
    }
    user_created_by(&store, "made@example.com", admin.id).await;
    user(&store, "stranger@example.com").await;

    let mut query = UserQuery {
        visibility: UserVisibility::Administrator {
            accounts: vec![acme.id],
            creator: admin.id,
        },
        prefix: None,
        status: sealpost_domain::model::UserStatusFilter::Any,
        after: None,
        limit: 3,
    };
    let first = store.list_users(&query).await.expect("listed");
    assert_eq!(
        addresses(&first),
        ["admin@example.com", "bea@example.com", "made@example.com"]
    );
    assert_eq!(first.next_after.as_deref(), Some("made@example.com"));
    query.after = first.next_after.clone();
    let second = store.list_users(&query).await.expect("listed");
    assert_eq!(addresses(&second), ["zoe@example.com"]);
    assert_eq!(second.next_after, None);
    query.after = None;
    query.prefix = Some("b".to_owned());
    let searched = store.list_users(&query).await.expect("listed");
    assert_eq!(addresses(&searched), ["bea@example.com"]);
}

async fn users_list_search_finds_names_by_prefix_whatever_the_case_and_never_deleted_users(store: SqlStore) {
    use sealpost_domain::model::UserStatusFilter;
    use sealpost_domain::ports::UserAdminStore as _;
    for (address, first, last, status) in [
        ("zed@example.com", "Marta", "Keller", UserStatus::Active),
        ("amy@example.com", "Amy", "MARTIN", UserStatus::Locked),
        ("bo@example.com", "Bo", "Lamartine", UserStatus::Active),
        ("cy@example.com", "Cy", "Martens", UserStatus::Active),
        ("gone@example.com", "Mart", "Gone", UserStatus::Active),
    ] {
        let mut new = new_user(address);
        new.first_name = first.to_owned();
        new.last_name = last.to_owned();
        new.status = status;
        store.insert_user(new, None).await.expect("inserted");
    }
    let gone = store
        .user_by_email(&email("gone@example.com"))
        .await
        .expect("read")
        .expect("there");
    store
        .delete_user(gone.id, T0, event("user.deleted", "gone@example.com"))
        .await
        .expect("deleted");

    // A prefix of the first or the last name, any case; in address order; a part
    // inside a name (Lamartine) is not a prefix.
    let page = store
        .list_users(&everyone(Some("mar"), None, 10))
        .await
        .expect("searched");
    assert_eq!(
        addresses(&page),
        ["amy@example.com", "cy@example.com", "zed@example.com"]
    );
    assert_eq!(page.total, 3, "the deleted Mart is neither listed nor counted");
    let first = store
        .list_users(&everyone(Some("mar"), None, 2))
        .await
        .expect("first page");
    let next = store
        .list_users(&everyone(Some("mar"), first.next_after.as_deref(), 2))
        .await
        .expect("next page");
    assert_eq!(addresses(&next), ["zed@example.com"]);
    assert_eq!(next.total, 3);

    let mut locked = everyone(Some("mar"), None, 10);
    locked.status = UserStatusFilter::Only(UserStatus::Locked);
    let page = store.list_users(&locked).await.expect("locked");
    assert_eq!((addresses(&page), page.total), (vec!["amy@example.com"], 1));
}
