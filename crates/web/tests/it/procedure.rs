//! The seed procedure over HTTP, step by step, with every refusal it can meet.

use anyhow::Context as _;
use sealpost_domain::types::{AccountNumber, GroupId};

use crate::helpers::{Answer, PASSWORD, TestApp, logged_in_with};

fn expect_redirect(answer: &Answer, to: &str) {
    assert_eq!(
        answer.status,
        303,
        "expected a redirect to {to}, got {} with {}",
        answer.status,
        answer.text()
    );
    assert_eq!(answer.location.as_deref(), Some(to));
}

async fn admin_group(app: &TestApp, number: AccountNumber) -> anyhow::Result<GroupId> {
    let account = app.account(number).await?;
    let group = app
        .store_port()
        .admin_group(account.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(group.id)
}

on_both_databases!(
    account_administrator_adds_a_new_administrator_as_the_seed_describes,
    seed_procedure
);
async fn seed_procedure(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let number = account.number;
    let group = admin_group(&app, number).await?;
    let alice = app.client();

    // 1. Log in at /admin.
    let answer = alice.get("/admin").await?;
    expect_redirect(&answer, "/admin/login");
    expect_redirect(&alice.login("alice@example.com", PASSWORD).await?, "/admin/accounts");

    // 2. Accounts, then the link for the account number.
    let accounts = alice.get("/admin/accounts").await?;
    assert!(
        accounts
            .body
            .contains(&format!("href=\"/admin/accounts/{number}\">{number}</a>")),
        "{}",
        accounts.body
    );
    let details = alice.get(&format!("/admin/accounts/{number}")).await?;
    assert!(details.shows("Details") && details.shows("Groups") && details.shows("alice@example.com"));

    // 3.–4. Groups: the table, its footer, and the first icon of the Actions column.
    let groups_path = format!("/admin/accounts/{number}/groups");
    let groups = alice.get(&groups_path).await?;
    assert!(groups.shows("Group Name*") && groups.shows("Add Group"));
    groups.assert_shows("Name Actions");
    assert!(groups.shows("Account Administrators (1 member)"));
    assert!(groups.shows("Showing 1 group(s). Back to Accounts List"));
    let members_path = format!("/admin/accounts/{number}/groups/{group}");
    assert!(groups.body.contains(&format!(
        "href=\"{members_path}\" title=\"Members of Account Administrators\""
    )));

    // 5.–6. User ID and Add to Group, for a user who does not exist yet.
    let add_path = format!("{members_path}/members");
    let refused = alice
        .submit(&members_path, &add_path, &[("user_id", "bob@example.com")])
        .await?;
    assert_eq!(refused.status, 422);
    assert!(refused.shows("Cannot add a non-existent user."));
    assert!(
        refused.body.contains("value=\"bob@example.com\""),
        "what was typed must stay in the field"
    );
    assert!(
        !alice.get(&members_path).await?.shows("bob@example.com"),
        "nothing may change"
    );

    // Troubleshooting: Users → Add User, with each mistake refused on its own.
    let users = alice.get("/admin/users").await?;
    assert!(users.body.contains("href=\"/admin/users/new\">Add User</a>"));
    let form = alice.get("/admin/users/new").await?;
    for label in [
        "Username*",
        "First Name*",
        "Last Name*",
        "Password*",
        "Confirm Password*",
        "Force password expiration",
        "Save",
    ] {
        assert!(form.shows(label), "the Add User form lacks {label}");
    }
    assert!(
        !form.body.contains(" checked"),
        "{} Force password expiration starts unticked; the procedure ticks it",
        form.body
    );
    let temporary = "Temporary-Pass-9";
    let attempts: [(&str, &str, &str, &str); 4] = [
        (
            "bob@example.com",
            temporary,
            "Temporary-Pass-8",
            "The passwords do not match.",
        ),
        (
            "alice@example.com",
            temporary,
            temporary,
            "A user with this username already exists.",
        ),
        ("bob@example", temporary, temporary, "Enter a valid email address"),
        (
            "bob@example.com",
            "short",
            "short",
            "The password must be at least 10 characters long.",
        ),
    ];
    for (username, password, confirmation, message) in attempts {
        let answer = alice
            .submit(
                "/admin/users/new",
                "/admin/users",
                &[
                    ("username", username),
                    ("first_name", "Bob"),
                    ("last_name", "Builder"),
                    ("password", password),
                    ("confirm_password", confirmation),
                    ("force_password_change", "on"),
                ],
            )
            .await?;
        assert_eq!(answer.status, 422, "{username}/{password} should be refused");
        assert!(answer.shows(message), "expected {message:?} in {}", answer.text());
        assert!(
            answer.body.contains(&format!("value=\"{username}\""))
                && answer.body.contains("value=\"Bob\"")
                && answer.body.contains("value=\"Builder\"")
        );
        assert!(answer.body.contains(" checked"), "the checkbox keeps its state");
    }
    let saved = alice
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[
                ("username", "Bob@Example.com"),
                ("first_name", "Bob"),
                ("last_name", "Builder"),
                ("password", temporary),
                ("confirm_password", temporary),
                ("force_password_change", "on"),
            ],
        )
        .await?;
    assert_eq!(saved.status, 303);
    let confirmation = alice.get(saved.location.as_deref().context("no location")?).await?;
    confirmation.assert_shows("User bob@example.com added.");
    assert!(confirmation.shows("bob@example.com Bob Builder"));
    assert!(
        !alice.get("/admin/users").await?.shows("User bob@example.com added."),
        "the confirmation shows once"
    );

    // Retry: the same User ID is now added.
    let added = alice
        .submit(&members_path, &add_path, &[("user_id", "bob@example.com")])
        .await?;
    expect_redirect(&added, &members_path);
    let members = alice.get(&members_path).await?;
    assert!(members.shows("bob@example.com was added to the group Account Administrators."));
    assert!(members.shows("bob@example.com Bob Builder"));
    let again = alice
        .submit(&members_path, &add_path, &[("user_id", "bob@example.com")])
        .await?;
    assert!(again.shows("This user is already a member of the group."));

    // The new administrator logs in with the temporary password and must replace it.
    let bob = app.client();
    expect_redirect(&bob.login("bob@example.com", temporary).await?, "/password");
    for path in ["/admin/accounts", &members_path, "/admin/users", "/portal"] {
        expect_redirect(&bob.get(path).await?, "/password");
    }
    let forced = bob.get("/password").await?;
    assert!(forced.shows("Set a new password") && forced.shows("has expired"));
    let same = bob.change_password(temporary, temporary).await?;
    same.assert_shows("The new password must be different from the current one.");
    let permanent = "Bobs-Own-Secret-77";
    let changed = bob.change_password(temporary, permanent).await?;
    expect_redirect(&changed, "/admin/accounts");
    assert!(bob.get("/admin/accounts").await?.shows("Your new password is set."));
    // Replacing a temporary password someone else chose is no news to mail him.
    app.deliver().await?;
    assert!(
        app.mails()?.iter().all(|m| !m.subject.contains("password was changed")),
        "no notice for the first own password"
    );

    // … and can now administer the account: add a third administrator.
    app.add_user("carol@example.com", false).await?;
    expect_redirect(
        &bob.submit(&members_path, &add_path, &[("user_id", "carol@example.com")])
            .await?,
        &members_path,
    );
    let members = bob.get(&members_path).await?;
    assert!(
        members.shows("alice@example.com") && members.shows("bob@example.com") && members.shows("carol@example.com")
    );

    // Members can be removed again, but never the last administrator.
    let account_id = app.account(number).await?.id;
    for email in ["carol@example.com", "bob@example.com"] {
        let user = app.user(email).await?;
        let removed = alice
            .submit(
                &members_path,
                &format!("{members_path}/members/{}/remove", user.id),
                &[],
            )
            .await?;
        expect_redirect(&removed, &members_path);
    }
    let alice_id = app.user("alice@example.com").await?.id;
    let last = alice
        .submit(&members_path, &format!("{members_path}/members/{alice_id}/remove"), &[])
        .await?;
    assert_eq!(last.status, 422);
    assert!(last.shows("The last administrator of an account cannot be removed."));
    assert!(
        app.store_port()
            .is_account_admin(account_id, alice_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
    );

    // Every change left an audit event.
    let events = app
        .store_port()
        .list_audit(Some(account_id), 50)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let added: Vec<_> = events.iter().filter(|e| e.action == "group.member_added").collect();
    assert_eq!(added.iter().filter(|e| e.outcome == "ok").count(), 2, "{events:?}");
    assert_eq!(added.iter().filter(|e| e.outcome == "refused").count(), 1);
    assert_eq!(events.iter().filter(|e| e.action == "group.member_removed").count(), 2);
    assert!(
        events
            .iter()
            .filter(|e| e.action.starts_with("group."))
            .all(|e| e.ip.as_deref() == Some("127.0.0.1") && e.actor.is_some())
    );
    Ok(())
}

on_both_databases!(
    custom_groups_are_added_and_deleted_but_the_builtin_one_stays,
    custom_groups
);
async fn custom_groups(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let alice = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    let groups_path = format!("/admin/accounts/{}/groups", account.number);

    let empty = alice
        .submit(&groups_path, &groups_path, &[("group_name", "   ")])
        .await?;
    assert!(empty.shows("Fill in this field."));
    expect_redirect(
        &alice
            .submit(&groups_path, &groups_path, &[("group_name", "Finance")])
            .await?,
        &groups_path,
    );
    let page = alice.get(&groups_path).await?;
    assert!(page.shows("Group Finance added.") && page.shows("Showing 2 group(s)."));
    let taken = alice
        .submit(&groups_path, &groups_path, &[("group_name", "Finance")])
        .await?;
    assert!(
        taken.shows("This account already has a group with this name.") && taken.body.contains("value=\"Finance\"")
    );
    let reserved = alice
        .submit(&groups_path, &groups_path, &[("group_name", "Kontoadministratoren")])
        .await?;
    assert!(reserved.shows("This name is reserved for the built-in administrators group."));

    let groups = app
        .store_port()
        .list_groups(account.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let finance = groups.iter().find(|g| g.name == "Finance").context("Finance")?;
    let builtin = groups.iter().find(|g| g.builtin).context("builtin")?;
    let refused = alice
        .submit(&groups_path, &format!("{groups_path}/{}/delete", builtin.id), &[])
        .await?;
    assert_eq!(refused.status, 422);
    assert!(refused.shows("The built-in group cannot be deleted."));
    expect_redirect(
        &alice
            .submit(&groups_path, &format!("{groups_path}/{}/delete", finance.id), &[])
            .await?,
        &groups_path,
    );
    let page = alice.get(&groups_path).await?;
    assert!(page.shows("Group Finance deleted.") && page.shows("Showing 1 group(s)."));
    Ok(())
}

on_both_databases!(pages_speak_the_browsers_language_until_the_switch_changes_it, languages);
async fn languages(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let client = app.client();
    assert!(
        client
            .get_in("/admin/login", "de-DE,de;q=0.9,en;q=0.5")
            .await?
            .shows("Anmelden")
    );
    assert!(
        client
            .get_in("/admin/login", "fr-CH, fr;q=0.9")
            .await?
            .shows("Se connecter")
    );
    assert!(client.get_in("/admin/login", "es").await?.shows("Log In"));

    let switched = client
        .submit("/admin/login", "/language", &[("lang", "fr"), ("back", "/admin/login")])
        .await?;
    expect_redirect(&switched, "/admin/login");
    assert!(
        client.get_in("/admin/login", "de").await?.shows("Se connecter"),
        "the switch beats the browser"
    );

    expect_redirect(&client.login("alice@example.com", PASSWORD).await?, "/admin/accounts");
    let groups = client
        .get(&format!("/admin/accounts/{}/groups", account.number))
        .await?;
    assert!(
        groups.shows("Administrateurs de compte")
            && groups.shows("1 groupe(s) affiché(s).")
            && groups.shows("Retour à la liste des comptes")
    );
    let back = format!("/admin/accounts/{}/groups", account.number);
    assert_eq!(
        crate::helpers::hidden_field(&groups.body, "back").as_deref(),
        Some(back.as_str()),
        "the language switch comes back to this very page"
    );
    let switched = client
        .submit(&back, "/language", &[("lang", "de"), ("back", &back)])
        .await?;
    expect_redirect(&switched, &back);
    assert!(client.get(&back).await?.shows("Kontoadministratoren"));
    let stored = app.user("alice@example.com").await?;
    assert_eq!(
        stored.locale,
        Some(sealpost_domain::types::Locale::De),
        "a logged-in switch is the user's own setting"
    );
    let fresh = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    assert!(
        fresh.get_in(&back, "fr").await?.shows("Kontoadministratoren"),
        "the user's setting beats the browser"
    );
    Ok(())
}

on_both_databases!(
    repeated_wrong_passwords_slow_the_guesser_without_locking_out_the_user,
    throttling
);
async fn throttling(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    let guesser = app.client();
    for _ in 0..5 {
        let answer = guesser.login("alice@example.com", "wrong-password-1").await?;
        assert_eq!(answer.status, 401);
        assert!(
            answer.shows("The email address or password is not correct.")
                && answer.body.contains("value=\"alice@example.com\"")
        );
    }
    let throttled = guesser.login("alice@example.com", PASSWORD).await?;
    assert_eq!(throttled.status, 429, "even the right password waits once throttled");
    throttled.assert_shows("Too many failed attempts. Please wait 1 second and");
    let unknown = guesser.login("nobody@example.com", "whatever-it-is").await?;
    assert_eq!(
        unknown.status, 401,
        "another address from the same client is not throttled yet"
    );
    assert!(unknown.shows("The email address or password is not correct."));
    app.clock.advance_seconds(2);
    assert_eq!(guesser.login("alice@example.com", PASSWORD).await?.status, 303);
    Ok(())
}

on_both_databases!(changing_the_password_ends_every_other_session, sessions_end);
async fn sessions_end(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let laptop = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    let phone = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    assert_eq!(phone.status("/admin/accounts").await?, 200);
    let new = "Brand-New-Secret-1";
    let wrong = laptop.change_password("not-it-at-all", new).await?;
    assert!(wrong.shows("The current password is not correct."));
    let changed = laptop.change_password(PASSWORD, new).await?;
    expect_redirect(&changed, "/admin/accounts");
    assert_eq!(
        laptop.status("/admin/accounts").await?,
        200,
        "the changing browser stays in"
    );
    expect_redirect(&phone.get("/admin/accounts").await?, "/admin/login");
    assert_eq!(
        app.login_status("alice@example.com", PASSWORD).await?,
        401,
        "the old password is gone"
    );

    let logout = laptop
        .submit("/admin/accounts", "/logout", &[("back", "/admin/accounts")])
        .await?;
    assert_eq!(logout.location.as_deref(), Some("/admin/login"));
    expect_redirect(&laptop.get("/admin/accounts").await?, "/admin/login");
    app.clock.advance_seconds(9 * 60 * 60);
    let idle = logged_in_with(&app, "alice@example.com", new).await?;
    app.clock.advance_seconds(9 * 60 * 60);
    expect_redirect(&idle.get("/admin/accounts").await?, "/admin/login");
    Ok(())
}

on_both_databases!(operators_see_every_account_and_create_new_ones, operators);
async fn operators(app: TestApp) -> anyhow::Result<()> {
    app.add_user("ops@example.com", false).await?;
    app.make_operator("ops@example.com").await?;
    app.add_user("dana@example.com", false).await?;
    let existing = app.add_account("Existing Ltd", None).await?;
    let ops = logged_in_with(&app, "ops@example.com", PASSWORD).await?;
    let accounts = ops.get("/admin/accounts").await?;
    assert!(accounts.shows(&existing.number.to_string()) && accounts.shows("New account"));
    let details = ops.get(&format!("/admin/accounts/{}", existing.number)).await?;
    assert!(details.shows("This account has no administrator yet."));

    let refused = ops
        .submit(
            "/admin/accounts",
            "/admin/accounts",
            &[("name", "Beta GmbH"), ("admin", "ghost@example.com")],
        )
        .await?;
    assert_eq!(refused.status, 422);
    assert!(refused.shows("Cannot add a non-existent user.") && refused.body.contains("value=\"Beta GmbH\""));
    let created = ops
        .submit(
            "/admin/accounts",
            "/admin/accounts",
            &[("name", "Beta GmbH"), ("admin", "dana@example.com")],
        )
        .await?;
    assert_eq!(created.status, 303);
    let details = ops.get(created.location.as_deref().context("location")?).await?;
    details.assert_shows("(Beta GmbH) created.");
    details.assert_shows("dana@example.com");

    // Dana administers Beta only, and may not create accounts.
    let dana = logged_in_with(&app, "dana@example.com", PASSWORD).await?;
    let listed = dana.get("/admin/accounts").await?;
    assert!(listed.shows("Beta GmbH") && !listed.shows("Existing Ltd") && !listed.shows("New account"));
    let forbidden = dana
        .submit("/admin/accounts", "/admin/accounts", &[("name", "Sneaky")])
        .await?;
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        app.store_port()
            .list_accounts()
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .len(),
        2
    );
    Ok(())
}

on_both_databases!(the_audit_tab_shows_who_changed_what_when_and_from_where, audit_tab);
async fn audit_tab(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    app.add_user("bob@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let group = admin_group(&app, account.number).await?;
    let alice = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    let members = format!("/admin/accounts/{}/groups/{group}", account.number);
    alice
        .submit(
            &members,
            &format!("{members}/members"),
            &[("user_id", "ghost@example.com")],
        )
        .await?;
    alice
        .submit(
            &members,
            &format!("{members}/members"),
            &[("user_id", "bob@example.com")],
        )
        .await?;

    let audit = alice.get(&format!("/admin/accounts/{}/audit", account.number)).await?;
    assert_eq!(audit.status, 200);
    let text = audit.text();
    assert!(
        text.contains("alice@example.com Member added bob@example.com → Account Administrators 127.0.0.1"),
        "{text}"
    );
    assert!(text.contains("Member added (refused) ghost@example.com"), "{text}");
    assert!(text.contains("(service) Account created"), "{text}");
    let german = alice
        .get_in(&format!("/admin/accounts/{}/audit", account.number), "de")
        .await?;
    german.assert_shows("Protokoll");
    german.assert_shows("Mitglied hinzugefügt");
    german.assert_shows("(abgelehnt)");
    Ok(())
}
