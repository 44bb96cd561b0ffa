//! Renaming, suspending and deleting accounts, and the Accounts list's search,
//! sort and pages, on both backends.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::AccountKey;
use sealpost_domain::ports::{
    AccountAdminStore, AccountQuery, AccountSort, AccountStore, AuditStore, GroupStore, KeyStore, MessageStore,
    SettingsStore,
};
use sealpost_domain::settings::SettingChange;
use sealpost_domain::types::{AccountName, AccountNumber};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::messages::{count_rows, new_message, send};
use crate::support::{T0, event, on_both_backends, recent_actions, user};

on_both_backends!(
    renaming_and_suspending_change_the_account_with_their_events,
    deleting_an_account_destroys_keys_and_what_made_it_work_but_keeps_its_row_and_trail,
    the_accounts_list_searches_name_and_number_sorts_and_pages_with_a_total,
    an_administrators_list_holds_only_their_accounts,
);

async fn renaming_and_suspending_change_the_account_with_their_events(store: SqlStore) {
    let acme = account(&store, 1_000_001, None).await;
    let name = AccountName::parse("Acme Holding").expect("name");
    store
        .rename_account(acme.id, &name, event("account.renamed", "Acme Holding"))
        .await
        .expect("renamed");
    store
        .set_account_suspended(acme.id, Some(T0), event("account.suspended", "1000001"))
        .await
        .expect("suspended");
    let found = store.account_by_number(acme.number).await.expect("found");
    assert_eq!(found.name, "Acme Holding");
    assert_eq!(found.suspended_at, Some(T0));
    let status: String = sqlx::query_scalar("SELECT status FROM accounts WHERE id = $1")
        .bind(acme.id.0)
        .fetch_one(store.pool())
        .await
        .expect("status");
    assert_eq!(status, "suspended");
    store
        .set_account_suspended(acme.id, None, event("account.resumed", "1000001"))
        .await
        .expect("resumed");
    assert_eq!(store.account(acme.id).await.expect("by id").suspended_at, None);
    assert_eq!(
        recent_actions(&store, 3).await,
        ["account.resumed", "account.suspended", "account.renamed"]
    );
}

async fn deleting_an_account_destroys_keys_and_what_made_it_work_but_keeps_its_row_and_trail(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let acme = account(&store, 1_000_002, Some(alice.id)).await;
    let other = account(&store, 1_000_003, Some(alice.id)).await;
    for a in [&acme, &other] {
        store
            .insert_account_key(&AccountKey {
                account_id: a.id,
                version: 1,
                wrapped: vec![1, 2, 3],
                created_at: T0,
            })
            .await
            .expect("key");
        store
            .change_account_settings(
                a.id,
                vec![(
                    SettingChange {
                        name: "secure_forward",
                        value: Some("false".to_owned()),
                    },
                    event("account.secure_forward_set", "false"),
                )],
            )
            .await
            .expect("setting");
    }
    let doomed = send(&store, new_message(acme.id, alice.id, 1, &["bob@example.org"], &[])).await;
    let kept = send(&store, new_message(other.id, alice.id, 2, &["bob@example.org"], &[])).await;
    assert_eq!(count_rows(&store, "outbox").await, 2);

    let shredded = store
        .delete_account(acme.id, T0.plus_seconds(60), event("account.deleted", "1000002"))
        .await
        .expect("deleted");
    assert_eq!(shredded, vec![doomed.public_id]);
    assert!(matches!(
        store.account_by_number(acme.number).await,
        Err(DomainError::NotFound)
    ));
    let tombstone = store.deleted_account(acme.number).await.expect("kept for the trail");
    assert_eq!(tombstone.deleted_at, Some(T0.plus_seconds(60)));
    assert!(matches!(
        store.deleted_account(other.number).await,
        Err(DomainError::NotFound)
    ));
    assert!(
        store
            .message(&doomed.public_id)
            .await
            .expect("row")
            .wrapped_dek
            .is_none()
    );
    assert!(store.message(&kept.public_id).await.expect("row").wrapped_dek.is_some());
    assert!(store.account_key(acme.id, None).await.expect("read").is_none());
    assert!(store.account_key(other.id, None).await.expect("read").is_some());
    assert!(store.list_groups(acme.id).await.expect("groups").is_empty());
    assert_eq!(store.list_groups(other.id).await.expect("groups").len(), 1);
    assert!(store.account_settings(acme.id).await.expect("settings").is_empty());
    assert_eq!(store.account_settings(other.id).await.expect("settings").len(), 1);
    assert_eq!(
        count_rows(&store, "outbox").await,
        1,
        "the waiting notification is gone"
    );
    assert!(!store.is_account_admin(acme.id, alice.id).await.expect("admin?"));
    let administered = store.administered_accounts(alice.id).await.expect("administered");
    assert_eq!(administered.iter().map(|a| a.id).collect::<Vec<_>>(), vec![other.id]);
    let trail = store.list_audit(Some(acme.id), 10).await.expect("trail");
    assert!(trail.iter().any(|e| e.action == "account.created"), "{trail:?}");
    assert!(matches!(
        store
            .delete_account(acme.id, T0, event("account.deleted", "again"))
            .await,
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        store
            .rename_account(
                acme.id,
                &AccountName::parse("Ghost").expect("name"),
                event("account.renamed", "Ghost")
            )
            .await,
        Err(DomainError::NotFound)
    ));
}

async fn the_accounts_list_searches_name_and_number_sorts_and_pages_with_a_total(store: SqlStore) {
    for (number, name) in [
        (3_000_001, "zeta Labs"),
        (1_000_010, "Alpha 100%"),
        (2_000_020, "beta_works"),
        (1_000_030, "Gamma"),
        (4_000_040, "alpha Two"),
    ] {
        let created = account(&store, number, None).await;
        store
            .rename_account(
                created.id,
                &AccountName::parse(name).expect("name"),
                event("account.renamed", name),
            )
            .await
            .expect("renamed");
    }
    let gone = account(&store, 1_000_050, None).await;
    store
        .delete_account(gone.id, T0, event("account.deleted", "x"))
        .await
        .expect("deleted");

    let page = |search: &str, sort, offset, limit| AccountQuery {
        search: search.to_owned(),
        sort,
        offset,
        limit,
        administered_by: None,
    };
    let names = |p: &sealpost_domain::ports::AccountPage| p.accounts.iter().map(|a| a.name.clone()).collect::<Vec<_>>();

    let all = store
        .search_accounts(&page("", AccountSort::Name, 0, 10))
        .await
        .expect("all");
    assert_eq!(all.total, 5, "the deleted account is not listed");
    assert_eq!(
        names(&all),
        ["Alpha 100%", "alpha Two", "beta_works", "Gamma", "zeta Labs"],
        "by name, case folded"
    );
    let second = store
        .search_accounts(&page("", AccountSort::Name, 2, 2))
        .await
        .expect("page 2");
    assert_eq!(
        (second.total, names(&second)),
        (5, vec!["beta_works".to_owned(), "Gamma".to_owned()])
    );
    let by_number = store
        .search_accounts(&page("", AccountSort::Number, 0, 2))
        .await
        .expect("numbers");
    assert_eq!(
        by_number.accounts.iter().map(|a| a.number).collect::<Vec<_>>(),
        [AccountNumber(1_000_010), AccountNumber(1_000_030)]
    );
    // The names a search finds on its first page.
    let found = |search: &'static str, sort| {
        let query = page(search, sort, 0, 10);
        let store = &store;
        async move { names(&store.search_accounts(&query).await.expect(search)) }
    };
    assert_eq!(found("ALPHA", AccountSort::Name).await, ["Alpha 100%", "alpha Two"]);
    // LIKE's wildcards are taken literally.
    assert_eq!(found("0%", AccountSort::Name).await, ["Alpha 100%"]);
    assert_eq!(found("a_w", AccountSort::Name).await, ["beta_works"]);
    // Digits match the start of the number (or the name).
    assert_eq!(found("1000", AccountSort::Number).await, ["Alpha 100%", "Gamma"]);
    assert_eq!(found("4000040", AccountSort::Name).await, ["alpha Two"]);
    let none = store
        .search_accounts(&page("nothing", AccountSort::Name, 0, 10))
        .await
        .expect("none");
    assert_eq!((none.total, none.accounts.len()), (0, 0));
}

async fn an_administrators_list_holds_only_their_accounts(store: SqlStore) {
    let alice = user(&store, "alice@example.com").await;
    let mine = account(&store, 1_000_060, Some(alice.id)).await;
    account(&store, 1_000_070, None).await;
    let query = AccountQuery {
        limit: 10,
        administered_by: Some(alice.id),
        ..AccountQuery::default()
    };
    let page = store.search_accounts(&query).await.expect("mine");
    assert_eq!(page.total, 1);
    assert_eq!(page.accounts.iter().map(|a| a.id).collect::<Vec<_>>(), vec![mine.id]);
}
