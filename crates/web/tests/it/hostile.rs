//! Hostile and malformed input on every form and every path with an id in it:
//! whatever is sent, the answer is never a server error, and the service keeps
//! answering. The forms are read off the pages themselves, so a new form or field
//! is covered without touching this file.

use anyhow::{Context as _, ensure};

use crate::helpers::{Answer, Client, PASSWORD, TestApp};

/// Values a careless or hostile client sends; every field of a form gets each.
fn hostile_values() -> Vec<String> {
    vec![
        String::new(),
        "   ".to_owned(),
        "a\u{0}b".to_owned(),
        "\u{0}".to_owned(),
        "x".repeat(100_000),
        "名前 😀 \u{202e}txt.exe".to_owned(),
        "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>".to_owned(),
        "' OR 1=1 --; DROP TABLE users;".to_owned(),
        "%00%ff%C0%AF../../etc/passwd".to_owned(),
        "-1".to_owned(),
        "99999999999999999999999".to_owned(),
        "2026-02-30".to_owned(),
        "@".to_owned(),
        "a@@b..c".to_owned(),
        "victim@example.com\r\nBcc: spy@example.org".to_owned(),
        "\u{7f}\u{1b}[31m\u{8}".to_owned(),
    ]
}

/// One form of a page: where it posts, whether it uploads, and its field names.
#[derive(Debug)]
struct Form {
    action: String,
    multipart: bool,
    fields: Vec<String>,
    /// Fields a person types into or chooses (not hidden ones).
    visible: usize,
}

/// The value of attribute `name` in one HTML tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag.get(start..)?.find('"')?;
    Some(tag.get(start..start + end)?.replace("&amp;", "&"))
}

/// Every `<tag …>` opening in `html` that starts with `opening` (such as `<input`).
fn tags<'a>(html: &'a str, opening: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    html.match_indices(opening).filter_map(move |(at, _)| {
        let rest = html.get(at..)?;
        rest.get(..rest.find('>')?)
    })
}

/// The forms of a page, with the names of their fields (the CSRF token aside).
fn forms(html: &str) -> Vec<Form> {
    let mut found = Vec::new();
    for (at, _) in html.match_indices("<form") {
        let Some(block) = html.get(at..) else { continue };
        let block = block
            .get(..block.find("</form>").unwrap_or(block.len()))
            .unwrap_or_default();
        let Some(tag) = tags(block, "<form").next() else {
            continue;
        };
        let mut fields = Vec::new();
        let mut visible = 0;
        for opening in ["<input", "<select", "<textarea"] {
            for field in tags(block, opening) {
                let Some(name) = attribute(field, "name") else { continue };
                if name == "csrf" || fields.contains(&name) {
                    continue;
                }
                if !field.contains("type=\"hidden\"") {
                    visible += 1;
                }
                fields.push(name);
            }
        }
        found.push(Form {
            action: attribute(tag, "action").unwrap_or_default(),
            multipart: tag.contains("multipart/form-data"),
            fields,
            visible,
        });
    }
    found
}

fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Notes a server error in `failures` (all are reported at the end, not only the
/// first).
fn survived(answer: &Answer, what: &str, failures: &mut Vec<String>) {
    if answer.status >= 500 {
        failures.push(format!("{what} answered {}", answer.status));
    }
}

/// Submits every hostile value into every field of every form on `page` that a
/// person fills in (forms of buttons alone, such as Delete or Log Out, are left
/// alone so the world stays as it is).
async fn attack_forms(client: &Client, page: &str, failures: &mut Vec<String>) -> anyhow::Result<usize> {
    let shown = client.get(page).await?;
    ensure!(shown.status == 200, "{page} answered {}", shown.status);
    let mut sent = 0;
    for form in forms(&shown.body).into_iter().filter(|f| f.visible > 0) {
        for value in hostile_values() {
            let fields: Vec<(&str, &str)> = form.fields.iter().map(|f| (f.as_str(), value.as_str())).collect();
            let what = format!(
                "{} from {page} with {:?}",
                form.action,
                value.chars().take(40).collect::<String>()
            );
            let answer = if form.multipart {
                let file_name = value.replace(['\0', '\r', '\n', '"'], "_");
                let files = [(file_name.as_str(), "text/plain", value.as_bytes().to_vec())];
                client.compose(&fields, &files).await
            } else {
                client.submit(page, &form.action, &fields).await
            };
            survived(&answer.with_context(|| what.clone())?, &what, failures);
            sent += 1;
        }
    }
    Ok(sent)
}

on_both_databases!(hostile_input_never_makes_a_server_error, hostile_input);
async fn hostile_input(app: TestApp) -> anyhow::Result<()> {
    app.add_user("alice@example.com", false).await?;
    app.make_operator("alice@example.com").await?;
    app.add_user("bob@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let alice = app.client();
    ensure!(alice.login("alice@example.com", PASSWORD).await?.status == 303);
    let sent = alice
        .compose(
            &[
                ("to", "bob@example.com"),
                ("cc", "carol@example.org"),
                ("subject", "Hello"),
                ("body", "A message"),
                ("allow_reply", "on"),
            ],
            &[("note.txt", "text/plain", b"inside".to_vec())],
        )
        .await?;
    let sent_page = sent.location.clone().context("compose did not redirect")?;
    let id = sent_page.rsplit('/').next().unwrap_or_default().to_owned();
    let number = account.number.to_string();
    let details = format!("/admin/accounts/{number}");
    let groups = alice.get(&format!("{details}/groups")).await?;
    let group_page = forms(&groups.body)
        .iter()
        .find_map(|f| f.action.strip_suffix("/delete").map(str::to_owned))
        .or_else(|| {
            let marker = format!("href=\"{details}/groups/");
            let start = groups.body.find(&marker)? + "href=\"".len();
            let end = groups.body.get(start..)?.find('"')?;
            groups.body.get(start..start + end).map(str::to_owned)
        })
        .context("a group page")?;

    let mut failures = Vec::new();
    let mut submitted = 0;
    // Bob replies (first: the attacks below lock the message): the reply form
    // carries the original's id and kind in hidden fields.
    let bob = app.client();
    ensure!(bob.login("bob@example.com", PASSWORD).await?.status == 303);
    submitted += attack_forms(&bob, &format!("/portal/compose?reply={id}&kind=reply"), &mut failures).await?;

    for page in [
        "/admin/accounts".to_owned(),
        details.clone(),
        format!("{details}/groups"),
        group_page.clone(),
        "/admin/users/new".to_owned(),
        format!("{details}/messages/{id}"),
        sent_page.clone(),
        "/portal/compose".to_owned(),
        "/password".to_owned(),
    ] {
        submitted += attack_forms(&alice, &page, &mut failures).await?;
    }
    let visitor = app.client();
    // Carol received the message and has no user yet: she may register.
    for page in [
        "/admin/login",
        "/portal/login",
        "/password/forgot",
        "/register?email=carol%40example.org",
    ] {
        submitted += attack_forms(&visitor, page, &mut failures).await?;
    }

    // Forms that arrive from outside the pages: the envelope's Open Online (a
    // cross-site post without a token), links' tokens, and the language switch.
    for value in hostile_values() {
        let v = value.as_str();
        let what = format!("with {:?}", v.chars().take(40).collect::<String>());
        for client in [&alice, &visitor] {
            let fields = [("id", v), ("recipient", v), ("lang", v), ("payload", v), ("step", v)];
            survived(
                &client.post_raw("/envelope/open", &fields).await?,
                &format!("envelope {what}"),
                &mut failures,
            );
            let payload = [("payload", v), ("csrf", v)];
            let attachment = format!("/m/{id}/attachments/1");
            survived(
                &client.post_raw(&attachment, &payload).await?,
                &format!("attachment {what}"),
                &mut failures,
            );
        }
        let reset = [("token", v), ("new_password", v), ("confirm_password", v)];
        let answer = visitor.submit("/password/forgot", "/password/reset", &reset).await?;
        survived(&answer, &format!("reset {what}"), &mut failures);
        let answer = visitor
            .submit("/password/forgot", "/activate", &[("token", v), ("next", v)])
            .await?;
        survived(&answer, &format!("activate {what}"), &mut failures);
        let answer = visitor
            .submit("/admin/login", "/language", &[("lang", v), ("back", v)])
            .await?;
        survived(&answer, &format!("language {what}"), &mut failures);
        let location = answer.location.unwrap_or_default();
        if !location.starts_with('/') || location.starts_with("//") {
            failures.push(format!("the language switch {what} sent the browser to {location:?}"));
        }
        submitted += 5;
    }

    // Paths and queries with hostile ids, as the administrator and as a visitor.
    let mut probed = 0;
    for value in hostile_values() {
        let v = percent_encoded(&value.chars().take(2_000).collect::<String>());
        for path in [
            format!("/m/{v}"),
            format!("/m/{id}/attachments/{v}"),
            format!("/portal/sent/{v}"),
            format!("/admin/accounts/{v}"),
            format!("{details}/groups/{v}"),
            format!("{details}/messages/{v}"),
            format!("/admin/users?q={v}&after={v}"),
            format!("/activate?token={v}"),
            format!("/password/reset?token={v}"),
            format!("/register?email={v}&lang={v}"),
        ] {
            for client in [&alice, &visitor] {
                survived(&client.get(&path).await?, &format!("GET {path}"), &mut failures);
                probed += 1;
            }
        }
    }

    ensure!(failures.is_empty(), "server errors:\n{}", failures.join("\n"));
    ensure!(
        submitted > 200 && probed > 200,
        "{submitted} forms and {probed} paths tried"
    );
    let still = alice.get("/portal").await?;
    ensure!(
        still.status == 200 && still.shows("Acme Corp"),
        "the service still serves Alice"
    );
    Ok(())
}
