//! What the browser tests share: a ChromeDriver child process with headless Chromium
//! sessions (fantoccini), a [`Browser`] that finds elements by the text a person
//! reads and waits for them explicitly, XPath builders, and screenshots for humans
//! in `target/browser-screenshots/`.
//!
//! Needs `chromedriver` and Chromium (`apt-get install chromium chromium-driver`);
//! `SEALPOST_CHROMEDRIVER` and `SEALPOST_CHROMIUM` override where they are. When they
//! are missing the tests fail, unless `SEALPOST_SKIP_BROWSER=1` is set: then they
//! pass with a loud note.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// How long to wait for an element, a page or ChromeDriver.
pub const WAIT: Duration = Duration::from_secs(10);
/// How often to look again while waiting.
pub const POLL: Duration = Duration::from_millis(50);

/// One WebDriver session on the app.
pub struct Browser<'a> {
    pub client: &'a Client,
    pub base: &'a str,
    /// The start of the screenshots' file names (`en` gives `en-<step>.png`).
    pub shots: String,
}

impl Browser<'_> {
    /// Opens `path` of the app.
    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// The path of the page shown.
    pub async fn path(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.path().to_owned())
    }

    /// The element at `xpath`, waiting for it to appear.
    pub async fn find(&self, xpath: &str) -> anyhow::Result<Element> {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(Locator::XPath(xpath))
            .await
        {
            Ok(element) => Ok(element),
            Err(error) => {
                Err(anyhow!(error).context(format!("found no {xpath} within {WAIT:?}; {}", self.describe().await)))
            }
        }
    }

    /// Where the browser is and what it shows, for failure messages.
    pub async fn describe(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = match self.client.find(Locator::XPath("//body")).await {
            Ok(body) => fold(&body.text().await.unwrap_or_default()),
            Err(_) => String::new(),
        };
        let text: String = text.chars().take(1500).collect();
        format!("the browser is at {url} showing: {text}")
    }

    /// Clicks the element at `xpath`, looking again if the page changed under it.
    /// A click that leaves the page (a submit button, a link elsewhere) returns once
    /// the next page has replaced it, so what is looked for next is never read from
    /// the page left behind (a flash or a box of the same name was found there, and
    /// the session closed before the form's POST had arrived).
    pub async fn click(&self, xpath: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.find(xpath).await?;
            let page = match leaves_the_page(&element).await {
                true => self.client.find(Locator::XPath("/html")).await.ok(),
                false => None,
            };
            match element.click().await {
                Ok(()) => {
                    if let Some(page) = page {
                        self.wait_until_replaced(&page).await;
                    }
                    return Ok(());
                }
                Err(error)
                    if (error.is_stale_element_reference() || error.is_element_not_interactable())
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(POLL).await;
                }
                Err(error) => return Err(anyhow!(error).context(format!("clicking {xpath}"))),
            }
        }
    }

    /// Waits until `page` (the `<html>` of the page left) is gone. A submission the
    /// browser itself refuses (a required field left empty) never leaves: after
    /// [`WAIT`] the test goes on and fails on what it looks for next.
    async fn wait_until_replaced(&self, page: &Element) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            match page.tag_name().await {
                Err(e) if is_stale(&e) => return,
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// The visible text of the element at `xpath`, whitespace folded.
    pub async fn text(&self, xpath: &str) -> anyhow::Result<String> {
        // The page may be replaced between finding the element and reading it
        // (a click's navigation ending): find it again on the new page.
        for _ in 0..STALE_RETRIES {
            match self.find(xpath).await?.text().await {
                Err(e) if is_stale(&e) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                read => return Ok(fold(&read?)),
            }
        }
        Ok(fold(&self.find(xpath).await?.text().await?))
    }

    /// The visible texts of every element at `xpath` (waiting for the first).
    pub async fn texts(&self, xpath: &str) -> anyhow::Result<Vec<String>> {
        self.find(xpath).await?;
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::XPath(xpath)).await? {
            texts.push(fold(&element.text().await?));
        }
        Ok(texts)
    }

    /// The form field labelled `text`: the label's `for` names it.
    pub async fn field(&self, text: &str) -> anyhow::Result<Element> {
        let mut tries = 0;
        let id = loop {
            match self.find(&label(text)).await?.attr("for").await {
                Err(e) if is_stale(&e) && tries < STALE_RETRIES => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                read => break read?,
            }
        }
        .with_context(|| format!("the label {text:?} names no field (no for=)"))?;
        self.client
            .find(Locator::Id(&id))
            .await
            .with_context(|| format!("the label {text:?} names the missing field #{id}"))
    }

    /// Types `value` into the field labelled `text`, replacing what it held.
    pub async fn fill(&self, text: &str, value: &str) -> anyhow::Result<()> {
        let field = self.field(text).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// What the field labelled `text` holds.
    pub async fn value(&self, text: &str) -> anyhow::Result<String> {
        Ok(self.field(text).await?.prop("value").await?.unwrap_or_default())
    }

    /// Where the link of the attachment named `name`, on the message page shown,
    /// points (waiting for it to appear).
    pub async fn attachment_url(&self, name: &str) -> anyhow::Result<String> {
        let xpath = format!(
            "//ul[contains(@class,'attachments')]/li/a[normalize-space()={}]",
            literal(name)
        );
        self.find(&xpath)
            .await?
            .prop("href")
            .await?
            .with_context(|| format!("the attachment {name} has no link"))
    }

    /// GET `url` over plain HTTP with this browser's session cookie, redirects not
    /// followed: how a test reads a download, which headless Chromium keeps to itself.
    pub async fn get_with_session(&self, url: &str) -> anyhow::Result<reqwest::Response> {
        let session = self
            .client
            .get_all_cookies()
            .await?
            .into_iter()
            .find(|c| c.name() == "sp_session")
            .context("the browser holds no session cookie")?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let request = http
            .get(url)
            .header("cookie", format!("sp_session={}", session.value()));
        Ok(request.send().await?)
    }

    /// Ends this session after a test's steps: a `failure` screenshot when `outcome`
    /// failed, then the session closed. The steps' error (with `what` said about
    /// it) comes first, then a failure to close.
    pub async fn finish<T, C>(&self, outcome: anyhow::Result<T>, what: C) -> anyhow::Result<T>
    where
        C: std::fmt::Display + Send + Sync + 'static,
    {
        if outcome.is_err() {
            self.screenshot("failure").await;
        }
        let closed = self.client.clone().close().await;
        let value = outcome.context(what)?;
        closed.context("closing the WebDriver session")?;
        Ok(value)
    }

    /// Saves a PNG of the page for humans; failing to is not the test's failure.
    pub async fn screenshot(&self, step: &str) {
        let Ok(png) = self.client.screenshot().await else {
            return;
        };
        let dir = screenshot_dir();
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(dir.join(format!("{}-{step}.png", self.shots)), png);
        }
    }
}

/// `target/browser-screenshots`, next to the target directory's `tmp`.
pub fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser-screenshots")
}

/// `text` as an XPath string literal (French has apostrophes).
pub fn literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// One XPath finder per kind of element: `$name(text)` finds the element that
/// `$path` starts to name and whose normalized text is `text`.
macro_rules! finders {
    ($($name:ident: $path:literal;)*) => {$(
        pub fn $name(text: &str) -> String {
            format!(concat!($path, "normalize-space()={}]"), literal(text))
        }
    )*};
}

finders! {
    button: "//button[";
    heading: "//h1[";
    link: "//a[";
    nav_link: "//header//nav//a[";
    label: "//label[";
    alert: "//*[@role='alert' and ";
    flash: "//*[contains(@class,'flash') and ";
}

pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A ChromeDriver of our own on a free port, killed when dropped; every session
/// gets a fresh Chromium profile of its own, so two sessions are two people.
pub struct ChromeDriver {
    process: Child,
    url: String,
    chromium: String,
    /// The profiles of the sessions started, deleted with the driver.
    profiles: Mutex<Vec<tempfile::TempDir>>,
}

impl ChromeDriver {
    /// `None` (with a loud note) when ChromeDriver or Chromium is missing and
    /// `SEALPOST_SKIP_BROWSER=1` is set.
    pub async fn start() -> anyhow::Result<Option<Self>> {
        let chromedriver = std::env::var("SEALPOST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let chromium = std::env::var("SEALPOST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        if !Path::new(&chromium).exists() {
            return missing(&format!("Chromium is not at {chromium}"));
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let process = match Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(process) => process,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return missing(&format!("`{chromedriver}` was not found"));
                }
                Err(error) => return Err(error).with_context(|| format!("starting {chromedriver}")),
            };
            let driver = Self {
                process,
                url: format!("http://127.0.0.1:{port}"),
                chromium: chromium.clone(),
                profiles: Mutex::new(Vec::new()),
            };
            match driver.ready().await {
                Ok(()) => return Ok(Some(driver)),
                // Another process may have taken the port in between: try another.
                Err(error) if attempts >= 3 => return Err(error),
                Err(_) => drop(driver),
            }
        }
    }

    /// Waits until ChromeDriver answers `/status` with `ready`.
    async fn ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(response) = http.get(format!("{}/status", self.url)).send().await {
                let status: serde_json::Value = serde_json::from_str(&response.text().await?)?;
                if status["value"]["ready"] == serde_json::Value::Bool(true) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("ChromeDriver did not answer at {} within {WAIT:?}", self.url);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Where this ChromeDriver listens (for WebDriver commands fantoccini lacks,
    /// such as the virtual authenticators of WebAuthn).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new headless Chromium session whose user speaks American English.
    pub async fn session(&self) -> anyhow::Result<Client> {
        self.session_in("en-US").await
    }

    /// A new headless Chromium session whose language (user interface and
    /// `Accept-Language`) is `language`, e.g. `fr-FR`.
    pub async fn session_in(&self, language: &str) -> anyhow::Result<Client> {
        self.session_sized(language, None).await
    }

    /// A session like [`ChromeDriver::session_in`] on a phone's screen of `width` x
    /// `height` CSS pixels (390 x 844), through Chromium's device emulation (a
    /// headless window is never narrower than 500 px); `None`: a desktop window.
    pub async fn session_sized(&self, language: &str, phone: Option<(u32, u32)>) -> anyhow::Result<Client> {
        let (width, height) = phone.unwrap_or((1280, 900));
        let profile = tempfile::tempdir()?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": self.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-quic",
                    format!("--lang={language}"),
                    format!("--accept-lang={language}"),
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl": { "accept_languages": language } },
            }),
        );
        if phone.is_some()
            && let Some(options) = capabilities
                .get_mut("goog:chromeOptions")
                .and_then(|o| o.as_object_mut())
        {
            options.insert(
                "mobileEmulation".to_owned(),
                serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true } }),
            );
        }
        self.profiles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(profile);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .with_context(|| format!("starting {} through ChromeDriver at {}", self.chromium, self.url))
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn missing(what: &str) -> anyhow::Result<Option<ChromeDriver>> {
    if std::env::var("SEALPOST_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("Browser tests NOT run: {what} (SEALPOST_SKIP_BROWSER=1).");
        return Ok(None);
    }
    bail!(
        "{what}: the browser tests need Chromium and ChromeDriver. Install them with \
         `apt-get install chromium chromium-driver` (or point SEALPOST_CHROMIUM and \
         SEALPOST_CHROMEDRIVER at them), or set SEALPOST_SKIP_BROWSER=1 to skip these tests."
    )
}

/// How often a read of an element replaced by a navigation is tried again.
const STALE_RETRIES: usize = 20;

/// Whether clicking `element` loads another page: a submit button, or a link to
/// another address (not `#` within the page, not a download).
async fn leaves_the_page(element: &Element) -> bool {
    let attr = |name: &'static str| async move { element.attr(name).await.ok().flatten() };
    match element.tag_name().await.ok().as_deref() {
        Some("button") => attr("type").await.is_none_or(|t| t.eq_ignore_ascii_case("submit")),
        Some("input") => attr("type").await.is_some_and(|t| t.eq_ignore_ascii_case("submit")),
        Some("a") => {
            attr("download").await.is_none()
                && attr("href")
                    .await
                    .is_some_and(|href| !href.starts_with('#') && !href.ends_with(".csv") && !href.contains("/export"))
        }
        _ => false,
    }
}

/// Whether WebDriver answered that the element belongs to a page no longer shown.
fn is_stale(error: &fantoccini::error::CmdError) -> bool {
    error.to_string().contains("stale element")
}
