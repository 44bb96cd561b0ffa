//! A browser as the tests need one (cookies kept, redirects not followed, so each
//! answer's status and `Location` can be checked), the two login forms, the compose
//! form, and reading pages: the CSRF token, a hidden field, the visible text.

use std::sync::Arc;

use anyhow::{Context as _, Result, ensure};
use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::multipart::{Form, Part};

/// A cookie-keeping HTTP client for one server.
pub struct Browser {
    /// The client; requests go to [`Browser::base`] followed by a path.
    pub http: reqwest::Client,
    /// Its cookies, to hand to a raw socket that plays the same browser.
    pub jar: Arc<Jar>,
    /// `http://host:port` of the server.
    pub base: String,
}

impl Browser {
    /// A browser for the server at `base`.
    pub fn new(base: &str) -> Result<Self> {
        Self::build(base, reqwest::Client::builder())
    }

    /// A browser that opens a fresh connection for every request: the server may
    /// close a connection after answering a form before reading its last bytes, and
    /// a request racing that close would fail for reasons a test may not be about.
    pub fn without_keep_alive(base: &str) -> Result<Self> {
        Self::build(base, reqwest::Client::builder().pool_max_idle_per_host(0))
    }

    fn build(base: &str, builder: reqwest::ClientBuilder) -> Result<Self> {
        let jar = Arc::new(Jar::default());
        let http = builder
            .cookie_provider(Arc::clone(&jar))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            jar,
            base: base.to_owned(),
        })
    }

    /// A browser logged in at `/portal/login` as `email`; fails unless the login
    /// answers 303.
    pub async fn portal(base: &str, email: &str, password: &str) -> Result<Self> {
        let browser = Self::new(base)?;
        browser.log_in_ok("/portal/login", email, password).await?;
        Ok(browser)
    }

    /// The text of the page at `path`, whatever its status.
    pub async fn page(&self, path: &str) -> Result<String> {
        page(&self.http, &format!("{}{path}", self.base)).await
    }

    /// The CSRF token of the form on the page at `path`.
    pub async fn csrf(&self, path: &str) -> Result<String> {
        csrf_of(&self.page(path).await?).with_context(|| format!("on {path}"))
    }

    /// Fills in and posts the login form at `path` (`/portal/login` or
    /// `/admin/login`); returns the answer as it came.
    pub async fn log_in(&self, path: &str, email: &str, password: &str) -> Result<reqwest::Response> {
        let csrf = self.csrf(path).await?;
        Ok(self
            .http
            .post(format!("{}{path}", self.base))
            .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password)])
            .send()
            .await?)
    }

    /// As [`Browser::log_in`]; fails unless the login succeeds (303).
    pub async fn log_in_ok(&self, path: &str, email: &str, password: &str) -> Result<()> {
        let answer = self.log_in(path, email, password).await?;
        ensure!(
            answer.status().as_u16() == 303,
            "login of {email} failed: {}",
            answer.status()
        );
        Ok(())
    }

    /// The `Cookie` header this browser sends to its server.
    pub fn cookie_header(&self) -> Result<String> {
        let url: reqwest::Url = self.base.parse()?;
        Ok(self.jar.cookies(&url).context("no cookies yet")?.to_str()?.to_owned())
    }
}

/// The text of the page at `url`, whatever its status.
pub async fn page(client: &reqwest::Client, url: &str) -> Result<String> {
    Ok(client.get(url).send().await?.text().await?)
}

/// The CSRF token of the first form on `page`.
pub fn csrf_of(page: &str) -> Result<String> {
    hidden_field(page, "csrf").context("no csrf field on the page")
}

/// The value of the input `name` in an HTML page, its character references read.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value_at = tag.find("value=\"")? + 7;
    let value = &tag[value_at..];
    Some(unescape(&value[..value.find('"')?]))
}

/// The page's text with tags removed, the character references of quotes, angle
/// brackets and ampersands read, whitespace folded: roughly what a person reads.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `html` with its character references read, once, as a browser reads them:
/// numeric ones (`&#39;`, `&#x2F;`) and `&amp;`, `&lt;`, `&gt;`, `&quot;`,
/// `&apos;`. Anything else (a lone `&`, an unknown name) stays as written.
pub fn unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match reference(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character the reference at the start of `text` (`&…;`) stands for, and
/// the reference's length.
fn reference(text: &str) -> Option<(char, usize)> {
    // The longest one read, `&#x10FFFF;`, is ten bytes long.
    let end = text.bytes().take(11).position(|b| b == b';')?;
    let c = match &text[1..end] {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        name => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

/// A file to attach to the compose form.
pub struct Attachment<'a> {
    /// The file name the browser sends.
    pub name: &'a str,
    /// Its `Content-Type`.
    pub content_type: &'a str,
    /// Its bytes (owned: a benchmark's hundred mebibytes are not copied).
    pub bytes: Vec<u8>,
}

/// The compose form as a browser posts it (multipart): `csrf`, then `fields` in
/// order, then every file as `attachments`.
pub fn compose_form(csrf: &str, fields: &[(&str, &str)], files: Vec<Attachment<'_>>) -> Result<Form> {
    let mut form = Form::new().text("csrf", csrf.to_owned());
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    for file in files {
        let part = Part::bytes(file.bytes)
            .file_name(file.name.to_owned())
            .mime_str(file.content_type)?;
        form = form.part("attachments", part);
    }
    Ok(form)
}

/// What a request answered.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
    /// The page (empty for most redirects).
    pub body: String,
}

impl Answer {
    /// Reads the whole answer.
    pub async fn read(response: reqwest::Response) -> Result<Self> {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await?;
        Ok(Self { status, location, body })
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> Option<String> {
        csrf_of(&self.body).ok()
    }

    /// The page's visible text (see [`text_of`]).
    pub fn text(&self) -> String {
        text_of(&self.body)
    }

    /// Whether the visible text contains `needle`.
    pub fn shows(&self, needle: &str) -> bool {
        self.text().contains(needle)
    }

    /// Fails the calling test, with the page's visible text, unless it shows `needle`.
    #[track_caller]
    pub fn assert_shows(&self, needle: &str) {
        assert!(self.shows(needle), "{}", self.text());
    }

    /// The public id of the message a compose form sent (its tracking page is
    /// `/portal/sent/<id>`), if it was sent.
    pub fn sent_id(&self) -> Option<&str> {
        self.location.as_deref()?.strip_prefix("/portal/sent/")
    }
}

/// The id of the message a compose answer redirected to; an error with the page's
/// text when the form was refused.
pub fn sent_id(answer: &Answer) -> Result<String> {
    ensure!(
        answer.status == 303,
        "compose refused ({}): {}",
        answer.status,
        answer.text()
    );
    answer
        .sent_id()
        .map(str::to_owned)
        .with_context(|| format!("not a sent page: {:?}", answer.location))
}

/// Sends a message as a logged-in sender would: the compose page for its token,
/// then the form; returns what the post answered.
pub async fn compose(
    client: &reqwest::Client,
    base: &str,
    fields: &[(&str, &str)],
    files: Vec<Attachment<'_>>,
) -> Result<Answer> {
    let csrf = csrf_of(&page(client, &format!("{base}/portal/compose")).await?)?;
    let form = compose_form(&csrf, fields, files)?;
    Answer::read(
        client
            .post(format!("{base}/portal/compose"))
            .multipart(form)
            .send()
            .await?,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_references_are_read_once_as_a_browser_reads_them() {
        let cases = [
            ("O&#39;Brien &amp; Co", "O'Brien & Co"),
            ("&#60;b&#62; &lt;i&gt; &#x3C;u&#X3e;", "<b> <i> <u>"),
            ("&quot;a&#34; &apos;b&#x27;", "\"a\" 'b'"),
            ("a&#x2B;b&#x2F;c&#61;", "a+b/c="),
            // Read once: what a reference writes is not read again.
            ("&amp;lt; &amp;#39;", "&lt; &#39;"),
            // Not references: left as written.
            ("fish & chips", "fish & chips"),
            ("&unknown; &#; &#xZZ; &#1114112; &", "&unknown; &#; &#xZZ; &#1114112; &"),
            ("a &amp b", "a &amp b"),
            ("&#1114111;", "\u{10FFFF}"),
            ("é&#233;", "éé"),
        ];
        for (html, shown) in cases {
            assert_eq!(unescape(html), shown, "{html}");
        }
    }

    #[test]
    fn a_hidden_field_and_the_text_read_their_references() {
        let page =
            r#"<form><input type="hidden" name="next" value="/m/1?a=1&amp;b=&#x2F;"><p>O&#39;Brien &lt;3</p></form>"#;
        assert_eq!(hidden_field(page, "next").as_deref(), Some("/m/1?a=1&b=/"));
        assert_eq!(text_of(page), "O'Brien <3");
    }
}
