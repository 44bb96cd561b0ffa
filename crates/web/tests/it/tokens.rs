//! The Tokens tab: reached as the seed procedure reaches a tab, in each language;
//! a token is shown once, authenticates as its scope and networks say, notes its
//! use, and stops at once when revoked. Its secret is never stored or shown again.

use std::net::IpAddr;

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::DomainError;
use sealpost_domain::account_tokens::TokenScope;

use crate::helpers::{PASSWORD, TestApp, logged_in_with, wrong_secret};

/// The tab's name, the create button and the scope, in each language.
const WORDS: [(&str, &str, &str, &str); 3] = [
    ("en", "Tokens", "Create token", "SMTP submission"),
    ("de", "Tokens", "Token erstellen", "SMTP-Einlieferung"),
    ("fr", "Jetons", "Créer le jeton", "Soumission SMTP"),
];

/// The secret shown once on the creation answer.
fn shown_secret(body: &str) -> Option<String> {
    let start = body.find("value=\"sptk_")? + "value=\"".len();
    let end = body.get(start..)?.find('"')?;
    body.get(start..start + end).map(str::to_owned)
}

fn ip(raw: &str) -> anyhow::Result<IpAddr> {
    Ok(raw.parse()?)
}

on_both_databases!(a_token_is_shown_once_works_as_scoped_and_stops_when_revoked, tokens);
async fn tokens(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let number = account.number.to_string();
    let alice = logged_in_with(&app, "alice@example.com", PASSWORD).await?;
    let tab = format!("/admin/accounts/{number}/tokens");

    for (lang, label, create, scope) in WORDS {
        alice.submit("/portal", "/language", &[("lang", lang)]).await?;
        let accounts = alice.get("/admin/accounts").await?;
        ensure!(
            accounts
                .body
                .contains(&format!("href=\"/admin/accounts/{number}\">{number}</a>"))
        );
        let details = alice.get(&format!("/admin/accounts/{number}")).await?;
        assert!(
            details.body.contains(&format!("<a href=\"{tab}\">{label}</a>")),
            "{lang}: {}",
            details.text()
        );
        let page = alice.get(&tab).await?;
        assert!(page.shows(create) && page.shows(scope), "{lang}: {}", page.text());
    }
    alice.submit("/portal", "/language", &[("lang", "en")]).await?;

    // Refusals keep what was typed and say why.
    let no_scope = alice
        .submit(&tab, &tab, &[("name", "Mail server"), ("networks", "192.0.2.0/24")])
        .await?;
    assert_eq!(no_scope.status, 422);
    no_scope.assert_shows("Choose at least one scope.");
    assert!(no_scope.body.contains(r#"value="Mail server""#) && no_scope.body.contains(r#"value="192.0.2.0/24""#));
    let bad_network = alice
        .submit(
            &tab,
            &tab,
            &[
                ("name", "Mail server"),
                ("scopes", "smtp_submission"),
                ("networks", "192.0.2.1/24"),
            ],
        )
        .await?;
    assert_eq!(bad_network.status, 422);
    bad_network.assert_shows("Write each client network");
    let past = alice
        .submit(
            &tab,
            &tab,
            &[
                ("name", "Mail server"),
                ("scopes", "smtp_submission"),
                ("expires_on", "2001-01-01"),
            ],
        )
        .await?;
    assert_eq!(past.status, 422, "{}", past.text());

    // Created: the secret is on this answer only, never cached.
    let created = alice
        .submit(
            &tab,
            &tab,
            &[
                ("name", "Mail server"),
                ("scopes", "smtp_submission"),
                ("networks", "192.0.2.0/24, 2001:db8::/32"),
            ],
        )
        .await?;
    assert_eq!(created.status, 200, "{}", created.text());
    created.assert_shows("it is shown only this once");
    let secret = shown_secret(&created.body).context("the secret is shown")?;
    let prefix = secret.get(..13).context("a prefix")?.to_owned();
    let again = alice.get(&tab).await?;
    assert!(!again.body.contains(&secret), "the secret is never shown again");
    again.assert_shows(&prefix);
    again.assert_shows("never");
    again.assert_shows("Active");

    // It authenticates as its scope and networks say, and notes its use.
    let services = &app.services;
    let smtp = TokenScope::SmtpSubmission;
    let used = services
        .authenticate_account_token(&secret, smtp, ip("192.0.2.44")?)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    assert_eq!(used.account_id, account.id);
    let altered = wrong_secret(&secret);
    for (presented, client) in [
        (secret.as_str(), "198.51.100.1"),
        (&altered, "192.0.2.44"),
        ("sptk_nonsense", "192.0.2.44"),
    ] {
        let refused = services.authenticate_account_token(presented, smtp, ip(client)?).await;
        assert!(matches!(refused, Err(DomainError::Forbidden)), "{client}: {refused:?}");
    }
    let listed = alice.get(&tab).await?;
    assert!(
        listed.shows("(192.0.2.44)"),
        "last use and where from: {}",
        listed.text()
    );

    // Nothing stored or logged holds the secret.
    let hashes: Vec<String> = sqlx::query_scalar("SELECT secret_hash FROM account_tokens")
        .fetch_all(app.store.pool())
        .await?;
    assert_eq!(hashes.len(), 1);
    assert!(hashes[0].starts_with("sha256:") && !hashes[0].contains(&secret[13..]));
    let audit = alice.get(&format!("/admin/accounts/{number}/audit")).await?;
    assert!(
        audit.shows(&prefix) && !audit.body.contains(&secret[13..]),
        "{}",
        audit.text()
    );

    // Revoked: at once, with a confirmation; it no longer authenticates.
    let id = {
        let marker = format!("/admin/accounts/{number}/tokens/");
        let start = listed.body.find(&marker).context("a revoke form")? + marker.len();
        let end = listed.body[start..].find('/').context("its id")?;
        listed.body[start..start + end].to_owned()
    };
    let revoked = alice.submit(&tab, &format!("{tab}/{id}/revoke"), &[]).await?;
    assert_eq!(revoked.status, 303, "{}", revoked.text());
    let page = alice.get(&tab).await?;
    page.assert_shows("The token has been revoked. It no longer works.");
    page.assert_shows("Revoked");
    let after = services
        .authenticate_account_token(&secret, smtp, ip("192.0.2.44")?)
        .await;
    assert!(matches!(after, Err(DomainError::Forbidden)), "{after:?}");
    let twice = alice.submit(&tab, &format!("{tab}/{id}/revoke"), &[]).await?;
    assert_eq!(twice.status, 404, "a revoked token is not revoked again");
    Ok(())
}
