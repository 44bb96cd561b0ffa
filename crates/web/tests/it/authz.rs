//! Who may do what: every administration route tried as the wrong account, a
//! removed administrator, a temporary-password session, a plain member, a visitor
//! who is not logged in, and with missing or foreign CSRF tokens.

use anyhow::anyhow;

use crate::helpers::{PASSWORD, TestApp, logged_in};

/// Every administration route of one account, as (method, path).
fn account_routes(number: &str, group: &str, user: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GET", format!("/admin/accounts/{number}")),
        ("POST", format!("/admin/accounts/{number}/sending-address")),
        ("POST", format!("/admin/accounts/{number}/name")),
        ("POST", format!("/admin/accounts/{number}/sender-domains")),
        ("POST", format!("/admin/accounts/{number}/suspend")),
        ("POST", format!("/admin/accounts/{number}/resume")),
        ("GET", format!("/admin/accounts/{number}/delete")),
        ("POST", format!("/admin/accounts/{number}/delete")),
        ("GET", format!("/admin/accounts/{number}/profiles")),
        ("POST", format!("/admin/accounts/{number}/profiles")),
        ("GET", format!("/admin/accounts/{number}/profiles/default")),
        ("POST", format!("/admin/accounts/{number}/profiles/default")),
        ("POST", format!("/admin/accounts/{number}/profiles/default/delete")),
        ("POST", format!("/admin/accounts/{number}/profiles/default/default")),
        ("GET", format!("/admin/accounts/{number}/tokens")),
        ("POST", format!("/admin/accounts/{number}/tokens")),
        ("GET", format!("/admin/accounts/{number}/features")),
        ("POST", format!("/admin/accounts/{number}/features")),
        ("GET", format!("/admin/accounts/{number}/images")),
        ("POST", format!("/admin/accounts/{number}/images")),
        ("POST", format!("/admin/accounts/{number}/images/reset")),
        ("GET", format!("/admin/accounts/{number}/messages")),
        ("GET", format!("/admin/accounts/{number}/audit")),
        ("GET", format!("/admin/accounts/{number}/groups")),
        ("POST", format!("/admin/accounts/{number}/groups")),
        ("GET", format!("/admin/accounts/{number}/groups/{group}")),
        ("POST", format!("/admin/accounts/{number}/groups/{group}/delete")),
        ("POST", format!("/admin/accounts/{number}/groups/{group}/members")),
        (
            "POST",
            format!("/admin/accounts/{number}/groups/{group}/members/{user}/remove"),
        ),
    ]
}

struct World {
    app: TestApp,
    a_number: String,
    b_number: String,
    b_admin_group: String,
    b_custom_group: String,
    b_admin_user: String,
    /// The id of a live token of account B.
    b_token: String,
    /// The id of a named envelope profile of account B.
    b_profile: String,
}

async fn world(app: TestApp) -> anyhow::Result<World> {
    app.add_user("alice@a.example", false).await?;
    app.add_user("boris@b.example", false).await?;
    app.add_user("member@a.example", false).await?;
    let a = app.add_account("Account A", Some("alice@a.example")).await?;
    let b = app.add_account("Account B", Some("boris@b.example")).await?;
    let store = app.store_port();
    let err = |e| anyhow!("{e:?}");
    let b_admin_group = store.admin_group(b.id).await.map_err(err)?;
    let boris = app.user("boris@b.example").await?;
    let scope = app.scope("boris@b.example", b.number).await?;
    let custom = app.services.create_group(&scope, "Sales").await.map_err(err)?;
    let request = sealpost_domain::services::account_tokens::NewTokenRequest {
        name: "B's mail server".to_owned(),
        scopes: vec!["smtp_submission".to_owned()],
        ..Default::default()
    };
    let b_token = app
        .services
        .create_account_token(&scope, &request)
        .await
        .map_err(err)?
        .token;
    // B has its own look, which nothing done from A may change or remove.
    let b_look = sealpost_domain::services::branding::BrandingChange {
        display_name: sealpost_domain::branding::DisplayName::parse("B Bank")?,
        colour: None,
        new_logo: Some(sealpost_domain::branding::Logo::from_upload(&crate::images::png(
            40, 20,
        )?)?),
    };
    app.services.save_branding(&scope, b_look).await.map_err(err)?;
    let profile = sealpost_domain::profiles::ProfileRequest {
        name: "B's secure".to_owned(),
        security: "high".to_owned(),
        recipient_locale: "de".to_owned(),
        ..Default::default()
    };
    let b_profile = app
        .services
        .create_envelope_profile(&scope, &profile)
        .await
        .map_err(err)?
        .id
        .ok_or(anyhow!("stored profile"))?;
    // A plain member of A: in a custom group, not an administrator.
    app.add_staff_member("alice@a.example", a.number, "member@a.example")
        .await?;
    Ok(World {
        a_number: a.number.to_string(),
        b_number: b.number.to_string(),
        b_admin_group: b_admin_group.id.to_string(),
        b_custom_group: custom.id.to_string(),
        b_admin_user: boris.id.to_string(),
        b_token: b_token.id.to_string(),
        b_profile: b_profile.to_string(),
        app,
    })
}

async fn b_is_untouched(world: &World) -> anyhow::Result<()> {
    let store = world.app.store_port();
    let err = |e| anyhow!("{e:?}");
    let b = world
        .app
        .account(sealpost_domain::types::AccountNumber::parse(&world.b_number).ok_or(anyhow!("number"))?)
        .await?;
    assert_eq!(b.name, "Account B", "account B was renamed");
    assert!(b.suspended_at.is_none(), "account B was suspended");
    let groups = store.list_groups(b.id).await.map_err(err)?;
    assert_eq!(groups.len(), 2, "account B's groups changed: {groups:?}");
    assert!(
        groups.iter().all(|g| g.member_count == if g.builtin { 1 } else { 0 }),
        "{groups:?}"
    );
    let tokens = store.account_tokens(b.id).await.map_err(err)?;
    assert!(
        tokens.len() == 1 && tokens[0].revoked_at.is_none(),
        "account B's token changed: {tokens:?}"
    );
    let settings = store.account_settings(b.id).await.map_err(err)?;
    assert_eq!(
        settings,
        vec![("brand_name".to_owned(), "B Bank".to_owned())],
        "account B's settings changed"
    );
    let logo = store.account_logo(b.id).await.map_err(err)?;
    assert!(
        logo.is_some_and(|png| image::load_from_memory(&png).is_ok_and(|i| i.width() == 40)),
        "account B's logo changed"
    );
    let profiles = store.envelope_profiles(b.id).await.map_err(err)?;
    assert!(
        profiles.len() == 1
            && profiles[0].name == "B's secure"
            && !profiles[0].is_default
            && profiles[0].security == sealpost_domain::profiles::SecurityLevel::High,
        "account B's profiles changed: {profiles:?}"
    );
    Ok(())
}

on_both_databases!(
    another_accounts_objects_answer_not_found_and_stay_unchanged,
    cross_account
);
async fn cross_account(app: TestApp) -> anyhow::Result<()> {
    let world = world(app).await?;
    let alice = logged_in(&world.app, "alice@a.example").await?;
    let own_groups = format!("/admin/accounts/{}/groups", world.a_number);
    let fields = [
        ("group_name", "Intruders"),
        ("user_id", "alice@a.example"),
        ("name", "Hijacked by A"),
        ("sender_domains", "a.example"),
        ("confirm_number", world.b_number.as_str()),
        ("security", "no_password"),
        ("recipient_locale", "en"),
    ];
    // B's number in the URL, and A's number with B's group ids.
    let mut routes = account_routes(&world.b_number, &world.b_custom_group, &world.b_admin_user);
    routes.extend(
        account_routes(&world.a_number, &world.b_admin_group, &world.b_admin_user)
            .into_iter()
            .filter(|(_, p)| p.contains("/groups/")),
    );
    routes.extend(
        account_routes(&world.a_number, &world.b_custom_group, &world.b_admin_user)
            .into_iter()
            .filter(|(_, p)| p.contains("/groups/")),
    );
    // B's token id, under B's number and under A's own number.
    for number in [&world.b_number, &world.a_number] {
        routes.push((
            "POST",
            format!("/admin/accounts/{number}/tokens/{}/revoke", world.b_token),
        ));
        // B's profile id, under B's number and under A's own number.
        let profile = format!("/admin/accounts/{number}/profiles/{}", world.b_profile);
        routes.push(("GET", profile.clone()));
        for action in ["", "/delete", "/default"] {
            routes.push(("POST", format!("{profile}{action}")));
        }
    }
    for (method, path) in routes {
        let answer = if method == "GET" {
            alice.get(&path).await?
        } else {
            alice.submit(&own_groups, &path, &fields).await?
        };
        assert_eq!(
            answer.status, 404,
            "{method} {path} must be 404 for another account, got {}",
            answer.status
        );
        assert!(answer.shows("Page not found"));
    }
    // A real upload (multipart, with a logo) to B's Images tab.
    let own_images = format!("/admin/accounts/{}/images", world.a_number);
    let forged = alice
        .upload(
            &own_images,
            &format!("/admin/accounts/{}/images", world.b_number),
            &[("display_name", "Intruders"), ("colour", "#000000"), ("action", "save")],
            &[("logo", "logo.png", "image/png", crate::images::png(300, 100)?)],
        )
        .await?;
    assert_eq!(forged.status, 404, "an upload to B's Images tab: {}", forged.text());
    for junk in [
        "/admin/accounts/abc",
        "/admin/accounts/99999999999999999999/groups",
        &format!("/admin/accounts/{}/groups/x", world.a_number),
    ] {
        assert_eq!(alice.status(junk).await?, 404, "{junk}");
    }
    let accounts = alice.get("/admin/accounts").await?;
    assert!(
        accounts.shows(&world.a_number) && !accounts.shows(&world.b_number),
        "an administrator sees only their accounts"
    );
    let users = alice.get("/admin/users").await?;
    assert!(
        users.shows("member@a.example") && !users.shows("boris@b.example"),
        "the Users list is scoped too"
    );
    b_is_untouched(&world).await
}

on_both_databases!(plain_members_removed_admins_and_strangers_cannot_administer, outsiders);
async fn outsiders(app: TestApp) -> anyhow::Result<()> {
    let world = world(app).await?;
    let routes = account_routes(&world.a_number, &world.b_admin_group, &world.b_admin_user);

    // Not logged in: every admin page leads to the login form; forms are refused.
    let stranger = world.app.client();
    for (method, path) in routes.iter().chain(
        [
            ("GET", "/admin/accounts".to_owned()),
            ("GET", "/admin/users".to_owned()),
        ]
        .iter(),
    ) {
        let answer = if *method == "GET" {
            stranger.get(path).await?
        } else {
            stranger.submit("/admin/login", path, &[]).await?
        };
        assert!(matches!(answer.status, 303 | 403), "{method} {path}: {}", answer.status);
        if answer.status == 303 {
            let login = if *method == "GET" && path != "/admin/accounts" {
                crate::helpers::login_coming_back("/admin/login", path)?
            } else {
                "/admin/login".to_owned()
            };
            assert_eq!(answer.location.as_deref(), Some(login.as_str()), "{method} {path}");
        }
    }

    // A plain member of A.
    let member = logged_in(&world.app, "member@a.example").await?;
    for path in [
        "/admin/accounts",
        "/admin/users",
        "/admin/users/new",
        &format!("/admin/accounts/{}", world.a_number),
    ] {
        let answer = member.get(path).await?;
        assert_eq!(answer.status, 403, "{path}");
        assert!(answer.shows("No access"));
    }
    let portal = member.get("/portal").await?;
    assert!(portal.shows("Account A") && !portal.shows("Go to administration"));

    // An administrator removed from the group loses access at once.
    let err = |e| anyhow!("{e:?}");
    let app = &world.app;
    app.add_user("second@a.example", false).await?;
    let a = app
        .account(sealpost_domain::types::AccountNumber::parse(&world.a_number).ok_or(anyhow!("n"))?)
        .await?;
    let scope = app.scope("alice@a.example", a.number).await?;
    let admin_group = app.store_port().admin_group(a.id).await.map_err(err)?;
    app.services
        .add_member(&scope, admin_group.id, "second@a.example")
        .await
        .map_err(err)?;
    let second = logged_in(app, "second@a.example").await?;
    assert_eq!(
        second
            .status(&format!("/admin/accounts/{}/groups", world.a_number))
            .await?,
        200
    );
    let second_user = app.user("second@a.example").await?;
    app.services
        .remove_member(&scope, admin_group.id, second_user.id)
        .await
        .map_err(err)?;
    assert_eq!(
        second
            .status(&format!("/admin/accounts/{}/groups", world.a_number))
            .await?,
        403
    );

    // A temporary-password session can only set a new password.
    app.add_user("temp@a.example", true).await?;
    app.services
        .add_member(&scope, admin_group.id, "temp@a.example")
        .await
        .map_err(err)?;
    let temp = app.client();
    assert_eq!(
        temp.login("temp@a.example", PASSWORD).await?.location.as_deref(),
        Some("/password")
    );
    for (method, path) in &routes {
        let answer = if *method == "GET" {
            temp.get(path).await?
        } else {
            temp.submit("/password", path, &[("group_name", "X")]).await?
        };
        assert_eq!(answer.status, 303, "{method} {path}");
        assert_eq!(answer.location.as_deref(), Some("/password"));
    }
    b_is_untouched(&world).await
}

on_both_databases!(
    only_operators_suspend_resume_and_delete_an_account_its_administrators_get_403,
    operators_only
);
async fn operators_only(app: TestApp) -> anyhow::Result<()> {
    let world = world(app).await?;
    let alice = logged_in(&world.app, "alice@a.example").await?;
    let details = format!("/admin/accounts/{}", world.a_number);
    for action in ["suspend", "resume", "delete"] {
        let path = format!("{details}/{action}");
        let answer = alice
            .submit(&details, &path, &[("confirm_number", world.a_number.as_str())])
            .await?;
        assert_eq!(answer.status, 403, "POST {path}: {}", answer.text());
        assert!(answer.shows("No access"));
    }
    assert_eq!(alice.status(&format!("{details}/delete")).await?, 403);
    let a = world
        .app
        .account(sealpost_domain::types::AccountNumber::parse(&world.a_number).ok_or(anyhow!("number"))?)
        .await?;
    assert!(a.suspended_at.is_none() && a.deleted_at.is_none(), "{a:?}");
    assert!(alice.get(&details).await?.shows("Active"));
    b_is_untouched(&world).await
}

on_both_databases!(forms_without_the_sessions_csrf_token_are_refused, csrf);
async fn csrf(app: TestApp) -> anyhow::Result<()> {
    let world = world(app).await?;
    let alice = logged_in(&world.app, "alice@a.example").await?;
    let groups = format!("/admin/accounts/{}/groups", world.a_number);
    let missing = alice.post_raw(&groups, &[("group_name", "NoToken")]).await?;
    assert_eq!(missing.status, 403);
    assert!(missing.shows("This form has expired"));
    let wrong = alice
        .post_raw(&groups, &[("csrf", "forged"), ("group_name", "Forged")])
        .await?;
    assert_eq!(wrong.status, 403);
    // Another session's token is no good either.
    let boris = logged_in(&world.app, "boris@b.example").await?;
    let foreign = boris.get("/admin/accounts").await?.csrf().ok_or(anyhow!("token"))?;
    assert_eq!(
        alice
            .post_raw(&groups, &[("csrf", &foreign), ("group_name", "Foreign")])
            .await?
            .status,
        403
    );
    // The Images tab's multipart form: a forged token is refused before the upload is read.
    let images = format!("/admin/accounts/{}/images", world.a_number);
    let logo = crate::images::png(40, 20)?;
    for token in ["", "forged", foreign.as_str()] {
        let answer = alice
            .upload_with_token(
                token,
                &images,
                &[("display_name", "Forged"), ("action", "save")],
                &[("logo", "logo.png", "image/png", logo.clone())],
            )
            .await?;
        assert_eq!(answer.status, 403, "images form with token {token:?}");
    }
    assert!(
        crate::images::stored_logo(&world.app, &world.a_number).await?.is_none(),
        "no logo was stored"
    );
    // The login form is protected by the pre-session token.
    let fresh = world.app.client();
    assert_eq!(
        fresh
            .post_raw("/admin/login", &[("email", "alice@a.example"), ("password", PASSWORD)])
            .await?
            .status,
        403
    );
    let page = alice.get(&groups).await?;
    assert!(
        page.shows("Showing 2 group(s)."),
        "nothing was created: {}",
        page.text()
    );
    Ok(())
}

on_both_databases!(every_response_carries_the_security_headers, headers);
async fn headers(app: TestApp) -> anyhow::Result<()> {
    let response = reqwest::get(format!("{}/admin/login", app.base)).await?;
    let h = response.headers();
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(
        h.get("x-content-type-options").and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    let cookie = h.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(
        cookie.starts_with("sp_pre=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    Ok(())
}
