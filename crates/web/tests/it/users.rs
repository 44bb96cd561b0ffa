//! The user page and its actions (issue 9): an operator locks a user, who then sees
//! the reason and whom to contact at login, and unlocks them; a reset link sent
//! from the page is used; an administrator of another account sees, changes and
//! sends nothing about this account's members and recipients; an administrator
//! resets a member's two-step verification after a confirmation; every new form
//! refuses a missing CSRF token; anonymous visitors are sent to the login form.

use anyhow::{Context as _, anyhow};
use sealpost_domain::model::UserStatus;

use crate::helpers::{Client, Mail, PASSWORD, TestApp, logged_in, logged_in_with};

const NEW_PASSWORD: &str = "Fresh-Harbour-Lantern-42";

fn err(e: sealpost_domain::DomainError) -> anyhow::Error {
    anyhow!("{e:?}")
}

/// What the user page's actions audit.
const USER_PAGE_ACTIONS: &[&str] = &[
    "user.renamed",
    "user.locked",
    "user.unlocked",
    "user.password_reset_sent",
    "user.activation_resent",
    "user.password_change_required",
    "user.two_step_reset",
    "user.account_locked",
    "user.account_unlocked",
    "user.removed_from_account",
    "user.deleted",
];

/// Every audit event of the user page's actions, newest first.
async fn user_events(app: &TestApp) -> anyhow::Result<Vec<String>> {
    Ok(app
        .store_port()
        .list_audit(None, 1000)
        .await
        .map_err(err)?
        .into_iter()
        .filter(|e| USER_PAGE_ACTIONS.contains(&e.action.as_str()))
        .map(|e| format!("{} {}", e.action, e.target))
        .collect())
}

on_both_databases!(
    an_operator_locks_a_user_who_sees_the_reason_at_login_and_unlocks_them,
    lock_and_unlock
);
async fn lock_and_unlock(app: TestApp) -> anyhow::Result<()> {
    app.add_user("olga@example.com", false).await?;
    app.make_operator("olga@example.com").await?;
    let rita = app.add_user("rita@example.com", false).await?;
    let operator = logged_in(&app, "olga@example.com").await?;
    let rita_session = logged_in(&app, "rita@example.com").await?;
    assert_eq!(rita_session.status("/portal").await?, 200);

    let page = operator.get(&format!("/admin/users/{}", rita.id)).await?;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("rita@example.com"), "{}", page.text());
    assert!(page.body.contains("Two-step verification"));
    assert!(page.body.contains(&format!("href=\"/admin/users/{}/lock\"", rita.id)));

    let confirm = format!("/admin/users/{}/lock", rita.id);
    let asked = operator.get(&confirm).await?;
    assert_eq!(asked.status, 200);
    assert!(
        asked.body.contains("name=\"reason\""),
        "the confirmation asks for the reason"
    );

    // No reason: refused on the confirmation page, nothing locked.
    let refused = operator.submit(&confirm, &confirm, &[("reason", "  ")]).await?;
    assert_eq!(refused.status, 422);
    assert_eq!(app.user("rita@example.com").await?.status, UserStatus::Active);

    let locked = operator
        .submit(&confirm, &confirm, &[("reason", "Left the company in May")])
        .await?;
    assert_eq!(locked.status, 303, "{}", locked.text());
    assert_eq!(app.user("rita@example.com").await?.status, UserStatus::Locked);
    assert_ne!(rita_session.status("/portal").await?, 200, "her session ended");

    let login = app.client().login("rita@example.com", PASSWORD).await?;
    assert_eq!(login.status, 403);
    let text = login.text();
    assert!(text.contains("Left the company in May"), "{text}");
    assert!(text.contains("olga@example.com"), "whom to contact: {text}");
    // A wrong password learns nothing of the lock.
    let guess = app.client().login("rita@example.com", "Wrong-Guess-000").await?;
    assert_eq!(guess.status, 401);
    assert!(!guess.text().contains("Left the company"));

    let shown = operator.get(&format!("/admin/users/{}", rita.id)).await?;
    assert!(shown.text().contains("Left the company in May"));
    let unlock = format!("/admin/users/{}/unlock", rita.id);
    let unlocked = operator
        .submit(&format!("/admin/users/{}", rita.id), &unlock, &[])
        .await?;
    assert_eq!(unlocked.status, 303);
    assert_eq!(app.user("rita@example.com").await?.status, UserStatus::Active);
    logged_in(&app, "rita@example.com").await?;
    let page = operator.get(&format!("/admin/users/{}", rita.id)).await?;
    assert!(
        page.text().contains("127.0.0.1"),
        "the last login's client is shown: {}",
        page.text()
    );
    let events = user_events(&app).await?;
    assert!(
        events.contains(&"user.locked rita@example.com".to_owned()),
        "{events:?}"
    );
    assert!(
        events.contains(&"user.unlocked rita@example.com".to_owned()),
        "{events:?}"
    );
    Ok(())
}

on_both_databases!(a_reset_link_sent_from_the_user_page_sets_a_new_password, reset_link);
async fn reset_link(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let bob = app.add_user("bob@example.com", false).await?;
    app.add_staff_member("alice@example.com", account.number, "bob@example.com")
        .await?;
    let alice = logged_in(&app, "alice@example.com").await?;
    let page = format!("/admin/users/{}", bob.id);
    let sent = alice
        .submit(&page, &format!("/admin/users/{}/reset", bob.id), &[])
        .await?;
    assert_eq!(sent.status, 303, "{}", sent.text());
    app.deliver().await?;
    let link = app.link_path("bob@example.com", "Reset your", "/password/reset?token=")?;
    let set = app.client().reset_password(&link, NEW_PASSWORD).await?;
    assert_eq!(set.status, 303, "{}", set.text());
    logged_in_with(&app, "bob@example.com", NEW_PASSWORD).await?;
    app.deliver().await?;
    let notice = app.mail_to("bob@example.com", "Your Sealpost password was changed")?;
    assert!(notice.text.contains("/password/forgot"), "{}", notice.text);
    let events = user_events(&app).await?;
    assert!(
        events.contains(&"user.password_reset_sent bob@example.com".to_owned()),
        "{events:?}"
    );
    Ok(())
}

on_both_databases!(
    an_administrator_resets_a_members_two_step_verification_and_nobody_else_can,
    reset_two_step
);
async fn reset_two_step(app: TestApp) -> anyhow::Result<()> {
    let world = tenants(&app).await?;
    let max = logged_in(&app, "max@one.example").await?;
    let (_, codes) = crate::two_step::enrol(&app, &max).await?;
    let max_id = sealpost_domain::types::UserId(world.max);
    let on = async || app.services.two_step_enabled(max_id).await.map_err(err);
    let path = format!("/admin/users/{}/two-step/reset", world.max);
    let page = format!("/admin/users/{}", world.max);

    // Another account's administrator, and a form without its token: nothing.
    assert_eq!(world.tim.get(&path).await?.status, 404);
    assert_eq!(world.tim.submit("/admin/users", &path, &[]).await?.status, 404);
    assert_eq!(world.ann.post_raw(&path, &[]).await?.status, 403);
    assert!(on().await?, "still on");
    assert!(user_events(&app).await?.is_empty(), "nothing was audited");
    app.deliver().await?;
    let notices = || -> anyhow::Result<Vec<Mail>> {
        let mails = app.mails()?;
        Ok(mails
            .into_iter()
            .filter(|m| m.subject.contains("two-step verification was reset"))
            .collect())
    };
    assert!(notices()?.is_empty(), "nobody was told of a reset that did not happen");

    let shown = world.ann.get(&page).await?;
    shown.assert_shows("Reset Two-Step Verification");
    let confirm = world.ann.get(&path).await?;
    assert_eq!(confirm.status, 200);
    confirm.assert_shows("max@one.example will log in with the password alone");
    confirm.assert_shows("max@one.example is told by mail.");
    let reset = world.ann.submit(&path, &path, &[]).await?;
    assert_eq!(reset.status, 303, "{}", reset.text());
    assert_eq!(reset.location.as_deref(), Some(page.as_str()));
    let after = world.ann.get(&page).await?;
    after.assert_shows("Two-step verification of max@one.example was reset");
    assert!(!after.shows("Reset Two-Step Verification"), "off now: no button");
    assert!(!on().await?, "off");
    assert_eq!(
        user_events(&app).await?,
        ["user.two_step_reset max@one.example"],
        "audited once, naming Max"
    );
    // Max hears of it by mail, once, with the way to his security page.
    app.deliver().await?;
    let told = notices()?;
    assert_eq!(told.len(), 1, "one notice: {told:?}");
    assert_eq!(told[0].to, "max@one.example");
    assert!(
        told[0]
            .text
            .contains("An administrator reset the two-step verification of max@one.example"),
        "{}",
        told[0].text
    );
    assert!(told[0].text.contains("/me/security"), "{}", told[0].text);
    assert!(told[0].text.contains("Forgot your password?"), "{}", told[0].text);

    // Max's password alone logs him in now; his old recovery codes are gone.
    let fresh = app.client();
    let login = fresh.login("max@one.example", PASSWORD).await?;
    assert_eq!(login.status, 303);
    assert_ne!(login.location.as_deref(), Some("/login/two-step"), "no second step");
    assert_eq!(fresh.status("/portal").await?, 200, "logged in");
    let actor = app.actor("max@one.example").await?;
    let status = app.services.two_step_status(&actor).await.map_err(err)?;
    assert_eq!(status.recovery_codes_left, 0, "codes {codes:?} are gone");

    // Nobody resets their own: Ann turns hers on and finds no button, and a post refused.
    crate::two_step::enrol(&app, &world.ann).await?;
    let ann_id = app.user("ann@one.example").await?.id.0;
    let own = format!("/admin/users/{ann_id}/two-step/reset");
    assert_eq!(world.ann.get(&own).await?.status, 403);
    assert_eq!(world.ann.submit("/admin/users", &own, &[]).await?.status, 403);
    Ok(())
}

/// Account One (administrator Ann, member Max, outside recipient Rob of one of
/// One's messages) and account Two (administrator Tim).
struct Tenants {
    ann: Client,
    tim: Client,
    one: String,
    two: String,
    max: i64,
    rob: i64,
}

async fn tenants(app: &TestApp) -> anyhow::Result<Tenants> {
    app.add_user("ann@one.example", false).await?;
    app.add_user("tim@two.example", false).await?;
    let max = app.add_user("max@one.example", false).await?;
    // Rob registered; he is in no account, only a recipient of One's message.
    let rob = app.add_user("rob@outside.example", false).await?;
    let one = app.add_account("One", Some("ann@one.example")).await?;
    let two = app.add_account("Two", Some("tim@two.example")).await?;
    app.add_staff_member("ann@one.example", one.number, "max@one.example")
        .await?;
    let ann = logged_in(app, "ann@one.example").await?;
    ann.send_to("rob@outside.example", "Contract", "Please sign.", &[])
        .await?;
    let tim = logged_in(app, "tim@two.example").await?;
    Ok(Tenants {
        ann,
        tim,
        one: one.number.to_string(),
        two: two.number.to_string(),
        max: max.id.0,
        rob: rob.id.0,
    })
}

/// Asserts Max is as [`tenants`] made him: active, still named "Test", and his
/// session `max_session` still open.
async fn max_is_untouched(app: &TestApp, max_session: &Client) -> anyhow::Result<()> {
    let max = app.user("max@one.example").await?;
    assert_eq!(max.status, UserStatus::Active);
    assert_eq!(max.first_name, "Test");
    assert_eq!(max_session.status("/portal").await?, 200, "Max's session lives");
    Ok(())
}

/// Every route of the user page that takes a user: (method, path).
fn user_routes(user: i64, account: &str) -> Vec<(&'static str, String)> {
    let mut routes = vec![("GET", format!("/admin/users/{user}"))];
    for action in ["lock", "delete", "two-step/reset"] {
        routes.push(("GET", format!("/admin/users/{user}/{action}")));
    }
    for action in [
        "names",
        "reset",
        "activation",
        "require-password",
        "two-step/reset",
        "lock",
        "unlock",
        "delete",
    ] {
        routes.push(("POST", format!("/admin/users/{user}/{action}")));
    }
    for action in ["lock", "remove"] {
        routes.push(("GET", format!("/admin/accounts/{account}/users/{user}/{action}")));
    }
    for action in ["lock", "unlock", "remove"] {
        routes.push(("POST", format!("/admin/accounts/{account}/users/{user}/{action}")));
    }
    routes
}

on_both_databases!(
    an_administrator_of_another_account_cannot_see_lock_reset_or_delete_members_or_recipients,
    tenant_isolation
);
async fn tenant_isolation(app: TestApp) -> anyhow::Result<()> {
    let world = tenants(&app).await?;
    // Ann sees both her member and her message's recipient.
    for user in [world.max, world.rob] {
        assert_eq!(world.ann.status(&format!("/admin/users/{user}")).await?, 200);
    }
    app.deliver().await?;
    let mails_before = app.mails()?.len();
    let events_before = user_events(&app).await?;
    let max_session = logged_in(&app, "max@one.example").await?;
    let fields = [
        ("first_name", "Evil"),
        ("last_name", "Renamed"),
        ("reason", "Hostile takeover"),
    ];
    for user in [world.max, world.rob] {
        // Through account Two's number, and through One's (which Tim does not administer).
        for account in [&world.two, &world.one] {
            for (method, path) in user_routes(user, account) {
                let answer = if method == "GET" {
                    world.tim.get(&path).await?
                } else {
                    world.tim.submit("/admin/users", &path, &fields).await?
                };
                assert_eq!(answer.status, 404, "{method} {path} answered {}", answer.status);
            }
        }
    }
    let listed = world.tim.get("/admin/users?q=").await?;
    assert!(!listed.body.contains(">max@one.example</a>") && !listed.body.contains(">rob@outside.example</a>"));
    assert!(
        listed.text().contains("1 user found."),
        "Tim sees himself only: {}",
        listed.text()
    );

    // Nothing changed: status, names, sessions, mails, audit.
    max_is_untouched(&app, &max_session).await?;
    assert!(!app.user("max@one.example").await?.must_change_password);
    assert_eq!(app.user("rob@outside.example").await?.status, UserStatus::Active);
    app.deliver().await?;
    assert_eq!(app.mails()?.len(), mails_before, "no mail was sent");
    assert_eq!(user_events(&app).await?, events_before, "nothing was audited");
    Ok(())
}

on_both_databases!(
    every_new_form_refuses_a_missing_csrf_token_and_anonymous_visitors_go_to_login,
    csrf_and_anonymous
);
async fn csrf_and_anonymous(app: TestApp) -> anyhow::Result<()> {
    let world = tenants(&app).await?;
    let max_session = logged_in(&app, "max@one.example").await?;
    let fields = [("first_name", "Evil"), ("last_name", "Renamed"), ("reason", "No token")];
    let stranger = app.client();
    for (method, path) in user_routes(world.max, &world.one) {
        if method == "POST" {
            let answer = world.ann.post_raw(&path, &fields).await?;
            assert_eq!(answer.status, 403, "POST {path} without a token: {}", answer.status);
            let forged = world
                .ann
                .post_raw(&path, &[("csrf", "forged"), ("reason", "No token")])
                .await?;
            assert_eq!(forged.status, 403, "POST {path} with a forged token");
            let anonymous = stranger.submit("/admin/login", &path, &fields).await?;
            assert!(
                matches!(anonymous.status, 303 | 403),
                "anonymous POST {path}: {}",
                anonymous.status
            );
        } else {
            let answer = stranger.get(&path).await?;
            assert_eq!(answer.status, 303, "anonymous GET {path}");
            let login = crate::helpers::login_coming_back("/admin/login", &path)?;
            assert_eq!(answer.location.as_deref(), Some(login.as_str()));
        }
    }
    max_is_untouched(&app, &max_session).await?;
    assert!(user_events(&app).await?.is_empty());
    Ok(())
}

on_both_databases!(
    an_account_lock_keeps_the_user_from_the_accounts_messages_and_compose_only,
    account_lock
);
async fn account_lock(app: TestApp) -> anyhow::Result<()> {
    let world = tenants(&app).await?;
    let max_client = logged_in(&app, "max@one.example").await?;
    let id = max_client
        .send_to("ann@one.example", "Before", "Sent while allowed.", &[])
        .await?;
    let message = world
        .ann
        .send_to("max@one.example", "For Max", "Hello Max.", &[])
        .await?;
    assert_eq!(max_client.status(&format!("/m/{message}")).await?, 200);

    let confirm = format!("/admin/accounts/{}/users/{}/lock", world.one, world.max);
    assert_eq!(world.ann.status(&confirm).await?, 200);
    let locked = world
        .ann
        .submit(&confirm, &confirm, &[("reason", "Under review")])
        .await?;
    assert_eq!(locked.status, 303, "{}", locked.text());
    let page = world.ann.get(&format!("/admin/users/{}", world.max)).await?;
    assert!(page.text().contains("Under review"), "{}", page.text());
    // Not a global lock: Max still logs in, but One's messages stay shut.
    assert_eq!(app.user("max@one.example").await?.status, UserStatus::Active);
    assert_eq!(max_client.status("/portal").await?, 200);
    assert_ne!(max_client.status(&format!("/m/{message}")).await?, 200);
    assert_ne!(max_client.status(&format!("/m/{id}")).await?, 200);
    assert!(
        max_client
            .send_to("ann@one.example", "After", "Should not go.", &[])
            .await
            .is_err(),
        "no sending from One"
    );

    let unlock = format!("/admin/accounts/{}/users/{}/unlock", world.one, world.max);
    let unlocked = world
        .ann
        .submit(&format!("/admin/users/{}", world.max), &unlock, &[])
        .await?;
    assert_eq!(unlocked.status, 303);
    assert_eq!(max_client.status(&format!("/m/{message}")).await?, 200);

    // Removing from the account: a confirmation page first.
    let remove = format!("/admin/accounts/{}/users/{}/remove", world.one, world.max);
    let asked = world.ann.get(&remove).await?;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Remove from Account"));
    assert_eq!(world.ann.submit(&remove, &remove, &[]).await?.status, 303);
    assert!(
        app.services
            .user_view(
                &app.actor("ann@one.example").await?,
                app.user("max@one.example").await?.id
            )
            .await
            .map_err(err)?
            .detail
            .groups
            .is_empty()
    );
    Ok(())
}

on_both_databases!(
    only_operators_delete_and_a_deleted_users_message_stays_readable,
    delete_user
);
async fn delete_user(app: TestApp) -> anyhow::Result<()> {
    let world = tenants(&app).await?;
    app.add_user("olga@example.com", false).await?;
    app.make_operator("olga@example.com").await?;
    let operator = logged_in(&app, "olga@example.com").await?;
    app.add_user("rex@outside.example", false).await?;
    let message = world
        .ann
        .send_to("rex@outside.example", "Kept", "Still here.", &[])
        .await?;
    let ann = app.user("ann@one.example").await?;

    // Ann, an account administrator, may not delete (not even her member).
    let delete = format!("/admin/users/{}/delete", world.max);
    assert_eq!(world.ann.status(&delete).await?, 403);
    assert_eq!(
        world
            .ann
            .submit(&format!("/admin/users/{}", world.max), &delete, &[])
            .await?
            .status,
        403
    );
    let delete_ann = format!("/admin/users/{}/delete", ann.id);
    let asked = operator.get(&delete_ann).await?;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Delete User"));
    let deleted = operator.submit(&delete_ann, &delete_ann, &[]).await?;
    assert_eq!(deleted.status, 303);
    assert_eq!(operator.status(&format!("/admin/users/{}", ann.id)).await?, 404);
    assert_ne!(world.ann.status("/portal").await?, 200, "her session ended");
    assert_eq!(app.login_status("ann@one.example", PASSWORD).await?, 401);
    let listed = operator.get("/admin/users?q=ann").await?;
    assert!(!listed.body.contains(">ann@one.example</a>"), "{}", listed.text());
    let rex = logged_in(&app, "rex@outside.example").await?;
    let read = rex.get(&format!("/m/{message}")).await?;
    assert_eq!(read.status, 200);
    assert!(read.text().contains("Still here."));
    Ok(())
}

on_both_databases!(the_users_list_searches_names_filters_by_status_and_counts, users_list);
async fn users_list(app: TestApp) -> anyhow::Result<()> {
    app.add_user("olga@example.com", false).await?;
    app.make_operator("olga@example.com").await?;
    for email in ["zoe@example.com", "yann@example.com", "xavier@example.com"] {
        app.add_user(email, false).await?;
    }
    let operator = logged_in(&app, "olga@example.com").await?;
    let zoe = app.user("zoe@example.com").await?;
    let lock = format!("/admin/users/{}/lock", zoe.id);
    operator.submit(&lock, &lock, &[("reason", "Test")]).await?;
    // The flash of the lock shows on the next page: see it go.
    operator.get("/admin/users/new").await?;

    // add_user names everyone "Test <local part>": search by last name.
    let by_name = operator.get("/admin/users?q=YANN").await?;
    assert!(by_name.body.contains("yann@example.com"), "{}", by_name.text());
    assert!(!by_name.body.contains("zoe@example.com"));
    assert!(by_name.text().contains("1 user found."), "{}", by_name.text());

    let everyone = operator.get("/admin/users").await?;
    assert!(everyone.text().contains("4 users found."), "{}", everyone.text());
    let locked = operator.get("/admin/users?status=locked").await?;
    assert!(locked.body.contains("zoe@example.com"));
    assert!(!locked.body.contains("yann@example.com"));
    assert!(locked.text().contains("1 user found."));
    let german = operator.get_in("/admin/users?status=active", "de").await?;
    assert!(german.text().contains("3 Benutzer gefunden."), "{}", german.text());
    Ok(())
}

on_both_databases!(
    deleting_a_group_and_removing_a_member_ask_first_and_an_unknown_member_links_to_add_user,
    group_confirmations
);
async fn group_confirmations(app: TestApp) -> anyhow::Result<()> {
    let world = tenants(&app).await?;
    let groups = format!("/admin/accounts/{}/groups", world.one);
    let account = app
        .account(sealpost_domain::types::AccountNumber::parse(&world.one).context("number")?)
        .await?;
    let staff = app
        .store_port()
        .list_groups(account.id)
        .await
        .map_err(err)?
        .into_iter()
        .find(|g| g.name == "Staff")
        .context("Staff")?;
    let group = format!("{groups}/{}", staff.id);
    // How many members Staff has, as stored.
    let members_stored = async || {
        let stored = app.store_port().group(account.id, staff.id).await.map_err(err);
        anyhow::Ok(stored.context("Staff as stored")?.member_count)
    };
    let listed = world.ann.get(&groups).await?;
    assert!(
        listed.body.contains(&format!("href=\"{group}/delete\"")),
        "a link, not a button"
    );
    let asked = world.ann.get(&format!("{group}/delete")).await?;
    assert_eq!(asked.status, 200);
    assert!(asked.text().contains("Delete group Staff"), "{}", asked.text());
    let remove = format!("{group}/members/{}/remove", world.max);
    let members = world.ann.get(&group).await?;
    assert!(members.body.contains(&format!("href=\"{remove}\"")));
    let asked = world.ann.get(&remove).await?;
    assert_eq!(asked.status, 200);
    assert!(
        asked.text().contains("Remove max@one.example from the group"),
        "{}",
        asked.text()
    );
    // Asking changed nothing; another account's administrator is not even asked.
    assert_eq!(world.tim.status(&format!("{group}/delete")).await?, 404);
    assert_eq!(world.tim.status(&remove).await?, 404);
    assert_eq!(members_stored().await?, 1, "asking removed nobody");
    assert_eq!(world.ann.submit(&remove, &remove, &[]).await?.status, 303);
    assert_eq!(members_stored().await?, 0, "Max was removed");

    let refused = world
        .ann
        .submit(
            &group,
            &format!("{group}/members"),
            &[("user_id", "nobody@one.example")],
        )
        .await?;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("Cannot add a non-existent user."));
    let link = "/admin/users/new?username=nobody%40one.example";
    assert!(refused.body.contains(link), "{}", refused.body);
    let form = world.ann.get(link).await?;
    assert!(form.body.contains("value=\"nobody@one.example\""), "prefilled");
    Ok(())
}
