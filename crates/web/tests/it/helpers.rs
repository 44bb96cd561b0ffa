//! `TestApp`: one Sealpost web server per test, with a fresh database, a fake clock
//! and fixtures; `Client`: a cookie-keeping HTTP client that does not follow redirects.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use sealpost_crypto::keys::Key256;
use sealpost_domain::links::Links;
use sealpost_domain::model::{Account, User};
use sealpost_domain::policy::{AccountScope, Actor};
use sealpost_domain::ports::{Clock as _, FakeClock, SystemClock};
use sealpost_domain::services::Services;
use sealpost_domain::services::messages::{Messaging, MessagingConfig};
use sealpost_domain::services::users::CreateUserRequest;
use sealpost_domain::types::{AccountNumber, Locale};
use sealpost_storage::{ObjectBlobStore, SqlStore};
use sealpost_testkit::postgres::Scratch;
use sealpost_web::WebConfig;

mod client;
pub use client::Client;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs `body` on a fresh server over `db` (nothing, when that database is not
/// reachable).
pub async fn run_on<F: std::future::Future<Output = anyhow::Result<()>>>(
    db: Db,
    body: impl FnOnce(TestApp) -> F,
) -> anyhow::Result<()> {
    match TestApp::spawn(db).await? {
        Some(app) => body(app).await,
        None => Ok(()),
    }
}

/// A password that passes the policy, used for fixtures.
pub const PASSWORD: &str = "Correct-Horse-42";

/// A running Sealpost.
pub struct TestApp {
    pub base: String,
    pub services: Services,
    pub clock: FakeClock,
    pub store: Arc<SqlStore>,
    /// The outbox worker, run on demand by [`TestApp::deliver`].
    pub worker: Arc<sealpost_mail::OutboxWorker>,
    /// Opens the outbox rows stored sealed (a worker built later needs it).
    pub mail_seal: Arc<sealpost_domain::sealed_mail::MailSeal>,
    /// Where delivered mail lands as `.eml` files.
    pub mail_dir: std::path::PathBuf,
    server: tokio::task::JoinHandle<()>,
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database of the test's own, held to be dropped with it.
    _postgres_database: Option<Scratch>,
}

impl TestApp {
    /// Starts a server on `db`. `None` (with a loud note) when PostgreSQL is not
    /// reachable and `SEALPOST_REQUIRE_POSTGRES` is not set.
    pub async fn spawn(db: Db) -> anyhow::Result<Option<Self>> {
        Self::spawn_with(db, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the messaging settings adjusted by `adjust`.
    pub async fn spawn_with(db: Db, adjust: impl FnOnce(&mut MessagingConfig)) -> anyhow::Result<Option<Self>> {
        Self::spawn_full(db, tempfile::tempdir()?, adjust, WebConfig::default()).await
    }

    /// Like [`TestApp::spawn`], delivering messages as envelopes only: the mail
    /// carries the sealed message, the service keeps only its keys.
    pub async fn spawn_envelope_only(db: Db) -> anyhow::Result<Option<Self>> {
        Self::spawn_with(db, |c| {
            c.delivery_mode = sealpost_domain::messages::DeliveryMode::Envelope;
        })
        .await
    }

    /// Like [`TestApp::spawn`], with the web front's settings `web` (HTTPS cookies,
    /// a trusted proxy).
    pub async fn spawn_web(db: Db, web: WebConfig) -> anyhow::Result<Option<Self>> {
        Self::spawn_full(db, tempfile::tempdir()?, |_| {}, web).await
    }

    /// Like [`TestApp::spawn_with`], keeping the database file, blobs and mail in
    /// `dir` (a folder on a small file system, say, to fill it).
    pub async fn spawn_in_dir(
        db: Db,
        dir: tempfile::TempDir,
        adjust: impl FnOnce(&mut MessagingConfig),
    ) -> anyhow::Result<Option<Self>> {
        Self::spawn_full(db, dir, adjust, WebConfig::default()).await
    }

    async fn spawn_full(
        db: Db,
        dir: tempfile::TempDir,
        adjust: impl FnOnce(&mut MessagingConfig),
        web: WebConfig,
    ) -> anyhow::Result<Option<Self>> {
        let (url, postgres_database) = match db {
            Db::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.path().join("sealpost.db").display()),
                None,
            ),
            Db::Postgres => match Scratch::create("web", "PostgreSQL backend NOT tested").await? {
                Some(database) => (database.url().to_owned(), Some(database)),
                None => return Ok(None),
            },
        };
        let store = Arc::new(SqlStore::connect(&url).await?);
        store.migrate().await?;
        let clock = FakeClock::new(SystemClock.now());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut config = MessagingConfig {
            links: Links::new(&format!("http://{addr}")),
            from_address: "sealpost@example.com".to_owned(),
            ..MessagingConfig::default()
        };
        adjust(&mut config);
        let clock_port: Arc<dyn sealpost_domain::ports::Clock> = Arc::new(clock.clone());
        let notifier = Arc::new(sealpost_mail::MailNotifier::new(
            "Sealpost",
            &config.from_address,
            clock_port.clone(),
        )?);
        let mail_dir = dir.path().join("mail");
        let transport = Arc::new(sealpost_mail::MailDir::new(mail_dir.clone(), clock_port.clone()));
        let master_key = Arc::new(Key256::generate()?);
        let mail_seal = Arc::new(sealpost_domain::sealed_mail::MailSeal::from_master(&master_key)?);
        let worker = Arc::new(
            sealpost_mail::OutboxWorker::new(
                store.clone(),
                transport,
                clock_port.clone(),
                notifier.clone(),
                &config.from_address,
            )?
            .with_mail_seal(mail_seal.clone()),
        );
        let messaging = Messaging {
            blobs: Arc::new(ObjectBlobStore::local(dir.path().join("blobs"))?.reporting_to(&store)),
            notifier,
            master_key,
            config,
            outbox_waker: worker.waker(),
        };
        let services = Services::new(
            store.clone(),
            clock_port,
            sealpost_i18n::in_every_language("group-account-administrators"),
            messaging,
        );
        let app = sealpost_web::router(services.clone(), web);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        Ok(Some(Self {
            base: format!("http://{addr}"),
            services,
            clock,
            store,
            worker,
            mail_seal,
            mail_dir,
            server,
            dir,
            _postgres_database: postgres_database,
        }))
    }

    /// Like [`TestApp::spawn`], but the outbox worker hands every email to the SMTP
    /// server on `127.0.0.1:port` (plain text, as to a relay on the same machine)
    /// instead of writing `.eml` files: [`TestApp::deliver`] then speaks SMTP, and
    /// [`TestApp::mails`] stays empty (read the server's mailbox instead).
    ///
    /// The messaging services keep the waker of the MailDir worker [`TestApp::spawn`]
    /// built; nothing waits on it, because tests run the worker on demand only.
    pub async fn spawn_smtp(db: Db, port: u16) -> anyhow::Result<Option<Self>> {
        let Some(mut app) = Self::spawn(db).await? else {
            return Ok(None);
        };
        let from = "sealpost@example.com";
        let clock: Arc<dyn sealpost_domain::ports::Clock> = Arc::new(app.clock.clone());
        let notifier = Arc::new(sealpost_mail::MailNotifier::new("Sealpost", from, clock.clone())?);
        let mut relay = sealpost_mail::SmtpRelayConfig::new("127.0.0.1");
        relay.port = Some(port);
        relay.tls = sealpost_mail::TlsMode::None;
        relay.timeout = std::time::Duration::from_secs(10);
        relay.hello_name = Some("sealpost.test".to_owned());
        app.worker = Arc::new(
            sealpost_mail::OutboxWorker::new(
                app.store.clone(),
                Arc::new(sealpost_mail::SmtpRelay::new(relay)?),
                clock,
                notifier,
                from,
            )?
            .with_mail_seal(app.mail_seal.clone()),
        );
        Ok(Some(app))
    }

    /// A fresh client with no cookies.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// Creates an active user with [`PASSWORD`] (or a temporary one to change),
    /// whose mailbox the operator vouches for, as `sealpost user add
    /// --mailbox-verified` does: messages addressed to them open at once. Users an
    /// administrator adds through the pages prove their mailbox by a link instead.
    pub async fn add_user(&self, email: &str, force_change: bool) -> anyhow::Result<User> {
        let request = CreateUserRequest {
            username: email.to_owned(),
            first_name: "Test".to_owned(),
            last_name: email.split('@').next().unwrap_or("User").to_owned(),
            password: PASSWORD.to_owned(),
            confirm_password: PASSWORD.to_owned(),
            force_password_change: force_change,
            mailbox_vouched: true,
        };
        self.services
            .create_user(None, &request, None)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    }

    /// The status the administration login form answers a fresh client logging in
    /// as `email` with `password` (303 when let in).
    pub async fn login_status(&self, email: &str, password: &str) -> anyhow::Result<u16> {
        Ok(self.client().login(email, password).await?.status)
    }

    /// Makes an existing user an operator.
    pub async fn make_operator(&self, email: &str) -> anyhow::Result<User> {
        self.services.grant_operator(email).await.map_err(|e| anyhow!("{e:?}"))
    }

    /// Creates an account, with `admin` (an existing user) in Account Administrators.
    pub async fn add_account(&self, name: &str, admin: Option<&str>) -> anyhow::Result<Account> {
        self.services
            .create_account(None, name, Locale::En, admin, None)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    }

    /// Like [`TestApp::add_account`], with `locale` as the account's default
    /// language: the language of its notifications to people without a user.
    pub async fn add_account_speaking(
        &self,
        name: &str,
        admin: Option<&str>,
        locale: Locale,
    ) -> anyhow::Result<Account> {
        self.services
            .create_account(None, name, locale, admin, None)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    }

    /// The account with this number, as stored.
    pub async fn account(&self, number: AccountNumber) -> anyhow::Result<Account> {
        self.store_port()
            .account_by_number(number)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    }

    /// The fake clock's time.
    pub fn clock_now(&self) -> sealpost_domain::types::Timestamp {
        self.clock.now()
    }

    /// Delivers every queued email into [`TestApp::mail_dir`]; returns how many.
    pub async fn deliver(&self) -> anyhow::Result<usize> {
        self.worker.run_once().await.map_err(|e| anyhow!("{e:?}"))
    }

    /// Every delivered email, oldest first.
    pub fn mails(&self) -> anyhow::Result<Vec<Mail>> {
        let mut paths: Vec<_> = match std::fs::read_dir(&self.mail_dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        };
        paths.sort();
        paths.iter().map(|p| Mail::parse(&std::fs::read(p)?)).collect()
    }

    /// The newest delivered email to `to` whose subject contains `subject`.
    pub fn mail_to(&self, to: &str, subject: &str) -> anyhow::Result<Mail> {
        self.mails()?
            .into_iter()
            .rev()
            .find(|m| m.to.contains(to) && m.subject.contains(subject))
            .ok_or_else(|| anyhow!("no mail to {to} about {subject:?}"))
    }

    /// Fails if `text` stands in any file below the app's data folder (database,
    /// blobs, mail): the plaintext canary. Returns how many files were read.
    pub fn scan_for_plaintext(&self, text: &str) -> anyhow::Result<usize> {
        let mut scanned = 0;
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path)?.filter_map(|e| e.ok().map(|e| e.path())));
            } else {
                let bytes = std::fs::read(&path)?;
                scanned += 1;
                let found = bytes.windows(text.len()).any(|w| w == text.as_bytes());
                anyhow::ensure!(!found, "plaintext marker found in {}", path.display());
            }
        }
        Ok(scanned)
    }

    /// The storage port, for asserting what was stored.
    pub fn store_port(&self) -> &dyn sealpost_domain::ports::Store {
        self.store.as_ref()
    }

    /// The first account stored (the only one, in tests that made one).
    pub async fn first_account(&self) -> anyhow::Result<Account> {
        self.store_port()
            .list_accounts()
            .await
            .map_err(|e| anyhow!("{e:?}"))?
            .into_iter()
            .next()
            .context("no account")
    }

    /// The first account's latest 200 audit events, newest first.
    pub async fn first_account_audit(&self) -> anyhow::Result<Vec<sealpost_domain::model::AuditEvent>> {
        let account = self.first_account().await?;
        self.store_port()
            .list_audit(Some(account.id), 200)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    }

    /// The stored user with this address.
    pub async fn user(&self, email: &str) -> anyhow::Result<User> {
        self.store_port()
            .user_by_email(&sealpost_domain::types::EmailAddress::parse(email)?)
            .await
            .map_err(|e| anyhow!("{e:?}"))?
            .with_context(|| format!("no user {email}"))
    }

    /// The scope `email`, an administrator of account `number`, acts in there.
    pub async fn scope(&self, email: &str, number: AccountNumber) -> anyhow::Result<AccountScope> {
        self.services
            .account_scope(&self.actor(email).await?, number, None)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    }

    /// Makes the group Staff in account `number` as its administrator `admin` and
    /// puts `member` in it: a plain member of the account, not an administrator.
    pub async fn add_staff_member(&self, admin: &str, number: AccountNumber, member: &str) -> anyhow::Result<()> {
        let scope = self.scope(admin, number).await?;
        let staff = self
            .services
            .create_group(&scope, "Staff")
            .await
            .map_err(|e| anyhow!("{admin} creates Staff in {number}: {e:?}"))?;
        self.services
            .add_member(&scope, staff.id, member)
            .await
            .map_err(|e| anyhow!("{admin} adds {member} to Staff: {e:?}"))?;
        Ok(())
    }

    /// The same-site path of the first link in the newest mail to `to` about
    /// `subject` that starts with `prefix`.
    pub fn link_path(&self, to: &str, subject: &str, prefix: &str) -> anyhow::Result<String> {
        let link = self.mail_to(to, subject)?.link(&format!("{}{prefix}", self.base))?;
        Ok(link
            .strip_prefix(&self.base)
            .context("same site")?
            .replace("&amp;", "&"))
    }

    /// The id of the first account's envelope profile named `name` (Alice, its
    /// administrator, reads them), as Compose's `profile` field sends it.
    pub async fn profile_id(&self, name: &str) -> anyhow::Result<String> {
        let account = self.first_account().await?;
        self.account_profile_id("alice@example.com", account.number, name).await
    }

    /// The id of the envelope profile `name` of account `number`, as `admin` reads it.
    pub async fn account_profile_id(&self, admin: &str, number: AccountNumber, name: &str) -> anyhow::Result<String> {
        let scope = self.scope(admin, number).await?;
        let profiles = self
            .services
            .envelope_profiles(&scope)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
        let profile = profiles
            .iter()
            .find(|p| p.name == name)
            .with_context(|| format!("no profile {name}"))?;
        Ok(profile.id.with_context(|| format!("{name} is not stored"))?.to_string())
    }

    /// The actor of the user with this address, as the CLI acts for a person.
    pub async fn actor(&self, email: &str) -> anyhow::Result<Actor> {
        let user = self.user(email).await?;
        self.services.act_as(user.id).await.map_err(|e| anyhow!("{e:?}"))
    }
}

/// Stops the server; the PostgreSQL database, a field, is dropped after it.
impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub use sealpost_testkit::{Answer, Mail, SmtpSink, hidden_field, sent_id};

/// `secret` with its last character changed (never to itself: a secret may end
/// in `x`).
pub fn wrong_secret(secret: &str) -> String {
    let last = if secret.ends_with('x') { 'y' } else { 'x' };
    format!("{}{last}", &secret[..secret.len() - 1])
}

/// Where an anonymous `GET` of the page `path` is sent: the area's `login`, which
/// leads back to the page once logged in.
pub fn login_coming_back(login: &str, path: &str) -> anyhow::Result<String> {
    let query = serde_urlencoded::to_string([("next", path)])?;
    Ok(format!("{login}?{query}"))
}

/// A client logged in as `email` with `password` (through the login form).
pub async fn logged_in_with(app: &TestApp, email: &str, password: &str) -> anyhow::Result<Client> {
    let client = app.client();
    let answer = client.login(email, password).await?;
    anyhow::ensure!(answer.status == 303, "login of {email} failed: {}", answer.text());
    Ok(client)
}

/// A client logged in as `email` with [`PASSWORD`].
pub async fn logged_in(app: &TestApp, email: &str) -> anyhow::Result<Client> {
    logged_in_with(app, email, PASSWORD).await
}

/// `sender` sends Bob one message per (subject, body) of `messages`, in order:
/// their ids.
pub async fn send_each_to_bob<const N: usize>(
    sender: &Client,
    messages: [(&str, &str); N],
) -> anyhow::Result<[String; N]> {
    let mut ids = Vec::with_capacity(N);
    for (subject, body) in messages {
        ids.push(sender.send_to("bob@example.com", subject, body, &[]).await?);
    }
    ids.try_into().map_err(|_| anyhow!("{N} messages sent"))
}

/// Bob logs in on `client` on the way to message `id`, ticking (or forging)
/// "Remember me on this device", and is let in (303): the login form he was shown.
pub async fn remember_on_the_way_to(client: &Client, id: &str) -> anyhow::Result<Answer> {
    let login = format!("/portal/login?next=%2Fm%2F{id}");
    let next = format!("/m/{id}");
    let form = client.get(&login).await?;
    let fields = [
        ("email", "bob@example.com"),
        ("password", PASSWORD),
        ("next", next.as_str()),
        ("remember", "on"),
    ];
    let answer = client.submit(&login, "/portal/login", &fields).await?;
    anyhow::ensure!(answer.status == 303, "{}", answer.text());
    Ok(form)
}

/// Alice (administrator of Acme Corp, so a member who may send) and Bob
/// (registered, in no account), both logged in.
pub async fn acme(app: &TestApp) -> anyhow::Result<(Client, Client)> {
    app.add_user("alice@example.com", false).await?;
    app.add_user("bob@example.com", false).await?;
    app.add_account("Acme Corp", Some("alice@example.com")).await?;
    Ok((
        logged_in(app, "alice@example.com").await?,
        logged_in(app, "bob@example.com").await?,
    ))
}

/// Alice logs in through the portal form from a client that keeps no cookies:
/// `cookie` is what it sends along, `csrf` the token of the form.
pub async fn alice_logs_in(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    csrf: &str,
    password: &str,
) -> anyhow::Result<reqwest::Response> {
    let form = [("csrf", csrf), ("email", "alice@example.com"), ("password", password)];
    let request = http.post(format!("{base}/portal/login")).header("cookie", cookie);
    Ok(request.form(&form).send().await?)
}

/// Follows the seed procedure to an account's tab: the Accounts list, the
/// account's number, then the tab's link labelled `tab_label`. Returns the
/// tab's path (`/admin/accounts/{number}/{slug}`).
pub async fn open_account_tab(admin: &Client, number: &str, slug: &str, tab_label: &str) -> anyhow::Result<String> {
    let accounts = admin.get("/admin/accounts").await?;
    let details = format!("/admin/accounts/{number}");
    anyhow::ensure!(
        accounts.body.contains(&format!("href=\"{details}\">{number}</a>")),
        "the Accounts list links the number: {}",
        accounts.text()
    );
    let page = admin.get(&details).await?;
    let tab = format!("{details}/{slug}");
    anyhow::ensure!(
        page.body.contains(&format!("<a href=\"{tab}\">{tab_label}</a>")),
        "the account page has the {tab_label} tab: {}",
        page.text()
    );
    Ok(tab)
}
