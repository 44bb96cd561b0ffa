//! Groups and members: ordering, account scoping, conflicts, cascades, and the rule
//! that a built-in group keeps its last member.

use sealpost_domain::error::{DomainError, ValidationError};
use sealpost_domain::model::Group;
use sealpost_domain::ports::{AccountAdminStore, AccountMemberStore, AccountStore, GroupStore};
use sealpost_domain::types::EmailAddress;
use sealpost_domain::types::{AccountId, GroupId, GroupName, Timestamp, UserId};
use sealpost_storage::SqlStore;

use crate::accounts::account;
use crate::support::{T0, event, on_both_backends, recent_actions, targets_of, user};

on_both_backends!(
    groups_are_listed_builtin_first_then_by_name_with_member_counts,
    another_accounts_group_is_not_found,
    taken_group_name_is_a_conflict_on_group_name_within_one_account,
    deleting_a_group_removes_its_memberships,
    membership_by_address_is_that_of_the_accounts_list,
    builtin_group_cannot_be_deleted,
    adding_a_member_twice_is_a_conflict_on_member,
    adding_an_unknown_user_or_to_an_unknown_group_is_not_found,
    last_administrator_cannot_be_removed_and_stays_a_member,
    concurrent_removals_of_the_last_two_administrators_leave_one,
    last_member_of_a_custom_group_can_be_removed,
    removing_someone_who_is_not_a_member_is_not_found,
    members_are_listed_by_address_in_pages,
    member_list_follows_a_changed_address,
);

/// Creates a custom group `name` in `account` at [`T0`].
pub async fn group(store: &SqlStore, account: AccountId, name: &str) -> Group {
    store
        .create_group(
            account,
            &GroupName::parse(name, &[]).expect("name"),
            T0,
            event("group.created", name),
        )
        .await
        .expect("the group is created")
}

/// Adds `user` to `group` at [`T0`], added by nobody: for tests in which who
/// added the member, and when, is not what they test.
pub async fn add_to_group(store: &SqlStore, group: GroupId, user: UserId) {
    store
        .add_member(group, user, None, T0, event("add", "x"))
        .await
        .expect("added");
}

async fn groups_are_listed_builtin_first_then_by_name_with_member_counts(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    let acme = account(&store, 1_000_000, Some(admin.id)).await;
    let beta = group(&store, acme.id, "beta").await;
    group(&store, acme.id, "gamma").await;
    let alpha = group(&store, acme.id, "Alpha").await;
    for (g, u) in [(beta.id, admin.id), (beta.id, bob.id), (alpha.id, bob.id)] {
        add_to_group(&store, g, u).await;
    }
    let listed: Vec<(String, bool, i64)> = store
        .list_groups(acme.id)
        .await
        .expect("listed")
        .into_iter()
        .map(|g| (g.name, g.builtin, g.member_count))
        .collect();
    assert_eq!(
        listed,
        [
            (GroupName::ACCOUNT_ADMINISTRATORS.to_owned(), true, 1),
            ("Alpha".to_owned(), false, 1),
            ("beta".to_owned(), false, 2),
            ("gamma".to_owned(), false, 0),
        ]
    );
    let one = store.group(acme.id, beta.id).await.expect("found");
    assert_eq!(one.name, "beta");
    assert_eq!(one.member_count, 2);
    assert!(!one.builtin);
    assert_eq!(one.created_at, T0);
}

async fn another_accounts_group_is_not_found(store: SqlStore) {
    let mine = account(&store, 1_000_000, None).await;
    let theirs = account(&store, 2_000_000, None).await;
    let secret = group(&store, theirs.id, "Secret").await;

    let looked_up = store.group(mine.id, secret.id).await;
    assert!(matches!(looked_up, Err(DomainError::NotFound)), "{looked_up:?}");
    let deleted = store
        .delete_group(mine.id, secret.id, event("group.deleted", "Secret"))
        .await;
    assert!(matches!(deleted, Err(DomainError::NotFound)), "{deleted:?}");
    assert!(store.group(theirs.id, secret.id).await.is_ok(), "still there");
    assert!(matches!(
        store.group(mine.id, GroupId(9999)).await,
        Err(DomainError::NotFound)
    ));
    let names: Vec<String> = store
        .list_groups(mine.id)
        .await
        .expect("listed")
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, [GroupName::ACCOUNT_ADMINISTRATORS]);
}

async fn taken_group_name_is_a_conflict_on_group_name_within_one_account(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let other = account(&store, 2_000_000, None).await;
    group(&store, acme.id, "Finance").await;
    let again = store
        .create_group(
            acme.id,
            &GroupName::parse("Finance", &[]).expect("name"),
            T0,
            event("group.created", "again"),
        )
        .await;
    assert!(
        matches!(again, Err(DomainError::Conflict { field: "group_name" })),
        "{again:?}"
    );
    group(&store, other.id, "Finance").await;
    assert_eq!(store.list_groups(acme.id).await.expect("listed").len(), 2);
    assert_eq!(
        recent_actions(&store, 2).await,
        ["group.created", "group.created"],
        "the refused creation wrote no event"
    );
    assert_eq!(recent_actions(&store, 10).await.len(), 4);
}

async fn deleting_a_group_removes_its_memberships(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    let temp = group(&store, acme.id, "Temp").await;
    for u in [alice.id, bob.id] {
        add_to_group(&store, temp.id, u).await;
    }
    assert_eq!(store.member_accounts(alice.id).await.expect("asked").len(), 1);

    store
        .delete_group(acme.id, temp.id, event("group.deleted", "Temp"))
        .await
        .expect("deleted");
    assert!(matches!(
        store.group(acme.id, temp.id).await,
        Err(DomainError::NotFound)
    ));
    assert!(store.list_members(temp.id, None, 10).await.expect("listed").is_empty());
    assert!(
        store.member_accounts(alice.id).await.expect("asked").is_empty(),
        "the membership went with the group"
    );
    let recreated = group(&store, acme.id, "Temp").await;
    assert_eq!(recreated.member_count, 0);
    assert_eq!(recent_actions(&store, 2).await, ["group.created", "group.deleted"]);
}

/// What the SMTP gateway asks at `MAIL FROM`: the user by address and whether they
/// are a member of the token's account, as the accounts list a user belongs to
/// says it: a member of any of its groups, not locked out of it, the account not
/// deleted; a member of another account only is not.
async fn membership_by_address_is_that_of_the_accounts_list(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let other = account(&store, 1_000_001, None).await;
    let alice = user(&store, "alice@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    let staff = group(&store, acme.id, "Staff").await;
    let theirs = group(&store, other.id, "Staff").await;
    add_to_group(&store, staff.id, alice.id).await;
    add_to_group(&store, theirs.id, bob.id).await;
    let asked = |address: &str| {
        let store = store.clone();
        let address = EmailAddress::parse(address).expect("address");
        async move {
            store
                .member_by_email(acme.id, &address)
                .await
                .expect("asked")
                .map(|(user, member)| (user.email.to_string(), member))
        }
    };
    assert_eq!(
        asked("alice@example.com").await,
        Some(("alice@example.com".to_owned(), true))
    );
    assert_eq!(
        asked("bob@example.com").await,
        Some(("bob@example.com".to_owned(), false))
    );
    assert_eq!(asked("nobody@example.com").await, None);

    store
        .lock_in_account(acme.id, alice.id, "left", bob.id, event("user.account_locked", "x"))
        .await
        .expect("locked out");
    assert_eq!(
        asked("alice@example.com").await,
        Some(("alice@example.com".to_owned(), false))
    );
    assert!(store.member_accounts(alice.id).await.expect("asked").is_empty());
    store
        .unlock_in_account(acme.id, alice.id, event("user.account_unlocked", "x"))
        .await
        .expect("unlocked");
    assert_eq!(
        asked("alice@example.com").await,
        Some(("alice@example.com".to_owned(), true))
    );
    store
        .delete_account(acme.id, T0, event("account.deleted", "x"))
        .await
        .expect("deleted");
    assert_eq!(
        asked("alice@example.com").await,
        Some(("alice@example.com".to_owned(), false))
    );
}

async fn builtin_group_cannot_be_deleted(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let acme = account(&store, 1_000_000, Some(admin.id)).await;
    let admins = store.admin_group(acme.id).await.expect("group");
    let result = store
        .delete_group(acme.id, admins.id, event("group.deleted", "admins"))
        .await;
    assert!(
        matches!(result, Err(DomainError::Validation(ValidationError::BuiltinGroup))),
        "{result:?}"
    );
    assert_eq!(store.admin_group(acme.id).await.expect("still there").member_count, 1);
}

async fn adding_a_member_twice_is_a_conflict_on_member(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let alice = user(&store, "alice@example.com").await;
    let staff = group(&store, acme.id, "Staff").await;
    store
        .add_member(staff.id, alice.id, None, T0, event("group.member_added", "1"))
        .await
        .expect("added");
    let again = store
        .add_member(staff.id, alice.id, None, T0, event("group.member_added", "2"))
        .await;
    assert!(
        matches!(again, Err(DomainError::Conflict { field: "member" })),
        "{again:?}"
    );
    assert_eq!(store.group(acme.id, staff.id).await.expect("found").member_count, 1);
    let targets = targets_of(&store, "group.member_added").await;
    assert_eq!(targets, ["1"], "the refused addition wrote no event");
}

async fn adding_an_unknown_user_or_to_an_unknown_group_is_not_found(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let alice = user(&store, "alice@example.com").await;
    let staff = group(&store, acme.id, "Staff").await;
    let unknown_user = store
        .add_member(
            staff.id,
            sealpost_domain::types::UserId(9999),
            None,
            T0,
            event("add", "x"),
        )
        .await;
    assert!(matches!(unknown_user, Err(DomainError::NotFound)), "{unknown_user:?}");
    let unknown_group = store
        .add_member(GroupId(9999), alice.id, None, T0, event("add", "x"))
        .await;
    assert!(matches!(unknown_group, Err(DomainError::NotFound)), "{unknown_group:?}");
}

async fn last_administrator_cannot_be_removed_and_stays_a_member(store: SqlStore) {
    let first = user(&store, "first@example.com").await;
    let second = user(&store, "second@example.com").await;
    let acme = account(&store, 1_000_000, Some(first.id)).await;
    let admins = store.admin_group(acme.id).await.expect("group");
    add_to_group(&store, admins.id, second.id).await;

    store
        .remove_member(admins.id, first.id, event("group.member_removed", "first"))
        .await
        .expect("one of two administrators may go");
    let refused = store
        .remove_member(admins.id, second.id, event("group.member_removed", "second"))
        .await;
    assert!(
        matches!(
            refused,
            Err(DomainError::Validation(ValidationError::LastAdministrator))
        ),
        "{refused:?}"
    );
    assert!(store.is_account_admin(acme.id, second.id).await.expect("asked"));
    let members = store.list_members(admins.id, None, 10).await.expect("listed");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user.id, second.id);
    let removed = targets_of(&store, "group.member_removed").await;
    assert_eq!(removed, ["first"], "the refusal wrote no removal event");
}

async fn concurrent_removals_of_the_last_two_administrators_leave_one(store: SqlStore) {
    let first = user(&store, "first@example.com").await;
    let second = user(&store, "second@example.com").await;
    let acme = account(&store, 1_000_000, Some(first.id)).await;
    let admins = store.admin_group(acme.id).await.expect("group");
    add_to_group(&store, admins.id, second.id).await;

    let (a, b) = (store.clone(), store.clone());
    let remove_first = tokio::spawn(async move {
        a.remove_member(admins.id, first.id, event("group.member_removed", "first"))
            .await
    });
    let remove_second = tokio::spawn(async move {
        b.remove_member(admins.id, second.id, event("group.member_removed", "second"))
            .await
    });
    let outcomes = [
        remove_first.await.expect("task finished"),
        remove_second.await.expect("task finished"),
    ];
    let succeeded = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(DomainError::Validation(ValidationError::LastAdministrator))))
        .count();
    assert_eq!((succeeded, refused), (1, 1), "{outcomes:?}");
    assert_eq!(store.admin_group(acme.id).await.expect("group").member_count, 1);
}

async fn last_member_of_a_custom_group_can_be_removed(store: SqlStore) {
    let acme = account(&store, 1_000_000, None).await;
    let alice = user(&store, "alice@example.com").await;
    let staff = group(&store, acme.id, "Staff").await;
    add_to_group(&store, staff.id, alice.id).await;
    store
        .remove_member(staff.id, alice.id, event("group.member_removed", "a"))
        .await
        .expect("removed");
    assert_eq!(store.group(acme.id, staff.id).await.expect("found").member_count, 0);
    assert_eq!(recent_actions(&store, 1).await, ["group.member_removed"]);
}

async fn removing_someone_who_is_not_a_member_is_not_found(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let alice = user(&store, "alice@example.com").await;
    let acme = account(&store, 1_000_000, Some(admin.id)).await;
    let admins = store.admin_group(acme.id).await.expect("group");
    let result = store
        .remove_member(admins.id, alice.id, event("group.member_removed", "a"))
        .await;
    assert!(matches!(result, Err(DomainError::NotFound)), "{result:?}");
    let result = store
        .remove_member(GroupId(9999), alice.id, event("group.member_removed", "a"))
        .await;
    assert!(matches!(result, Err(DomainError::NotFound)), "{result:?}");
    assert_eq!(store.admin_group(acme.id).await.expect("group").member_count, 1);
}

async fn members_are_listed_by_address_in_pages(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let acme = account(&store, 1_000_000, None).await;
    let staff = group(&store, acme.id, "Staff").await;
    for (i, name) in ["erin", "bob", "dave", "alice", "carol"].iter().enumerate() {
        let member = user(&store, &format!("{name}@example.com")).await;
        let at = Timestamp(T0.0 + i64::try_from(i).expect("small"));
        store
            .add_member(staff.id, member.id, Some(admin.id), at, event("add", name))
            .await
            .expect("added");
    }
    user(&store, "outsider@example.com").await;

    let first = store.list_members(staff.id, None, 2).await.expect("page 1");
    let emails = |page: &[sealpost_domain::model::Member]| -> Vec<String> {
        page.iter().map(|m| m.user.email.to_string()).collect()
    };
    assert_eq!(emails(&first), ["alice@example.com", "bob@example.com"]);
    assert_eq!(first[0].added_by, Some(admin.id));
    assert_eq!(first[0].added_at, Timestamp(T0.0 + 3));
    let second = store
        .list_members(staff.id, Some("bob@example.com"), 2)
        .await
        .expect("page 2");
    assert_eq!(emails(&second), ["carol@example.com", "dave@example.com"]);
    let last = store
        .list_members(staff.id, Some("dave@example.com"), 2)
        .await
        .expect("page 3");
    assert_eq!(emails(&last), ["erin@example.com"]);
    assert!(
        store
            .list_members(staff.id, Some("erin@example.com"), 2)
            .await
            .expect("past the end")
            .is_empty()
    );
}

async fn member_list_follows_a_changed_address(store: SqlStore) {
    // group_members keeps a copy of the address for ordering; the foreign key must
    // carry a change of users.email over to it.
    let acme = account(&store, 1_000_000, None).await;
    let staff = group(&store, acme.id, "Staff").await;
    for name in ["amy", "ben", "cat"] {
        let member = user(&store, &format!("{name}@example.com")).await;
        add_to_group(&store, staff.id, member.id).await;
    }
    sqlx::query("UPDATE users SET email = $1 WHERE email = $2")
        .bind("zed@example.com")
        .bind("amy@example.com")
        .execute(store.pool())
        .await
        .expect("address changed");
    let members: Vec<String> = store
        .list_members(staff.id, None, 10)
        .await
        .expect("listed")
        .into_iter()
        .map(|m| m.user.email.to_string())
        .collect();
    assert_eq!(members, ["ben@example.com", "cat@example.com", "zed@example.com"]);
    let after: Vec<String> = store
        .list_members(staff.id, Some("cat@example.com"), 10)
        .await
        .expect("listed")
        .into_iter()
        .map(|m| m.user.email.to_string())
        .collect();
    assert_eq!(after, ["zed@example.com"]);
}
