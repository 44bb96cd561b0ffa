//! Managing accounts: renaming (administrators and operators), suspending,
//! resuming and deleting (operators only), seen as the people who use them see it
//! afterwards — the Details tab and the Accounts list, a sender's compose form, a
//! recipient's message page, the blob folder and the audit trail.

use anyhow::{Context as _, anyhow, ensure};
use sealpost_domain::types::AccountNumber;

use crate::helpers::{Client, TestApp, logged_in};

const SUSPENDED: &str = "This account is suspended: no new secure messages can be sent from it for now.";

/// Alice administers Acme Corp; Olga is an operator; Bob is registered elsewhere.
async fn acme_with_operator(app: &TestApp) -> anyhow::Result<(String, Client, Client, Client)> {
    app.add_user("alice@example.com", false).await?;
    app.add_user("bob@example.com", false).await?;
    app.add_user("olga@example.com", false).await?;
    app.make_operator("olga@example.com").await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    Ok((
        account.number.to_string(),
        logged_in(app, "alice@example.com").await?,
        logged_in(app, "bob@example.com").await?,
        logged_in(app, "olga@example.com").await?,
    ))
}

fn number_of(number: &str) -> anyhow::Result<AccountNumber> {
    AccountNumber::parse(number).ok_or_else(|| anyhow!("not a number: {number}"))
}

on_both_databases!(
    administrators_rename_their_account_and_a_refused_name_keeps_what_was_typed,
    rename
);
async fn rename(app: TestApp) -> anyhow::Result<()> {
    let (number, alice, _bob, _olga) = acme_with_operator(&app).await?;
    let details = format!("/admin/accounts/{number}");
    let page = alice.get(&details).await?;
    ensure!(page.shows("Account name") && page.body.contains(r#"value="Acme Corp""#));
    ensure!(
        !page.shows("Suspend account") && !page.shows("Delete account"),
        "only operators see suspend and delete: {}",
        page.text()
    );

    let too_long = "N".repeat(121);
    let refused = alice
        .submit(&details, &format!("{details}/name"), &[("name", &too_long)])
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.shows("Account names can be at most 120 characters long."));
    assert!(
        refused
            .body
            .contains(&format!(r#"value="{too_long}" aria-invalid="true""#))
    );

    let renamed = alice
        .submit(&details, &format!("{details}/name"), &[("name", "Acme Holding")])
        .await?;
    assert_eq!(renamed.status, 303, "{}", renamed.text());
    let page = alice.get(&details).await?;
    page.assert_shows("The account is now called Acme Holding.");
    assert!(page.shows(&format!("Account {number} · Acme Holding")));
    assert!(alice.get("/admin/accounts").await?.shows("Acme Holding"));
    let audit = alice.get(&format!("{details}/audit")).await?;
    audit.assert_shows("Account renamed");
    audit.assert_shows("Acme Holding");
    Ok(())
}

on_both_databases!(
    a_suspended_account_cannot_send_but_its_recipients_still_open_what_they_have,
    suspend
);
async fn suspend(app: TestApp) -> anyhow::Result<()> {
    let (number, alice, bob, olga) = acme_with_operator(&app).await?;
    let id = alice
        .send_to(
            "bob@example.com",
            "Before",
            "Sent before the suspension.",
            &[("allow_reply", "on")],
        )
        .await?;
    app.deliver().await?;

    // An administrator may not suspend: 403, and nothing changes.
    let details = format!("/admin/accounts/{number}");
    let forbidden = alice.submit(&details, &format!("{details}/suspend"), &[]).await?;
    assert_eq!(forbidden.status, 403, "{}", forbidden.text());
    ensure!(app.account(number_of(&number)?).await?.suspended_at.is_none());

    let suspended = olga.submit(&details, &format!("{details}/suspend"), &[]).await?;
    assert_eq!(suspended.status, 303, "{}", suspended.text());
    let page = olga.get(&details).await?;
    page.assert_shows(&format!("Account {number} is suspended: it sends no new messages."));
    page.assert_shows("Suspended since");
    page.assert_shows("Resume account");
    let list = olga.get(&format!("/admin/accounts?q={number}")).await?;
    assert!(list.shows("Suspended"), "the list shows the state: {}", list.text());

    // The sender is refused with the reason, and keeps what they typed.
    let before = app.mails()?.len();
    let refused = alice
        .compose(
            &[("to", "bob@example.com"), ("subject", "During"), ("body", "Kept text.")],
            &[],
        )
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.text());
    refused.assert_shows(SUSPENDED);
    refused.assert_shows("Kept text.");
    // The recipient still opens the message, but cannot answer it.
    let opened = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert!(opened.shows("Sent before the suspension."));
    let reply = bob
        .answer_message(id.as_str(), "reply", "alice@example.com", "Re: Before", "An answer.")
        .await?;
    assert_eq!(reply.status, 422, "{}", reply.text());
    reply.assert_shows(SUSPENDED);
    app.deliver().await?;
    assert_eq!(app.mails()?.len(), before, "nothing was sent while suspended");

    // Resumed: sending works again; both changes are in the trail.
    let resumed = olga.submit(&details, &format!("{details}/resume"), &[]).await?;
    assert_eq!(resumed.status, 303);
    assert!(olga.get(&details).await?.shows("can send messages again"));
    alice.send_to("bob@example.com", "After", "Back.", &[]).await?;
    let audit = olga.get(&format!("{details}/audit")).await?;
    audit.assert_shows("Account suspended");
    audit.assert_shows("Account resumed");
    Ok(())
}

on_both_databases!(
    deleting_an_account_asks_for_its_number_and_leaves_nothing_readable_but_the_audit_trail,
    delete
);
async fn delete(app: TestApp) -> anyhow::Result<()> {
    let (number, alice, bob, olga) = acme_with_operator(&app).await?;
    let id = alice
        .send(
            &[
                ("to", "bob@example.com"),
                ("subject", "Secret"),
                ("body", "The recipe."),
            ],
            // Over 64 KiB, so that its parts are blobs (a smaller message keeps
            // them in its row, which the deletion clears with its key).
            &[("recipe.txt", "text/plain", b"flour, water, salt\n".repeat(5_000))],
        )
        .await?;
    app.deliver().await?;
    let blobs = app.dir.path().join("blobs").join(&id);
    ensure!(blobs.exists(), "the message's blobs are stored at {}", blobs.display());
    let account = app.account(number_of(&number)?).await?;

    let details = format!("/admin/accounts/{number}");
    let confirm = format!("{details}/delete");
    assert_eq!(alice.status(&confirm).await?, 403, "administrators may not delete");
    let forbidden = alice.submit(&details, &confirm, &[("confirm_number", &number)]).await?;
    assert_eq!(forbidden.status, 403);

    let page = olga.get(&confirm).await?;
    assert_eq!(page.status, 200);
    page.assert_shows("Type the account number to confirm");
    let wrong = olga
        .submit(&confirm, &confirm, &[("confirm_number", "1234567")])
        .await?;
    assert_eq!(wrong.status, 422, "{}", wrong.text());
    assert!(wrong.shows("That is not this account's number."));
    assert!(wrong.body.contains(r#"value="1234567""#), "what was typed is kept");
    ensure!(blobs.exists(), "a refused confirmation deletes nothing");

    let deleted = olga.submit(&confirm, &confirm, &[("confirm_number", &number)]).await?;
    assert_eq!(deleted.status, 303, "{}", deleted.text());
    assert_eq!(deleted.location.as_deref(), Some("/admin/accounts"));
    let list = olga.get("/admin/accounts").await?;
    list.assert_shows(&format!("Account {number} was deleted."));
    assert!(
        !list.body.contains(&format!("href=\"{details}\"")),
        "gone from the list"
    );
    assert_eq!(olga.status(&details).await?, 404);
    assert_eq!(
        alice.status(&details).await?,
        403,
        "its administrator administers nothing now"
    );

    // No copy of the message opens: not online, not from the envelope; blobs are gone.
    ensure!(!blobs.exists(), "the blobs are deleted: {}", blobs.display());
    let opened = bob.get(&format!("/m/{id}")).await?;
    assert_eq!(opened.status, 410, "{}", opened.text());
    assert!(!opened.shows("The recipe."));
    let (_, envelope) = app.mail_to("bob@example.com", "Secure message from")?.envelope()?;
    let posted = bob.open_envelope(&envelope).await?;
    let after = bob.get(posted.location.as_deref().unwrap_or("/")).await?;
    assert!(!after.shows("The recipe."), "{}", after.text());

    // Groups, members, settings, tokens and keys are gone; the trail stays, for operators.
    let store = app.store_port();
    let err = |e| anyhow!("{e:?}");
    assert!(store.list_groups(account.id).await.map_err(err)?.is_empty());
    assert!(store.account_settings(account.id).await.map_err(err)?.is_empty());
    assert!(store.account_tokens(account.id).await.map_err(err)?.is_empty());
    let audit = olga.get(&format!("{details}/audit")).await?;
    assert_eq!(audit.status, 200, "{}", audit.text());
    audit.assert_shows("This account was deleted on");
    audit.assert_shows("Account deleted");
    audit.assert_shows("Account created");
    assert_eq!(alice.status(&format!("{details}/audit")).await?, 403);
    assert_eq!(
        olga.submit("/admin/accounts", &confirm, &[("confirm_number", &number)])
            .await?
            .status,
        404,
        "a deleted account cannot be deleted twice"
    );
    Ok(())
}

on_both_databases!(
    the_accounts_list_searches_sorts_and_pages_with_new_account_above_it,
    list
);
async fn list(app: TestApp) -> anyhow::Result<()> {
    app.add_user("olga@example.com", false).await?;
    app.make_operator("olga@example.com").await?;
    let mut numbers = Vec::new();
    for i in 0..120 {
        let account = app.add_account(&format!("Customer {i:03}"), None).await?;
        numbers.push(account.number);
    }
    let special = app.add_account("Zürich Bank & Co", None).await?;
    let olga = logged_in(&app, "olga@example.com").await?;

    let first = olga.get("/admin/accounts").await?;
    assert_eq!(first.status, 200);
    let new_account = first.body.find("Create account").context("the New account form")?;
    let table = first.body.find("<table").context("the list")?;
    assert!(new_account < table, "New account sits above the list");
    first.assert_shows("Showing 1–50 of 121 accounts.");
    assert!(first.shows("Customer 000") && first.shows("Customer 049") && !first.shows("Customer 050"));
    let next = sealpost_testkit::browser::text_of(
        first
            .body
            .split("rel=\"next\"")
            .next()
            .and_then(|b| b.rsplit("href=\"").next())
            .and_then(|b| b.split('"').next())
            .context("a Next link")?,
    )
    .replace("&amp;", "&");
    let third = olga.get(&next.replace("page=2", "page=3")).await?;
    third.assert_shows("Showing 101–121 of 121 accounts.");
    assert!(third.shows("Customer 119") && third.shows("Zürich Bank & Co"));
    assert!(!third.body.contains("rel=\"next\""), "no page after the last");

    let found = olga.get("/admin/accounts?q=zürich").await?;
    found.assert_shows("Showing the only account.");
    assert!(
        found
            .body
            .contains(&format!("href=\"/admin/accounts/{}\"", special.number))
    );
    assert!(
        found.body.contains(r#"value="zürich""#),
        "the search stays in its field"
    );
    let by_number = olga.get(&format!("/admin/accounts?q={}", numbers[7])).await?;
    by_number.assert_shows("Customer 007");
    let nothing = olga.get("/admin/accounts?q=%25").await?;
    assert!(
        nothing.shows("No account matches"),
        "a % is a character: {}",
        nothing.text()
    );

    let sorted = olga.get("/admin/accounts?sort=number").await?;
    let mut sorted_numbers = numbers.clone();
    sorted_numbers.push(special.number);
    sorted_numbers.sort();
    let first_shown = sorted
        .body
        .find(&format!(">{}</a>", sorted_numbers[0]))
        .context("the smallest number on the first page")?;
    let second_shown = sorted
        .body
        .find(&format!(">{}</a>", sorted_numbers[1]))
        .context("the next number")?;
    assert!(first_shown < second_shown);
    Ok(())
}

on_both_databases!(
    administrators_set_allowed_sender_domains_that_the_gateway_check_obeys,
    sender_domains
);
async fn sender_domains(app: TestApp) -> anyhow::Result<()> {
    let (number, alice, _bob, _olga) = acme_with_operator(&app).await?;
    let account = app.account(number_of(&number)?).await?;
    let allowed = |raw: &'static str| {
        let services = app.services.clone();
        async move {
            let address = sealpost_domain::types::EmailAddress::parse(raw).map_err(|e| anyhow!("{e:?}"))?;
            services
                .sender_domain_allowed(account.id, &address)
                .await
                .map_err(|e| anyhow!("{e:?}"))
        }
    };
    ensure!(!allowed("anyone@anywhere.example").await?, "no list: nobody by domain");

    let details = format!("/admin/accounts/{number}");
    let form = format!("{details}/sender-domains");
    let refused = alice
        .submit(&details, &form, &[("sender_domains", "example.com\n*\nfine.example")])
        .await?;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.shows("Each entry must be a domain name such as example.com"));
    assert!(
        refused.body.contains("example.com\n*\nfine.example</textarea>"),
        "typed text kept"
    );
    ensure!(
        !allowed("anyone@anywhere.example").await?,
        "a refused list changes nothing"
    );

    let saved = alice
        .submit(
            &details,
            &form,
            &[("sender_domains", "Example.COM, *.eu.example.org\nbücher.example")],
        )
        .await?;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let page = alice.get(&details).await?;
    assert!(page.shows("The allowed sender domains have been saved."));
    assert!(
        page.body
            .contains("*.eu.example.org\nexample.com\nxn--bcher-kva.example</textarea>"),
        "{}",
        page.text()
    );
    ensure!(allowed("alice@example.com").await?);
    ensure!(allowed("news@mail.eu.example.org").await?);
    ensure!(allowed("info@bücher.example").await?);
    ensure!(!allowed("alice@sub.example.com").await?);
    ensure!(!allowed("mallory@example.net").await?);
    let audit = alice.get(&format!("{details}/audit")).await?;
    audit.assert_shows("Allowed sender domains changed");

    let cleared = alice.submit(&details, &form, &[("sender_domains", "")]).await?;
    assert_eq!(cleared.status, 303);
    ensure!(
        !allowed("alice@example.com").await?,
        "an empty list admits nobody by domain"
    );
    Ok(())
}
