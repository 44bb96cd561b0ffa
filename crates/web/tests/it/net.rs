//! The web front against a hostile network and hostile links: redirects that must
//! stay on this site, stale session cookies, a forged `X-Forwarded-For`, cookies
//! and HSTS over HTTPS, and envelopes that were tampered with or replayed.

use anyhow::{Context as _, ensure};
use sealpost_web::WebConfig;

use crate::helpers::{Client, Db, PASSWORD, TestApp, acme, alice_logs_in, hidden_field, logged_in, sent_id};

/// `next` and `back` values that browsers resolve to another site unless the
/// server resolves them as a browser would (the URL standard drops tabs and
/// newlines, treats `\` as `/` and `//` as "another host").
const AWKWARD_TARGETS: &[&str] = &[
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    " //evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\/evil.example/",
    "\\\\evil.example/",
    "/\t\\evil.example/",
    "/\u{0}/evil.example/",
    "https://evil.example/",
    "https:evil.example",
    "HTTP://evil.example/",
    "javascript:alert(1)",
    "//evil.example@127.0.0.1/",
    "/.//evil.example/",
    "/%2e//evil.example/",
    "/%09/evil.example/",
];

/// The place a browser goes for `location`, given it asked `base`.
fn resolved(base: &str, location: &str) -> anyhow::Result<reqwest::Url> {
    Ok(reqwest::Url::parse(base)?.join(location)?)
}

/// Where a Location header sends a browser that asked on `base`, if another site.
fn leaves_the_site(base: &str, location: &str) -> anyhow::Result<Option<String>> {
    let there = resolved(base, location)?;
    let here = reqwest::Url::parse(base)?;
    Ok((there.origin() != here.origin()).then(|| there.to_string()))
}

/// The `name=value` pair of the cookie `name` that `response` sets.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|pair| pair.strip_prefix(name).is_some_and(|rest| rest.starts_with('=')))
        .map(str::to_owned)
}

#[tokio::test]
async fn next_and_back_links_never_send_a_browser_to_another_site() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(Db::Sqlite).await? else {
        return Ok(());
    };
    app.add_user("alice@example.com", false).await?;
    let mut escapes = Vec::new();
    for target in AWKWARD_TARGETS {
        let encoded: String = target.bytes().map(|b| format!("%{b:02X}")).collect();
        // Logging in with `next`: the form's post, and the login page of someone
        // already logged in.
        let alice = app.client();
        let login = alice
            .submit(
                "/portal/login",
                "/portal/login",
                &[("email", "alice@example.com"), ("password", PASSWORD), ("next", target)],
            )
            .await?;
        ensure!(
            login.status == 303,
            "login with next {target:?} answered {}",
            login.status
        );
        let mut locations = vec![("login", login.location.unwrap_or_default())];
        let again = alice.get(&format!("/portal/login?next={encoded}")).await?;
        locations.push(("login page", again.location.unwrap_or_default()));
        let switch = alice
            .submit("/portal", "/language", &[("lang", "de"), ("back", target)])
            .await?;
        locations.push(("language switch", switch.location.unwrap_or_default()));
        for (what, location) in locations {
            if let Some(elsewhere) = leaves_the_site(&app.base, &location)? {
                escapes.push(format!("{what} with {target:?} → {location:?} → {elsewhere}"));
            }
        }
    }
    ensure!(escapes.is_empty(), "open redirects:\n{}", escapes.join("\n"));
    // Ordinary targets still work.
    let alice = app.client();
    let login = alice
        .submit(
            "/portal/login",
            "/portal/login",
            &[
                ("email", "alice@example.com"),
                ("password", PASSWORD),
                ("next", "/portal/sent?page=2"),
            ],
        )
        .await?;
    ensure!(
        login.location.as_deref() == Some("/portal/sent?page=2"),
        "{:?}",
        login.location
    );
    Ok(())
}

/// The login and forgot-password forms of `client` carry a token and are accepted.
async fn forms_still_work(client: &Client, email: &str, password: &str) -> anyhow::Result<()> {
    for page in ["/portal/login", "/password/forgot"] {
        let shown = client.get(page).await?;
        let token = shown.csrf().unwrap_or_default();
        ensure!(!token.is_empty(), "{page} carries an empty CSRF token");
    }
    let forgot = client.forgot_password("nobody@example.com").await?;
    ensure!(
        forgot.status == 200 && !forgot.shows("This form has expired"),
        "forgot password answered {}: {}",
        forgot.status,
        forgot.text()
    );
    let login = client
        .submit(
            "/portal/login",
            "/portal/login",
            &[("email", email), ("password", password)],
        )
        .await?;
    ensure!(
        login.status == 303 && login.location.as_deref() == Some("/portal"),
        "login answered {}: {}",
        login.status,
        login.text()
    );
    let home = client.get("/portal").await?;
    ensure!(home.status == 200, "the portal answered {}", home.status);
    Ok(())
}

on_both_databases!(a_stale_session_cookie_does_not_block_logging_in_again, stale_session);
async fn stale_session(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    // The session ends after 8 hours.
    let alice = logged_in(&app, "alice@example.com").await?;
    app.clock.advance_seconds(9 * 60 * 60);
    let expired = alice.get("/portal").await?;
    ensure!(expired.status == 303, "the expired session is over");
    forms_still_work(&alice, "alice@example.com", PASSWORD).await?;

    // A password change on another device ends this one's session.
    let laptop = logged_in(&app, "alice@example.com").await?;
    let phone = logged_in(&app, "alice@example.com").await?;
    let new_password = "Another-Horse-Staple-9";
    let changed = phone.change_password(PASSWORD, new_password).await?;
    ensure!(changed.status == 303, "password change answered {}", changed.status);
    forms_still_work(&laptop, "alice@example.com", new_password).await?;

    // A cookie planted by someone else for the parent domain (our removal of it
    // cannot reach it, so the browser keeps sending it beside ours).
    let planted = "sp_session=forged-by-someone";
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = http
        .get(format!("{}/portal/login", app.base))
        .header("cookie", planted)
        .send()
        .await?;
    let pre =
        set_cookie(&page, "sp_pre").context("the login page under a planted cookie gives the form a token cookie")?;
    let token = hidden_field(&page.text().await?, "csrf").unwrap_or_default();
    ensure!(
        !token.is_empty(),
        "the login form under a planted cookie carries a token"
    );
    let login = alice_logs_in(&http, &app.base, &format!("{planted}; {pre}"), &token, new_password).await?;
    ensure!(
        login.status().as_u16() == 303,
        "login under a planted cookie answered {}",
        login.status()
    );
    Ok(())
}

on_both_databases!(
    behind_a_proxy_the_address_it_added_is_the_clients,
    forwarded_for_on,
    given_db
);
/// Behind a trusted proxy, on `db`: throttling and lock-out follow the address
/// the proxy added, not the one the client wrote.
async fn forwarded_for_on(db: Db) -> anyhow::Result<()> {
    let web = WebConfig {
        trust_forwarded_for: true,
        ..WebConfig::default()
    };
    let Some(app) = TestApp::spawn_web(db, web).await? else {
        return Ok(());
    };
    app.add_user("alice@example.com", false).await?;
    let victim = "198.51.100.7";
    let attacker = "203.0.113.9";
    // The proxy appends the address it saw; what is left of it came from the client.
    // The attacker writes the victim's address (and then a new one each time) there.
    let mallory = app.client();
    let mut last = 0;
    for round in 0..8 {
        let page = mallory.get("/portal/login").await?;
        let token = page.csrf().context("csrf")?;
        let written = if round == 0 {
            victim.to_owned()
        } else {
            format!("192.0.2.{round}")
        };
        let forwarded = format!("{written}, {attacker}");
        let answer = mallory
            .post_with(
                "/portal/login",
                &[
                    ("csrf", &token),
                    ("email", "alice@example.com"),
                    ("password", "wrong-guess"),
                ],
                &[("x-forwarded-for", &forwarded)],
            )
            .await?;
        last = answer.status;
    }
    ensure!(
        last == 429,
        "rotating the client-written address escaped the throttle (last answer {last})"
    );
    // Alice, behind the same proxy from her own address, is not locked out.
    let alice = app.client();
    let page = alice.get("/portal/login").await?;
    let token = page.csrf().context("csrf")?;
    let login = alice
        .post_with(
            "/portal/login",
            &[("csrf", &token), ("email", "alice@example.com"), ("password", PASSWORD)],
            &[("x-forwarded-for", victim)],
        )
        .await?;
    ensure!(login.status == 303, "Alice was locked out: {}", login.status);
    Ok(())
}

#[tokio::test]
async fn over_https_cookies_are_host_only_and_browsers_are_told_to_stay_on_https() -> anyhow::Result<()> {
    let secure = WebConfig {
        secure_cookies: true,
        ..WebConfig::default()
    };
    for (config, https) in [(secure, true), (WebConfig::default(), false)] {
        let Some(app) = TestApp::spawn_web(Db::Sqlite, config).await? else {
            return Ok(());
        };
        let answer = reqwest::get(format!("{}/portal/login", app.base)).await?;
        let cookies: Vec<String> = answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let hsts = answer.headers().get("strict-transport-security").is_some();
        ensure!(!cookies.is_empty(), "the login page sets the form's token cookie");
        for cookie in &cookies {
            if https {
                ensure!(
                    cookie.starts_with("__Host-sp_")
                        && cookie.contains("; Secure")
                        && cookie.contains("Path=/")
                        && !cookie.contains("Domain="),
                    "over HTTPS: {cookie}"
                );
            } else {
                ensure!(
                    cookie.starts_with("sp_") && !cookie.contains("Secure"),
                    "over HTTP: {cookie}"
                );
            }
        }
        ensure!(hsts == https, "HSTS sent: {hsts}, served over HTTPS: {https}");
        if https {
            // The prefixed session cookie is the one read back.
            app.add_user("alice@example.com", false).await?;
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let page = client.get(format!("{}/portal/login", app.base)).send().await?;
            let pre = page
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .context("pre-session cookie")?
                .to_owned();
            let body = page.text().await?;
            let token = crate::helpers::hidden_field(&body, "csrf").context("csrf")?;
            let login = alice_logs_in(&client, &app.base, &pre, &token, PASSWORD).await?;
            ensure!(
                login.status().as_u16() == 303,
                "login over HTTPS answered {}",
                login.status()
            );
            let session = set_cookie(&login, "__Host-sp_session").context("session cookie")?;
            let portal_with = async |cookie: &str| -> anyhow::Result<u16> {
                let home = client
                    .get(format!("{}/portal", app.base))
                    .header("cookie", cookie)
                    .send()
                    .await?;
                Ok(home.status().as_u16())
            };
            let home = portal_with(&session).await?;
            ensure!(home == 200, "the portal with the session answered {home}");
            // An unprefixed cookie (set by a sibling site) is not a session here.
            let planted = session.replacen("__Host-", "", 1);
            ensure!(
                portal_with(&planted).await? == 303,
                "an unprefixed session cookie was accepted"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_tampered_or_replayed_envelope_is_explained_without_a_server_error() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn_envelope_only(Db::Sqlite).await? else {
        return Ok(());
    };
    let (alice, bob) = acme(&app).await?;
    let mut ids = Vec::new();
    for subject in ["First", "Second"] {
        let sent = alice
            .compose(
                &[("to", "bob@example.com"), ("subject", subject), ("body", "Hello")],
                &[],
            )
            .await?;
        ids.push(sent_id(&sent)?);
    }
    app.deliver().await?;
    let second = app.mail_to("bob@example.com", "Secure message from")?.envelope()?.1;
    let second_payload = hidden_field(&second, "payload").context("payload")?;
    let second_id = hidden_field(&second, "id").context("id")?;
    let first_id = ids.iter().find(|id| **id != second_id).context("the other message")?;
    // A payload with one character changed in the middle.
    let mut damaged = second_payload.clone().into_bytes();
    let middle = damaged.len() / 2;
    damaged[middle] = if damaged[middle] == b'A' { b'B' } else { b'A' };
    let damaged = String::from_utf8(damaged)?;
    for (what, id, payload) in [
        ("another message's envelope", first_id.as_str(), second_payload.as_str()),
        ("a damaged envelope", second_id.as_str(), damaged.as_str()),
    ] {
        let answer = bob
            .post_raw(
                "/envelope/open",
                &[("id", id), ("recipient", "bob@example.com"), ("payload", payload)],
            )
            .await?;
        ensure!(
            (400..500).contains(&answer.status)
                && answer.shows("This envelope is damaged or does not belong to this message"),
            "{what} answered {}: {}",
            answer.status,
            answer.text()
        );
    }
    // The genuine envelope still opens.
    let genuine = bob
        .post_raw(
            "/envelope/open",
            &[
                ("id", &second_id),
                ("recipient", "bob@example.com"),
                ("payload", &second_payload),
            ],
        )
        .await?;
    ensure!(genuine.status == 200 && genuine.shows("Hello"), "{}", genuine.text());
    Ok(())
}
