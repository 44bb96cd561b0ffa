//! Hostile and malformed input on every form and every path with an id in it:
//! whatever is sent, the answer is never a server error, and the service keeps
//! answering, and no markup sent comes back unescaped. The forms are read off the
//! pages themselves, so a new form or field is covered without touching this file.
//! Oversized bodies are refused without the server's memory growing with them.

use anyhow::{Context as _, ensure};

use crate::helpers::{Answer, Client, PASSWORD, TestApp, alice_logs_in, logged_in, sent_id};

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
    for markup in ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"] {
        if answer.body.contains(markup) {
            failures.push(format!("{what} showed {markup:?} unescaped"));
        }
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
            let answer = if form.multipart && form.action != "/portal/compose" {
                client.upload(page, &form.action, &fields, &[]).await
            } else if form.multipart {
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
    let alice = logged_in(&app, "alice@example.com").await?;
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
    let id = sent_id(&sent)?;
    let sent_page = format!("/portal/sent/{id}");
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
    let bob = logged_in(&app, "bob@example.com").await?;
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
        format!("{details}/tokens"),
        format!("{details}/features"),
        format!("{details}/delete"),
        format!("{details}/images"),
        format!("{details}/profiles"),
        format!("{details}/profiles/default"),
    ] {
        submitted += attack_forms(&alice, &page, &mut failures).await?;
    }
    // The rename form took some of the values above; the checks below expect the name.
    let renamed = alice
        .submit(&details, &format!("{details}/name"), &[("name", "Acme Corp")])
        .await?;
    ensure!(renamed.status == 303, "renamed back: {}", renamed.text());
    let visitor = app.client();
    // Carol received the message and has no user yet: she may register.
    for page in [
        "/admin/login",
        "/portal/login",
        "/password/forgot",
        "/register?email=carol%40example.org",
        "/verify?token=x&next=%2Fportal",
        "/confirm-sender?token=x",
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
        let unlock = format!("/m/{id}/unlock");
        let answer = alice
            .submit("/portal", &unlock, &[("password", v), ("part", v)])
            .await?;
        survived(&answer, &format!("unlock {what}"), &mut failures);
        let answer = alice.submit("/portal", "/verify/request", &[("next", v)]).await?;
        survived(&answer, &format!("mailbox proof request {what}"), &mut failures);
        let answer = visitor
            .submit("/admin/login", "/language", &[("lang", v), ("back", v)])
            .await?;
        survived(&answer, &format!("language {what}"), &mut failures);
        let location = answer.location.unwrap_or_default();
        if !location.starts_with('/') || location.starts_with("//") {
            failures.push(format!("the language switch {what} sent the browser to {location:?}"));
        }
        submitted += 6;
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
            format!("/admin/accounts?q={v}&page={v}&sort={v}"),
            format!("/admin/accounts/{v}/audit"),
            format!("/admin/accounts/{v}/delete"),
            format!("{details}/profiles/{v}"),
            format!("/portal/compose?profile={v}"),
            format!("/admin/users?q={v}&after={v}"),
            format!("/activate?token={v}"),
            format!("/password/reset?token={v}"),
            format!("/register?email={v}&lang={v}"),
            format!("/verify?token={v}&next={v}"),
            format!("/confirm-sender?token={v}"),
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

/// The test process's peak resident memory (VmHWM), in MiB. The server runs in
/// this process, and the oversized bodies below are streamed from small buffers,
/// so what the peak gains is what the server kept.
fn peak_memory_mib() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmHWM")?;
    Ok(kib / 1024)
}

/// Posts `head` then `filler` repeated `size` bytes then `tail` as one request body
/// over a raw connection (never holding the body in memory); returns the status.
async fn post_streamed(
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
    (head, filler, size, tail): (&str, u8, usize, &str),
) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut reader, mut writer) = stream.into_split();
    let length = head.len() + size + tail.len();
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {length}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    request.push_str(head);
    let tail = tail.to_owned();
    let sender = tokio::spawn(async move {
        writer.write_all(request.as_bytes()).await?;
        let chunk = vec![filler; 1 << 20];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len());
            writer.write_all(&chunk[..n]).await?;
            left -= n;
        }
        writer.write_all(tail.as_bytes()).await?;
        // Closing the sending side would end the connection before the answer.
        std::future::pending::<()>().await;
        anyhow::Ok(())
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
    }
    sender.abort();
    let line = String::from_utf8_lossy(&answer);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no status line in {:?}", line.chars().take(80).collect::<String>()))
}

/// The `Set-Cookie` name=value pairs of a response, as one `Cookie` header.
fn cookie_header(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn oversized_fields_and_envelopes_are_refused_in_bounded_memory() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(crate::helpers::Db::Sqlite).await? else {
        return Ok(());
    };
    app.add_user("alice@example.com", false).await?;
    app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = http.get(format!("{}/portal/login", app.base)).send().await?;
    let pre = cookie_header(&page);
    let token = crate::helpers::hidden_field(&page.text().await?, "csrf").context("csrf")?;
    let login = alice_logs_in(&http, &app.base, &pre, &token, PASSWORD).await?;
    ensure!(login.status().as_u16() == 303);
    let session = cookie_header(&login);
    let compose = http
        .get(format!("{}/portal/compose", app.base))
        .header("cookie", &session)
        .send()
        .await?;
    let csrf = crate::helpers::hidden_field(&compose.text().await?, "csrf").context("csrf")?;

    let before = peak_memory_mib()?;
    // A 200 MiB "message body" field.
    let boundary = "sealpostboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nbob@example.com\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let field = 200 << 20;
    let status = post_streamed(
        &app.base,
        "/portal/compose",
        &[("cookie", &session), ("content-type", &content_type)],
        (&head, b'x', field, &tail),
    )
    .await;
    let after_compose = peak_memory_mib()?;
    eprintln!("peak memory (VmHWM): {before} MiB at start, {after_compose} MiB after a 200 MiB compose field");
    let status = status?;
    ensure!((400..500).contains(&status), "a 200 MiB field answered {status}");

    // Eight anonymous envelope posts at once, for a message that does not exist,
    // each carrying 12 MiB of well-formed base64.
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let base = app.base.clone();
        posts.spawn(async move {
            post_streamed(
                &base,
                "/envelope/open",
                &[("content-type", "application/x-www-form-urlencoded")],
                ("id=0123456789abcdef0123456789abcdef&payload=", b'A', 12 << 20, ""),
            )
            .await
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = posts.join_next().await {
        statuses.push(status?);
    }
    let after_envelopes = peak_memory_mib()?;
    eprintln!("peak memory (VmHWM): {after_envelopes} MiB after 8 × 12 MiB envelope posts");
    for status in statuses {
        let status = status?;
        ensure!((400..500).contains(&status), "an envelope post answered {status}");
    }
    ensure!(
        after_compose.saturating_sub(before) < 64,
        "a 200 MiB field raised the peak by {} MiB",
        after_compose - before
    );
    ensure!(
        after_envelopes.saturating_sub(after_compose) < 100,
        "8 envelope posts raised the peak by {} MiB",
        after_envelopes - after_compose
    );
    Ok(())
}

on_both_databases!(
    hostile_logos_and_branding_fields_are_refused_with_the_reason_and_nothing_is_stored,
    hostile_images
);
async fn hostile_images(app: TestApp) -> anyhow::Result<()> {
    use crate::images::{jpeg, png, png_claiming, stored_logo, webp};
    app.add_user("alice@example.com", false).await?;
    let account = app.add_account("Acme Corp", Some("alice@example.com")).await?;
    let number = account.number.to_string();
    let alice = logged_in(&app, "alice@example.com").await?;
    let tab = format!("/admin/accounts/{number}/images");
    let name = [
        ("display_name", "Acme Kept Name"),
        ("colour", "#1a4d8f"),
        ("action", "save"),
    ];

    let whole = png(64, 64)?;
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>"#;
    let cases: Vec<(&str, &str, &str, Vec<u8>, &str)> = vec![
        (
            "zero bytes",
            "logo.png",
            "image/png",
            Vec::new(),
            "The logo file is empty.",
        ),
        (
            "a truncated PNG",
            "logo.png",
            "image/png",
            whole.get(..whole.len() / 2).unwrap_or_default().to_vec(),
            "The image could not be read",
        ),
        (
            "an SVG named .png",
            "logo.png",
            "image/png",
            svg.to_vec(),
            "SVG files are not accepted",
        ),
        (
            "an SVG",
            "logo.svg",
            "image/svg+xml",
            svg.to_vec(),
            "SVG files are not accepted",
        ),
        (
            "HTML named .jpg",
            "logo.jpg",
            "image/jpeg",
            b"<html><body><script>alert(1)</script></body></html>".to_vec(),
            "is not a PNG, JPEG or WebP image",
        ),
        (
            "a GIF named .png",
            "logo.png",
            "image/png",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            "is not a PNG, JPEG or WebP image",
        ),
        (
            "a PNG declaring 50000×50000",
            "bomb.png",
            "image/png",
            png_claiming(50_000, 50_000)?,
            "at most 4096 pixels",
        ),
        (
            "a PNG 5000 pixels wide",
            "wide.png",
            "image/png",
            png(5000, 4)?,
            "at most 4096 pixels",
        ),
        (
            "a file over 2 MB",
            "big.png",
            "image/png",
            vec![0x89; 2 * 1024 * 1024 + 1],
            "larger than 2 MB",
        ),
        (
            "a body far over the limit",
            "huge.png",
            "image/png",
            vec![0x89; 8 * 1024 * 1024],
            "larger than 2 MB",
        ),
    ];
    for (what, file_name, declared, bytes, reason) in cases {
        let answer = alice
            .upload(&tab, &tab, &name, &[("logo", file_name, declared, bytes)])
            .await?;
        ensure!(answer.status == 422, "{what}: {} {}", answer.status, answer.text());
        ensure!(answer.shows(reason), "{what}: {reason:?} missing: {}", answer.text());
        ensure!(
            answer.body.contains("value=\"Acme Kept Name\""),
            "{what}: the typed name is kept"
        );
        ensure!(stored_logo(&app, &number).await?.is_none(), "{what}: nothing stored");
    }
    let a = app.account(account.number).await?;
    let settings = app
        .store_port()
        .account_settings(a.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    ensure!(settings.is_empty(), "no setting was stored: {settings:?}");

    // Colour and name refusals name the reason; the contrast is measured.
    for (fields, reason) in [
        (
            [("display_name", "Acme"), ("colour", "#ffff00")],
            "contrast ratio of only 1.07:1",
        ),
        ([("display_name", "Acme"), ("colour", "red")], "six hexadecimal digits"),
        (
            [("display_name", "Acme\u{7}Bank"), ("colour", "")],
            "control characters",
        ),
    ] {
        let answer = alice.upload(&tab, &tab, &fields, &[]).await?;
        ensure!(
            answer.status == 422 && answer.shows(reason),
            "{reason}: {}",
            answer.text()
        );
    }

    // A polyglot (a PNG with an HTML page and a ZIP header appended) is accepted
    // only as its pixels: the stored logo carries neither payload.
    let mut polyglot = png(100, 40)?;
    polyglot.extend_from_slice(b"<html><script>alert(1)</script></html>PK\x03\x04polyglot.zip");
    let saved = alice
        .upload(&tab, &tab, &name, &[("logo", "logo.png", "image/png", polyglot)])
        .await?;
    ensure!(saved.status == 303, "{}", saved.text());
    let stored = stored_logo(&app, &number)
        .await?
        .context("the polyglot's pixels are stored")?;
    for payload in [&b"<html"[..], b"<script", b"PK\x03\x04", b"polyglot"] {
        ensure!(
            !stored.windows(payload.len()).any(|w| w == payload),
            "the stored logo still holds {:?}",
            String::from_utf8_lossy(payload)
        );
    }
    let decoded = image::load_from_memory_with_format(&stored, image::ImageFormat::Png)?;
    ensure!((decoded.width(), decoded.height()) == (100, 40));
    // The type comes from the bytes: a JPEG named .gif and declared as text is a JPEG.
    let answer = alice
        .upload(&tab, &tab, &name, &[("logo", "logo.gif", "text/plain", jpeg(80, 30)?)])
        .await?;
    ensure!(answer.status == 303, "{}", answer.text());
    let stored = stored_logo(&app, &number).await?.context("the JPEG is stored")?;
    ensure!(stored.starts_with(b"\x89PNG\r\n\x1a\n"), "re-encoded as PNG");
    // Metadata goes: a JPEG with an EXIF segment naming a place keeps only pixels.
    let plain = jpeg(80, 30)?;
    let exif = b"Exif\0\0GPS 48.8584 N 2.2945 E secret-location";
    let length = u16::try_from(exif.len() + 2)?.to_be_bytes();
    let mut tagged = plain.get(..2).unwrap_or_default().to_vec();
    tagged.extend_from_slice(&[0xff, 0xe1, length[0], length[1]]);
    tagged.extend_from_slice(exif);
    tagged.extend_from_slice(plain.get(2..).unwrap_or_default());
    let answer = alice
        .upload(&tab, &tab, &name, &[("logo", "photo.jpg", "image/jpeg", tagged)])
        .await?;
    ensure!(answer.status == 303, "{}", answer.text());
    let stored = stored_logo(&app, &number).await?.context("the tagged JPEG is stored")?;
    ensure!(
        !stored.windows(15).any(|w| w == b"secret-location") && !stored.windows(4).any(|w| w == b"Exif"),
        "the EXIF segment is gone"
    );
    // WebP is the third accepted type.
    let answer = alice
        .upload(&tab, &tab, &name, &[("logo", "logo.webp", "image/webp", webp(50, 20)?)])
        .await?;
    ensure!(answer.status == 303, "{}", answer.text());
    Ok(())
}
