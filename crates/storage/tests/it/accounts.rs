//! Accounts: creation with the built-in group, look-ups, and who administers what.

use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{AccountKey, Confirmation, DeliveryMode, MailKind};
use sealpost_domain::model::Account;
use sealpost_domain::ports::{AccountStore, AuditStore, GroupStore, KeyStore, SettingsStore, StoreResult};
use sealpost_domain::settings::{AccountSettings, SettingChange};
use sealpost_domain::types::{
    AccountId, AccountName, AccountNumber, EmailAddress, GroupName, Locale, Timestamp, UserId,
};
use sealpost_storage::SqlStore;

use crate::groups::{add_to_group, group};
use crate::messages::count_rows;
use crate::support::{T0, event, on_both_backends, recent_actions, user};

on_both_backends!(
    creating_an_account_with_an_admin_creates_the_builtin_group_holding_them,
    account_created_without_an_admin_has_an_empty_builtin_group,
    taken_account_number_is_a_conflict_on_number_and_leaves_nothing_behind,
    account_with_an_unknown_admin_is_not_created,
    unknown_account_number_is_not_found,
    accounts_are_listed_by_number,
    administration_and_membership_follow_the_groups,
    sending_address_and_delivery_mode_are_kept_and_cleared_with_their_events,
    a_sending_address_takes_effect_only_through_its_link,
    one_accounts_settings_never_touch_anothers,
    an_account_reads_with_its_own_settings_in_one_go,
    account_is_found_by_id,
);

/// Creates an account named after its number.
pub async fn account(store: &SqlStore, number: i64, admin: Option<UserId>) -> Account {
    store
        .create_account(
            AccountNumber(number),
            &AccountName::parse(&format!("Account {number}")).expect("name"),
            Locale::De,
            admin,
            event("account.created", &number.to_string()),
        )
        .await
        .expect("the account is created")
}

/// The numbers of `accounts`, in their order.
fn numbers(accounts: &[Account]) -> Vec<i64> {
    accounts.iter().map(|a| a.number.0).collect()
}

async fn creating_an_account_with_an_admin_creates_the_builtin_group_holding_them(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let created = account(&store, 4_711_000, Some(admin.id)).await;
    assert_eq!(created.number, AccountNumber(4_711_000));
    assert_eq!(created.name, "Account 4711000");
    assert_eq!(created.default_locale, Locale::De);
    assert_eq!(created.created_at, T0);

    let found = store
        .account_by_number(AccountNumber(4_711_000))
        .await
        .expect("found by number");
    assert_eq!(found.id, created.id);
    assert_eq!(found.name, created.name);
    assert_eq!(found.default_locale, Locale::De);

    let group = store.admin_group(created.id).await.expect("admin group");
    assert!(group.builtin);
    assert_eq!(group.name, GroupName::ACCOUNT_ADMINISTRATORS);
    assert_eq!(group.account_id, created.id);
    assert_eq!(group.member_count, 1);
    let groups = store.list_groups(created.id).await.expect("groups");
    assert_eq!(groups.len(), 1, "the built-in group is the only one");
    let members = store.list_members(group.id, None, 10).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user.id, admin.id);
    assert!(store.is_account_admin(created.id, admin.id).await.expect("asked"));

    let trail = store.list_audit(Some(created.id), 10).await.expect("account trail");
    assert_eq!(trail.len(), 1, "one event, in the account's own trail");
    assert_eq!(trail[0].action, "account.created");
    assert_eq!(trail[0].account_id, Some(created.id));
}

async fn account_created_without_an_admin_has_an_empty_builtin_group(store: SqlStore) {
    let created = account(&store, 1_000_000, None).await;
    let group = store.admin_group(created.id).await.expect("admin group");
    assert!(group.builtin);
    assert_eq!(group.member_count, 0);
    assert!(
        store
            .list_members(group.id, None, 10)
            .await
            .expect("members")
            .is_empty()
    );
}

async fn taken_account_number_is_a_conflict_on_number_and_leaves_nothing_behind(store: SqlStore) {
    let admin = user(&store, "admin@example.com").await;
    let first = account(&store, 2_000_000, None).await;
    let again = store
        .create_account(
            AccountNumber(2_000_000),
            &AccountName::parse("Other").expect("name"),
            Locale::En,
            Some(admin.id),
            event("account.created", "again"),
        )
        .await;
    assert!(
        matches!(again, Err(DomainError::Conflict { field: "number" })),
        "{again:?}"
    );
    let accounts = store.list_accounts().await.expect("listed");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].name, first.name);
    assert!(store.administered_accounts(admin.id).await.expect("asked").is_empty());
    assert_eq!(recent_actions(&store, 10).await, ["account.created"]);
}

async fn account_with_an_unknown_admin_is_not_created(store: SqlStore) {
    let result = store
        .create_account(
            AccountNumber(3_000_000),
            &AccountName::parse("Ghost").expect("name"),
            Locale::En,
            Some(UserId(9999)),
            event("account.created", "ghost"),
        )
        .await;
    assert!(matches!(result, Err(DomainError::NotFound)), "{result:?}");
    assert!(store.list_accounts().await.expect("listed").is_empty());
    assert!(recent_actions(&store, 10).await.is_empty());
}

async fn unknown_account_number_is_not_found(store: SqlStore) {
    account(&store, 5_000_000, None).await;
    let missing = store.account_by_number(AccountNumber(5_000_001)).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}

async fn accounts_are_listed_by_number(store: SqlStore) {
    for number in [3_000_000, 1_000_000, 2_000_000] {
        account(&store, number, None).await;
    }
    assert_eq!(
        numbers(&store.list_accounts().await.expect("listed")),
        [1_000_000, 2_000_000, 3_000_000]
    );
}

async fn administration_and_membership_follow_the_groups(store: SqlStore) {
    let user_a = user(&store, "a@example.com").await;
    let other = user(&store, "other@example.com").await;
    // Created out of number order, to see the ordering.
    let member_of = account(&store, 2_000_000, Some(other.id)).await;
    let admin_of = account(&store, 3_000_000, Some(user_a.id)).await;
    let unrelated = account(&store, 1_000_000, Some(other.id)).await;
    let staff = group(&store, member_of.id, "Staff").await;
    add_to_group(&store, staff.id, user_a.id).await;

    assert!(store.is_account_admin(admin_of.id, user_a.id).await.expect("asked"));
    assert!(
        !store.is_account_admin(member_of.id, user_a.id).await.expect("asked"),
        "a custom group does not make an administrator"
    );
    assert!(!store.is_account_admin(unrelated.id, user_a.id).await.expect("asked"));

    assert_eq!(
        numbers(&store.administered_accounts(user_a.id).await.expect("asked")),
        [3_000_000]
    );
    assert_eq!(
        numbers(&store.member_accounts(user_a.id).await.expect("asked")),
        [2_000_000, 3_000_000]
    );
    assert_eq!(
        numbers(&store.administered_accounts(other.id).await.expect("asked")),
        [1_000_000, 2_000_000]
    );
}

/// Sets (or, with `None`, clears) an account's delivery mode through the settings
/// port, with its audit event.
async fn set_delivery_mode(store: &SqlStore, account: AccountId, mode: Option<DeliveryMode>) -> StoreResult<()> {
    let change = SettingChange {
        name: "delivery_mode",
        value: mode.map(|m| m.as_str().to_owned()),
    };
    let event = event("account.delivery_mode_set", mode.map_or("", DeliveryMode::as_str));
    store.change_account_settings(account, vec![(change, event)]).await
}

async fn settings(store: &SqlStore, account: AccountId) -> AccountSettings {
    AccountSettings::from_rows(&store.account_settings(account).await.expect("read"))
}

async fn sending_address_and_delivery_mode_are_kept_and_cleared_with_their_events(store: SqlStore) {
    let created = account(&store, 4_711_020, None).await;
    assert_eq!(
        (
            created.sending_address.clone(),
            settings(&store, created.id).await.delivery_mode
        ),
        (None, None)
    );
    let reread = || async { store.account_by_number(AccountNumber(4_711_020)).await.expect("found") };
    let address = EmailAddress::parse("secure@acme.example").expect("address");
    confirm_sending_address(&store, created.id, &address, "sha256:first").await;
    for mode in DeliveryMode::ALL {
        set_delivery_mode(&store, created.id, Some(mode)).await.expect("set");
        let now = reread().await;
        assert_eq!(settings(&store, created.id).await.delivery_mode, Some(mode));
        assert_eq!(now.sending_address.as_ref(), Some(&address), "the other setting stays");
    }
    set_delivery_mode(&store, created.id, None).await.expect("cleared");
    assert_eq!(
        settings(&store, created.id).await.delivery_mode,
        None,
        "back to the service's default"
    );
    assert_eq!(
        recent_actions(&store, 2).await,
        ["account.delivery_mode_set", "account.delivery_mode_set"]
    );
    let link = SettingChange {
        name: "delivery_mode",
        value: Some("link".to_owned()),
    };
    let missing = store
        .change_account_settings(AccountId(999_999), vec![(link, event("x", "y"))])
        .await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
    assert_eq!(
        recent_actions(&store, 1).await,
        ["account.delivery_mode_set"],
        "no event for nothing"
    );
}

async fn one_accounts_settings_never_touch_anothers(store: SqlStore) {
    let ours = account(&store, 4_711_030, None).await;
    let theirs = account(&store, 4_711_031, None).await;
    set_delivery_mode(&store, ours.id, Some(DeliveryMode::Envelope))
        .await
        .expect("set");
    set_delivery_mode(&store, theirs.id, Some(DeliveryMode::Link))
        .await
        .expect("set");
    set_delivery_mode(&store, ours.id, None).await.expect("cleared");
    assert_eq!(settings(&store, ours.id).await.delivery_mode, None);
    assert_eq!(
        settings(&store, theirs.id).await.delivery_mode,
        Some(DeliveryMode::Link),
        "clearing one account's setting leaves another's"
    );
    let rows = store.account_settings(theirs.id).await.expect("read");
    assert_eq!(rows, [("delivery_mode".to_owned(), "link".to_owned())]);
}

/// What sending reads: the account and its settings, as the two reads answer
/// them apart, and its newest key; an account without settings or keys comes with
/// none; an unknown one is `NotFound`.
async fn an_account_reads_with_its_own_settings_in_one_go(store: SqlStore) {
    let ours = account(&store, 4_711_040, None).await;
    let theirs = account(&store, 4_711_041, None).await;
    let bare = account(&store, 4_711_042, None).await;
    set_delivery_mode(&store, ours.id, Some(DeliveryMode::Envelope))
        .await
        .expect("set");
    let brand = SettingChange {
        name: "brand_name",
        value: Some("Acme".to_owned()),
    };
    store
        .change_account_settings(ours.id, vec![(brand, event("account.brand_name_set", "Acme"))])
        .await
        .expect("set");
    set_delivery_mode(&store, theirs.id, Some(DeliveryMode::Link))
        .await
        .expect("set");

    for (account, version) in [(ours.id, 1), (theirs.id, 1), (ours.id, 2), (theirs.id, 3)] {
        store
            .insert_account_key(&AccountKey {
                account_id: account,
                version,
                wrapped: vec![u8::try_from(version).expect("small"); 4],
                created_at: T0.plus_seconds(version),
            })
            .await
            .expect("stored");
    }

    let found = store.account_with_settings(ours.id).await.expect("read");
    assert_eq!(found.account.number, ours.number);
    assert_eq!(found.account.name, ours.name);
    let rows = found.settings;
    assert_eq!(rows, store.account_settings(ours.id).await.expect("read"));
    assert_eq!(rows.len(), 2, "only its own two settings: {rows:?}");
    let key = found.current_key.expect("its newest key");
    assert_eq!(
        (key.account_id, key.version, key.wrapped, key.created_at),
        (ours.id, 2, vec![2; 4], T0.plus_seconds(2)),
        "its own newest key, not the other account's"
    );
    let found = store.account_with_settings(bare.id).await.expect("read");
    assert_eq!((found.account.id, found.settings), (bare.id, Vec::new()));
    assert!(found.current_key.is_none(), "no key before its first message");
    let missing = store.account_with_settings(AccountId(999_999)).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}

/// Asks for `address` to become `account`'s sending address, mailing it a link
/// whose token hash is `hash`.
async fn request_sending_link(store: &SqlStore, account: AccountId, address: &EmailAddress, hash: &str) {
    store
        .request_sending_address(
            account,
            address,
            &sending_link(hash, address.as_str()),
            event("account.sending_address_requested", address.as_str()),
        )
        .await
        .expect("requested");
}

/// Uses `account`'s sending-address link whose token hash is `hash` at `at`;
/// whether it set the address.
async fn use_sending_link(store: &SqlStore, account: AccountId, hash: &str, at: Timestamp) -> bool {
    store
        .confirm_sending_address(account, hash, at, event("account.sending_address_set", hash))
        .await
        .expect("query")
}

/// Requests `address` with a link whose token hash is `hash`, and uses the link.
async fn confirm_sending_address(store: &SqlStore, account: AccountId, address: &EmailAddress, hash: &str) {
    request_sending_link(store, account, address, hash).await;
    assert!(use_sending_link(store, account, hash, T0).await);
}

fn sending_link(hash: &str, to: &str) -> Confirmation {
    Confirmation {
        token_hash: hash.to_owned(),
        expires_at: T0.plus_seconds(48 * 3600),
        mail: crate::messages::mail(MailKind::Activation, to, None),
    }
}

/// Issue 7: an account can no longer send as an address it does not read. A new
/// sending address waits until the link mailed to it is used; a newer request
/// replaces the older link; an expired link does nothing.
async fn a_sending_address_takes_effect_only_through_its_link(store: SqlStore) {
    let created = account(&store, 4_711_021, None).await;
    let reread = || async { store.account_by_number(AccountNumber(4_711_021)).await.expect("found") };
    let payments = EmailAddress::parse("payments@other-bank.example").expect("address");
    request_sending_link(&store, created.id, &payments, "sha256:payments").await;
    let now = reread().await;
    assert_eq!(now.sending_address, None, "not in effect before the link is used");
    assert_eq!(now.pending_sending_address.as_ref(), Some(&payments));
    assert_eq!(
        count_rows(&store, "outbox").await,
        1,
        "the link is mailed to the address"
    );
    assert_eq!(
        store.sending_confirmation("sha256:payments", T0).await.expect("query"),
        Some((created.id, payments.clone()))
    );

    let secure = EmailAddress::parse("secure@acme.example").expect("address");
    request_sending_link(&store, created.id, &secure, "sha256:secure").await;
    let stale = use_sending_link(&store, created.id, "sha256:payments", T0).await;
    assert!(!stale, "the older link was replaced");
    let expired = use_sending_link(&store, created.id, "sha256:secure", T0.plus_seconds(48 * 3600)).await;
    assert!(!expired, "an expired link does nothing");
    assert_eq!(reread().await.sending_address, None);

    let other = account(&store, 4_711_022, None).await;
    let foreign = use_sending_link(&store, other.id, "sha256:secure", T0).await;
    assert!(!foreign, "a link belongs to its account");

    let used = use_sending_link(&store, created.id, "sha256:secure", T0).await;
    assert!(used);
    let now = reread().await;
    assert_eq!(now.sending_address.as_ref(), Some(&secure));
    assert_eq!(now.pending_sending_address, None);
    let twice = use_sending_link(&store, created.id, "sha256:secure", T0).await;
    assert!(!twice, "a link works once");

    store
        .clear_sending_address(created.id, event("account.sending_address_set", ""))
        .await
        .expect("cleared");
    assert_eq!(reread().await.sending_address, None);
}

async fn account_is_found_by_id(store: SqlStore) {
    let acme = account(&store, 4_711_000, None).await;
    let found = AccountStore::account(&store, acme.id).await.expect("found");
    assert_eq!(found.number, acme.number);
    assert_eq!(found.name, "Account 4711000");
    assert_eq!(found.default_locale, Locale::De);
    let missing = AccountStore::account(&store, AccountId(9999)).await;
    assert!(matches!(missing, Err(DomainError::NotFound)), "{missing:?}");
}
