//! The Audit tab's query: filters by kind, actor and dates, cursor pages both ways,
//! the total (counted up to a cap), and never another account's events.

use sealpost_domain::model::AuditEvent;
use sealpost_domain::ports::{AuditKind, AuditListing, AuditPageAt, AuditQuery, AuditStore};
use sealpost_domain::types::{AccountId, Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::support::{T0, on_both_backends, user};

on_both_backends!(
    audit_search_hides_views_by_default_and_filters_by_kind,
    audit_search_filters_by_who_and_date_range,
    audit_search_pages_older_and_newer_from_a_cursor_with_the_total,
    audit_search_never_reads_another_accounts_events_whatever_the_filter,
    audit_search_counts_up_to_its_cap_and_pages_to_the_oldest_event_past_it,
);

const MINUTE: i64 = 60_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp(T0.0 + minutes * MINUTE)
}

async fn record(
    store: &SqlStore,
    account: AccountId,
    actor: Option<UserId>,
    action: &str,
    target: &str,
    when: Timestamp,
) {
    store
        .record_audit(AuditEvent {
            at: when,
            actor,
            account_id: Some(account),
            action: action.to_owned(),
            target: target.to_owned(),
            ip: Some("192.0.2.7".to_owned()),
            outcome: "ok".to_owned(),
        })
        .await
        .expect("recorded");
}

fn query(kind: AuditKind) -> AuditQuery {
    AuditQuery {
        kind,
        limit: 50,
        ..AuditQuery::default()
    }
}

async fn targets(store: &SqlStore, account: AccountId, query: &AuditQuery) -> (Vec<String>, u64) {
    let listing = store.search_audit(account, query).await.expect("searched");
    (
        listing.entries.into_iter().map(|e| e.event.target).collect(),
        listing.total,
    )
}

async fn audit_search_hides_views_by_default_and_filters_by_kind(store: SqlStore) {
    let acme = account(&store, 1_000_001, None).await;
    record(&store, acme.id, None, "group.created", "g1", at(1)).await;
    record(&store, acme.id, None, "message.opened", "v1", at(2)).await;
    record(&store, acme.id, None, "message.sent", "m1", at(3)).await;
    record(&store, acme.id, None, "message.opened_with_secret", "v2", at(4)).await;
    record(&store, acme.id, None, "group.member_added", "g2", at(5)).await;

    let (changes, total) = targets(&store, acme.id, &query(AuditKind::Changes)).await;
    assert_eq!(changes, ["g2", "m1", "g1", "1000001"], "views hidden, newest first");
    assert_eq!(total, 4);
    let (views, total) = targets(&store, acme.id, &query(AuditKind::Views)).await;
    assert_eq!((views, total), (vec!["v2".to_owned(), "v1".to_owned()], 2));
    let (groups, _) = targets(&store, acme.id, &query(AuditKind::Group)).await;
    assert_eq!(groups, ["g2", "g1"]);
    let (messages, _) = targets(&store, acme.id, &query(AuditKind::Message)).await;
    assert_eq!(messages, ["m1"], "the Messages kind leaves the views out too");
    let (all, total) = targets(&store, acme.id, &query(AuditKind::All)).await;
    assert_eq!(all.len(), 6);
    assert_eq!(total, 6);
}

async fn audit_search_filters_by_who_and_date_range(store: SqlStore) {
    let acme = account(&store, 1_000_002, None).await;
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    record(&store, acme.id, Some(alice.id), "group.created", "a-early", at(10)).await;
    record(&store, acme.id, Some(bob.id), "group.created", "b-mid", at(24 * 60)).await;
    record(
        &store,
        acme.id,
        Some(alice.id),
        "group.deleted",
        "a-late",
        at(3 * 24 * 60),
    )
    .await;
    // The service acting (no user) matches no address.
    record(&store, acme.id, None, "group.deleted", "nobody", at(3 * 24 * 60 + 1)).await;

    let mut by_alice = query(AuditKind::Changes);
    by_alice.who = "ALICE@".to_owned();
    let (rows, total) = targets(&store, acme.id, &by_alice).await;
    assert_eq!((rows, total), (vec!["a-late".to_owned(), "a-early".to_owned()], 2));
    let listing = store.search_audit(acme.id, &by_alice).await.expect("searched");
    assert_eq!(listing.entries[0].who.as_deref(), Some("alice@example.com"));

    let mut wildcard = query(AuditKind::Changes);
    wildcard.who = "%".to_owned();
    assert_eq!(targets(&store, acme.id, &wildcard).await.1, 0);

    let mut range = query(AuditKind::Changes);
    range.from = Some(at(60));
    range.until = Some(at(2 * 24 * 60));
    assert_eq!(targets(&store, acme.id, &range).await, (vec!["b-mid".to_owned()], 1));
    range.until = Some(at(3 * 24 * 60));
    assert_eq!(
        targets(&store, acme.id, &range).await.0,
        ["b-mid"],
        "the end of the range is exclusive"
    );
    range.who = "alice".to_owned();
    range.until = None;
    assert_eq!(targets(&store, acme.id, &range).await.0, ["a-late"]);
}

async fn audit_search_pages_older_and_newer_from_a_cursor_with_the_total(store: SqlStore) {
    let acme = account(&store, 1_000_003, None).await;
    // Two events share each instant: the id breaks the tie, in both directions.
    for i in 0..9 {
        record(&store, acme.id, None, "group.created", &format!("e{i}"), at(1 + i / 2)).await;
    }
    let mut q = query(AuditKind::Group);
    q.limit = 4;
    let page = |l: &AuditListing| l.entries.iter().map(|e| e.event.target.clone()).collect::<Vec<_>>();

    let first = store.search_audit(acme.id, &q).await.expect("first");
    assert_eq!(page(&first), ["e8", "e7", "e6", "e5"]);
    assert_eq!(first.total, 9);
    assert!(first.newer.is_none());
    q.page = AuditPageAt::OlderThan(first.older.expect("an older page"));
    let second = store.search_audit(acme.id, &q).await.expect("second");
    assert_eq!(page(&second), ["e4", "e3", "e2", "e1"]);
    assert_eq!(second.total, 9, "the total is the filter's, whatever the page");
    q.page = AuditPageAt::OlderThan(second.older.expect("a third page"));
    let third = store.search_audit(acme.id, &q).await.expect("third");
    assert_eq!(page(&third), ["e0"]);
    assert!(third.older.is_none(), "nothing older than the last page");

    q.page = AuditPageAt::NewerThan(third.newer.expect("back"));
    let back = store.search_audit(acme.id, &q).await.expect("back");
    assert_eq!(page(&back), ["e4", "e3", "e2", "e1"]);
    q.page = AuditPageAt::NewerThan(back.newer.expect("back to the first"));
    let top = store.search_audit(acme.id, &q).await.expect("top");
    assert_eq!(page(&top), ["e8", "e7", "e6", "e5"]);
    assert!(top.newer.is_none(), "nothing newer than the first page");
    assert!(top.older.is_some());
}

async fn audit_search_never_reads_another_accounts_events_whatever_the_filter(store: SqlStore) {
    let one = account(&store, 1_000_004, None).await;
    let two = account(&store, 2_000_004, None).await;
    let alice = user(&store, "alice@one.example").await;
    record(&store, one.id, Some(alice.id), "group.created", "one-secret", at(1)).await;
    record(&store, one.id, Some(alice.id), "message.opened", "one-view", at(2)).await;
    record(&store, two.id, None, "group.created", "two-own", at(3)).await;

    for kind in AuditKind::EVERY {
        for who in ["", "alice", "one.example"] {
            let mut q = query(kind);
            q.who = who.to_owned();
            let (rows, total) = targets(&store, two.id, &q).await;
            assert!(
                !rows.iter().any(|r| r.starts_with("one")),
                "{kind:?} {who:?} leaked {rows:?}"
            );
            assert_eq!(total as usize, rows.len());
        }
    }
    assert_eq!(
        targets(&store, AccountId(987_654), &query(AuditKind::All)).await,
        (vec![], 0)
    );
}

async fn audit_search_counts_up_to_its_cap_and_pages_to_the_oldest_event_past_it(store: SqlStore) {
    use sealpost_domain::services::audit::AUDIT_COUNTED_UP_TO;
    let acme = account(&store, 1_000_005, None).await;
    // 1,500 events in one statement, one a second: every third a login, the
    // others group events (1,000: the cap).
    sqlx::query(&format!(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1500) \
         SELECT {} + n * 1000, NULL, {}, \
                CASE WHEN n % 3 = 0 THEN 'session.login' ELSE 'group.created' END, 'e' || n, NULL, 'ok' \
         FROM seq",
        at(10).0,
        acme.id.0
    ))
    .execute(store.pool())
    .await
    .expect("seeded");

    let mut q = query(AuditKind::All);
    let first = store.search_audit(acme.id, &q).await.expect("first");
    assert_eq!(first.total, AUDIT_COUNTED_UP_TO + 1, "counted up to one past the cap");
    assert_eq!(first.entries[0].event.target, "e1500");
    let logins = store
        .search_audit(acme.id, &query(AuditKind::Session))
        .await
        .expect("logins");
    assert_eq!(logins.total, 500, "under the cap the count is exact");
    assert_eq!(logins.entries[0].event.target, "e1500");

    // Past the cap an area's page is found walking the time order: the same rows.
    sqlx::query(&format!(
        "INSERT INTO audit_events (at, actor_user_id, account_id, action, target, ip, outcome) \
         VALUES ({}, NULL, {}, 'group.deleted', 'e1501', NULL, 'ok')",
        at(10).0 + 1501 * 1000,
        acme.id.0
    ))
    .execute(store.pool())
    .await
    .expect("one more group event");
    let mut groups = query(AuditKind::Group);
    let group_page = store.search_audit(acme.id, &groups).await.expect("groups");
    assert_eq!(group_page.total, AUDIT_COUNTED_UP_TO + 1);
    assert_eq!(
        group_page
            .entries
            .iter()
            .take(3)
            .map(|e| e.event.target.as_str())
            .collect::<Vec<_>>(),
        ["e1501", "e1499", "e1498"],
        "group events only, newest first"
    );
    groups.page = AuditPageAt::OlderThan(group_page.older.expect("older groups"));
    let second = store.search_audit(acme.id, &groups).await.expect("older groups");
    assert_eq!(second.entries[0].event.target, "e1426");
    assert!(second.newer.is_some());

    // Paging on from the cursor reaches the oldest event, the account's creation.
    let mut pages = 1;
    let mut last = first;
    while let Some(older) = last.older {
        q.page = AuditPageAt::OlderThan(older);
        last = store.search_audit(acme.id, &q).await.expect("older");
        assert_eq!(last.total, AUDIT_COUNTED_UP_TO + 1, "the same total on every page");
        pages += 1;
    }
    assert_eq!(pages, 31, "1,502 events, 50 a page");
    assert_eq!(
        last.entries.iter().map(|e| e.event.target.as_str()).collect::<Vec<_>>(),
        ["1000005"]
    );
}
