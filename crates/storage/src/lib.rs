//! Sealpost's persistence: the domain's [`Store`] and [`MessageStore`] ports on SQLite
//! and PostgreSQL, and the [`BlobStore`](sealpost_domain::messages::BlobStore) of
//! sealed payload parts ([`ObjectBlobStore`]).
//!
//! There is one SQL implementation, [`SqlStore`], and one code path: every statement goes
//! through sqlx's `Any` driver as portable SQL (`$1, $2…` placeholders, which SQLite
//! reads as numbered parameters too). Where the two dialects genuinely differ, the
//! difference is one small fragment chosen by [`Backend`] (for example the row lock
//! PostgreSQL needs and SQLite does not), never a second implementation.
//!
//! Layout:
//! - this file: connecting ([`SqlStore::connect`]), migrating, transactions, the
//!   mapping of sqlx errors to [`DomainError`], and the `impl Store` that delegates
//!   to the files below;
//! - [`users`], [`accounts`], [`groups`], [`sessions`] (with login throttling) and
//!   [`audit`]: the SQL of each area of [`Store`];
//! - [`messages`] (account keys, messages, recipients, shredding), [`outbox`] (the
//!   mail queue and its leases) and [`tokens`] (registration, one-time tokens): the
//!   SQL of [`MessageStore`], whose `impl` here delegates to them too;
//! - [`blobs`]: [`ObjectBlobStore`], sealed parts in a directory or an S3 bucket;
//! - `migrations/{sqlite,postgres}`: one folder per backend with the same file
//!   names, embedded at build time.
//!
//! Each port method is one unit of work: a change and the audit event that records it
//! commit in one transaction, or neither does. On SQLite, write transactions start
//! with `BEGIN IMMEDIATE`, so they hold the write lock from their first statement and
//! never fail half-way on a lock upgrade.
//!
//! Faults: a full disk (SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full`, `ENOSPC`
//! from the blob directory) is [`DomainError::Unavailable`], logged once when the
//! storage becomes unwritable and once when it takes writes again (`WriteHealth`).
//! A transaction the database ended by itself (SQLite rolls back on `SQLITE_FULL`,
//! also at `COMMIT`) leaves sqlx believing the connection is still inside it; such a
//! connection is closed when released instead of going back to the pool, so the next
//! write after space returns gets a clean connection.

mod accounts;
mod audit;
pub mod blobs;
mod groups;
mod messages;
mod outbox;
mod sessions;
mod tokens;
mod users;
mod views;

pub use blobs::ObjectBlobStore;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::messages::{
    AccountKey, Confirmation, DeliveryMode, Message, MessageId, MessageStore, NewMessage, NewOutboxItem, OutboxItem,
    PublicId, Recipient, RegistrationAttempt, TokenPurpose, WrappedDataKey,
};
use sealpost_domain::model::{
    Account, AuditEvent, Credentials, Group, Member, NewUser, Session, User, UserPage, UserQuery,
};
use sealpost_domain::ports::{Store, StoreResult};
use sealpost_domain::types::{
    AccountId, AccountName, AccountNumber, EmailAddress, GroupId, GroupName, Locale, Timestamp, UserId,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row, Transaction};

/// The SQLite schema, embedded so the binary carries its own migrations.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
/// The PostgreSQL schema; same file names as [`SQLITE_MIGRATIONS`].
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Run on every new SQLite connection, in this order: wait up to 5 s for a lock
/// instead of failing at once; write-ahead log so readers never block the writer;
/// `FULL` sync so a committed transaction survives a power cut; and enforce foreign
/// keys (SQLite ignores them unless asked, per connection), which the cascades need.
const SQLITE_PRAGMAS: [&str; 4] = [
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
];

/// How long the record of a delivered mail waits for space on a full disk before
/// giving up (the mail is then sent again after its lease): less than the outbox
/// worker's two-minute lease, so no other worker claims the row meanwhile.
pub const DELIVERY_RECORD_PATIENCE: Duration = Duration::from_secs(60);

/// The database, as named in the log lines of [`WriteHealth`].
const DATABASE: &str = "database";

/// Which database a [`SqlStore`] talks to, for the few places where SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A single file: the default for small installations.
    Sqlite,
    /// A server, for installations that want one.
    Postgres,
}

impl Backend {
    /// Reads the scheme of a database URL; `None` for schemes Sealpost does not support.
    pub fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    /// The migrations written for this backend.
    fn migrator(self) -> &'static Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATIONS,
            Self::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// The [`Store`] on SQLite or PostgreSQL. Cheap to clone: clones share one pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time: write transactions queue here, in order,
    /// instead of spinning in SQLite's busy handler (whose growing sleeps make
    /// long tails under load). Unused on PostgreSQL.
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Whether writes currently fail for want of space, for the log and `/healthz`.
    health: Arc<WriteHealth>,
    /// Page views waiting to be recorded together (group commit, [`views`]).
    views: Arc<views::ViewQueue>,
}

/// How long writes must go through without a refusal before a full storage counts
/// as writable again. On a disk at its limit small writes can slip through while
/// larger ones fail; without this the log and `/healthz` would flap with them.
pub const WRITABLE_AFTER: Duration = Duration::from_secs(5);

/// Whether the storage (the database and the blob store, which share one) takes
/// writes. A full disk fails writes until space is freed; the operator gets one
/// line when that starts and one when it ends, not one per refused request.
#[derive(Debug, Default)]
pub(crate) struct WriteHealth {
    /// The outage under way, if any.
    outage: Mutex<Option<Outage>>,
}

/// Writes are being refused for want of space.
#[derive(Debug)]
struct Outage {
    since: Instant,
    last_refusal: Instant,
    /// The first refusal's error, for `/healthz` and the log.
    reason: String,
}

impl WriteHealth {
    /// Notes a write of `component` refused for want of space; logs when this starts
    /// an outage.
    fn refused(&self, component: &'static str, reason: &dyn std::error::Error) {
        let Ok(mut outage) = self.outage.lock() else {
            return;
        };
        let now = Instant::now();
        match outage.as_mut() {
            Some(outage) => outage.last_refusal = now,
            None => {
                let reason = reason.to_string();
                tracing::error!(
                    storage = component,
                    %reason,
                    "storage is full: Sealpost cannot store anything (messages, logins, registrations, \
                     mail status) until space is freed on the disk of the database or the blob folder; \
                     pages that only read keep working, and writes resume by themselves"
                );
                *outage = Some(Outage {
                    since: now,
                    last_refusal: now,
                    reason,
                });
            }
        }
    }

    /// Notes a write that went through; ends an outage (and logs it) once writes
    /// have gone through for [`WRITABLE_AFTER`] without a refusal.
    fn accepted(&self) {
        let Ok(mut outage) = self.outage.lock() else {
            return;
        };
        if let Some(ended) = outage.take_if(|o| o.last_refusal.elapsed() >= WRITABLE_AFTER) {
            tracing::warn!(
                unwritable_for_seconds = ended.since.elapsed().as_secs(),
                "storage takes writes again"
            );
        }
    }

    /// Why writes are being refused, while they are.
    fn unwritable(&self) -> Option<String> {
        self.outage
            .lock()
            .ok()
            .and_then(|outage| outage.as_ref().map(|o| o.reason.clone()))
    }

    /// Passes a port method's result through, noting a write of `component` refused
    /// for want of space.
    fn watch<T>(&self, component: &'static str, result: StoreResult<T>) -> StoreResult<T> {
        if let Err(DomainError::Unavailable(reason)) = &result {
            self.refused(component, reason.as_ref());
        }
        result
    }
}

/// The storage is still counted as full although a probe went through.
#[derive(Debug)]
struct StillFull(String);

impl fmt::Display for StillFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "writes were refused for want of space moments ago: {}", self.0)
    }
}

impl std::error::Error for StillFull {}

/// A write transaction; on SQLite it also holds the writer's turn until it ends.
/// Derefs to the connection, so `&mut tx` and `&mut *tx` work as for a plain
/// [`Transaction`].
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    health: Arc<WriteHealth>,
}

impl WriteTx {
    /// Commits, then gives the writer's turn to the next in line. Should the
    /// commit fail, the connection is not reused while sqlx still counts it inside
    /// the transaction (see the pool's `after_release` in [`SqlStore::connect`]).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let health = Arc::clone(&self.health);
        let committed = self.tx.commit().await;
        if committed.is_ok() {
            health.accepted();
        }
        committed
    }

    /// Rolls back, then gives the writer's turn to the next in line.
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl SqlStore {
    /// Opens a pool for `url`: `sqlite://path/to/file.db?mode=rwc` (the parent
    /// directory is created when missing) or `postgres://user@host:port/database`.
    /// Does not migrate; call [`SqlStore::migrate`] next.
    pub async fn connect(url: &str) -> anyhow::Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let Some(backend) = Backend::from_url(url) else {
            bail!(
                "the database URL {} is neither sqlite:// nor postgres://; \
                 set it to for example sqlite://data/sealpost.db?mode=rwc",
                redact(url)
            );
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let options = match backend {
            Backend::Sqlite => {
                prepare_sqlite_file(url)?;
                // WAL lets readers run beside the one writer: enough connections that
                // page views do not queue for one while a write commits, and no more,
                // for each is a thread of its own that every statement wakes.
                // A file cannot hang up: no ping before handing a connection out.
                options
                    .max_connections(sqlite_connections())
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in SQLITE_PRAGMAS {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .after_release(|conn, _meta| {
                        Box::pin(async move {
                            // A dropped transaction's rollback, still queued, keeps
                            // the depth above zero until it runs: only then is a
                            // ping needed, after which the depth read is final.
                            if conn.is_in_transaction() {
                                conn.ping().await?;
                            }
                            Ok(reusable(conn))
                        })
                    })
            }
            Backend::Postgres => options.after_release(|conn, _meta| Box::pin(async move { Ok(reusable(conn)) })),
        };
        let context = || {
            format!(
                "while connecting to the {backend} database at {}; check that it is \
                 reachable and the URL's user, password and database are right",
                redact(url)
            )
        };
        // One plain connection first: a pool retries until its acquire timeout,
        // while a wrong URL should be reported at once.
        let probe = AnyConnection::connect(url).await.with_context(context)?;
        probe.close().await.with_context(context)?;
        let pool = options.connect(url).await.with_context(context)?;
        Ok(SqlStore {
            pool,
            backend,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            health: Arc::default(),
            views: Arc::default(),
        })
    }

    /// Brings the schema up to date with the migrations embedded for this backend.
    /// Safe to run at every start: applied migrations are skipped.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.backend
            .migrator()
            .run(&self.pool)
            .await
            .with_context(|| format!("while migrating the {} database", self.backend))
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool underneath, for work the [`Store`] port does not cover (maintenance
    /// commands, bulk fixtures in tests). Prefer adding a port method.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Waits for running statements and closes every connection, so a SQLite
    /// database is checkpointed and a PostgreSQL server sees a clean goodbye.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at
    /// once (waiting up to the busy timeout), so a read followed by a write inside it
    /// cannot fail on a lock upgrade.
    async fn begin_write(&self) -> StoreResult<WriteTx> {
        let health = Arc::clone(&self.health);
        match self.backend {
            Backend::Sqlite => {
                let turn = Arc::clone(&self.writer).lock_owned().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_error)?;
                Ok(WriteTx {
                    tx,
                    _turn: Some(turn),
                    health,
                })
            }
            Backend::Postgres => Ok(WriteTx {
                tx: self.pool.begin().await.map_err(db_error)?,
                _turn: None,
                health,
            }),
        }
    }

    /// The clause that locks the selected rows until commit. SQLite needs none: its
    /// write transactions already exclude each other.
    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// The clause for a sub-select that picks rows to claim (outbox rows, messages to
    /// shred): on PostgreSQL it locks them and passes over rows another transaction
    /// holds, so concurrent claims take disjoint rows without waiting. SQLite needs
    /// none: the claiming `BEGIN IMMEDIATE` transaction already excludes the others.
    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// Creates the directory of a SQLite database file and refuses in-memory databases:
/// behind a pool every connection would get its own empty one.
fn prepare_sqlite_file(url: &str) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(url).with_context(|| format!("while reading the SQLite URL {url}"))?;
    let file = options.get_filename();
    if url.contains(":memory:") || url.contains("mode=memory") || file.as_os_str().is_empty() {
        bail!(
            "the SQLite URL {url} names an in-memory database; behind a connection pool \
             every connection would see a different one. Use a file, for example \
             sqlite://data/sealpost.db?mode=rwc"
        );
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| {
            format!(
                "while creating the directory {} for the SQLite database; check the \
                 permissions of its parent",
                parent.display()
            )
        })?;
    }
    Ok(())
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            if credentials.contains(':') {
                format!("{scheme}://{user}:***@{host}{path}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

/// How many SQLite connections the pool keeps: two per core (one reading while
/// another waits on its thread), at least four, so the writer's turn never
/// leaves the readers without one.
fn sqlite_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores * 2).unwrap_or(u32::MAX).clamp(4, 32)
}

/// Whether a released connection may serve again: not while sqlx still counts it
/// inside a transaction. That happens when the database ended the transaction by
/// itself (SQLite rolls back on `SQLITE_FULL`, even at `COMMIT`), so that the
/// rollback sqlx queued failed ("no transaction is active") and its depth stayed
/// above zero: reused, the connection would refuse every `BEGIN` ("attempted to call
/// begin_with at non-zero transaction depth"). Closing it also rolls back whatever
/// SQLite might still hold.
fn reusable(conn: &AnyConnection) -> bool {
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("closing a database connection left inside a failed transaction");
    }
    clean
}

/// Maps a failure no caller can fix: "no row" is [`DomainError::NotFound`], a full
/// disk is [`DomainError::Unavailable`], everything else [`DomainError::Internal`]
/// (the detail goes to the log).
pub(crate) fn db_error(error: sqlx::Error) -> DomainError {
    match error {
        sqlx::Error::RowNotFound => DomainError::NotFound,
        other if is_storage_full(&other) => DomainError::unavailable(other),
        other => DomainError::internal(other),
    }
}

/// Whether `error` says the disk (or quota) is full: SQLite's `SQLITE_FULL` (result
/// code 13, whatever its extended code), PostgreSQL's `disk_full` (SQLSTATE 53100),
/// or an operating system's `ENOSPC`/`EDQUOT` anywhere in the chain of causes.
pub(crate) fn is_storage_full(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(sqlx::Error::Database(db)) = error.downcast_ref::<sqlx::Error>() {
            let code = db.code();
            let code = code.as_deref().unwrap_or_default();
            if code == "53100" || code.parse::<i64>().is_ok_and(|c| c & 0xff == 13) {
                return true;
            }
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && (io.kind() == std::io::ErrorKind::StorageFull
                || io.kind() == std::io::ErrorKind::QuotaExceeded
                || matches!(io.raw_os_error(), Some(28 | 122)))
        {
            return true;
        }
        current = error.source();
    }
    false
}

/// Maps the failure of a statement that inserts a row: a unique violation is a
/// [`DomainError::Conflict`] on `field` (the input that collided), a missing referenced
/// row (unknown user or group) is [`DomainError::NotFound`].
pub(crate) fn insert_error(field: &'static str) -> impl FnOnce(sqlx::Error) -> DomainError {
    move |error| match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => DomainError::Conflict { field },
        sqlx::Error::Database(e) if e.is_foreign_key_violation() => DomainError::NotFound,
        _ => db_error(error),
    }
}

/// Reads a boolean the way both backends return it: PostgreSQL sends `BOOLEAN`,
/// SQLite (whose `Any` mapping has no boolean) sends an integer 0 or 1.
pub(crate) fn get_bool(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// A query through the `Any` driver, as the per-area files pass them around.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Converts a page size for binding: `Any` has no unsigned integers.
pub(crate) fn limit(n: u32) -> i64 {
    i64::from(n)
}

#[async_trait]
impl Store for SqlStore {
    async fn insert_user(&self, user: NewUser, audit: Option<AuditEvent>) -> StoreResult<User> {
        self.health.watch(DATABASE, users::insert_user(self, user, audit).await)
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<User> {
        self.health.watch(DATABASE, users::user_by_id(self, id).await)
    }

    async fn user_by_email(&self, email: &EmailAddress) -> StoreResult<Option<User>> {
        self.health.watch(DATABASE, users::user_by_email(self, email).await)
    }

    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>> {
        self.health
            .watch(DATABASE, users::credentials_by_email(self, email).await)
    }

    async fn set_password(&self, id: UserId, hash: &str, must_change: bool, audit: AuditEvent) -> StoreResult<()> {
        self.health
            .watch(DATABASE, users::set_password(self, id, hash, must_change, audit).await)
    }

    async fn upgrade_password_hash(&self, id: UserId, replaced: &str, hash: &str) -> StoreResult<()> {
        self.health
            .watch(DATABASE, users::upgrade_password_hash(self, id, replaced, hash).await)
    }

    async fn record_login(&self, id: UserId, at: Timestamp) -> StoreResult<()> {
        self.health.watch(DATABASE, users::record_login(self, id, at).await)
    }

    async fn set_user_locale(&self, id: UserId, locale: Option<Locale>) -> StoreResult<()> {
        self.health
            .watch(DATABASE, users::set_user_locale(self, id, locale).await)
    }

    async fn set_operator(&self, id: UserId, operator: bool, audit: AuditEvent) -> StoreResult<()> {
        self.health
            .watch(DATABASE, users::set_operator(self, id, operator, audit).await)
    }

    async fn count_users(&self) -> StoreResult<i64> {
        self.health.watch(DATABASE, users::count_users(self).await)
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<UserPage> {
        self.health.watch(DATABASE, users::list_users(self, query).await)
    }

    async fn create_account(
        &self,
        number: AccountNumber,
        name: &AccountName,
        default_locale: Locale,
        admin: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<Account> {
        self.health.watch(
            DATABASE,
            accounts::create_account(self, number, name, default_locale, admin, audit).await,
        )
    }

    async fn account_by_number(&self, number: AccountNumber) -> StoreResult<Account> {
        self.health
            .watch(DATABASE, accounts::account_by_number(self, number).await)
    }

    async fn clear_sending_address(&self, account: AccountId, audit: AuditEvent) -> StoreResult<()> {
        self.health
            .watch(DATABASE, accounts::clear_sending_address(self, account, audit).await)
    }

    async fn request_sending_address(
        &self,
        account: AccountId,
        address: &EmailAddress,
        confirmation: &Confirmation,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.health.watch(
            DATABASE,
            accounts::request_sending_address(self, account, address, confirmation, audit).await,
        )
    }

    async fn sending_confirmation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(AccountId, EmailAddress)>> {
        self.health
            .watch(DATABASE, accounts::sending_confirmation(self, token_hash, now).await)
    }

    async fn confirm_sending_address(
        &self,
        account: AccountId,
        token_hash: &str,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        self.health.watch(
            DATABASE,
            accounts::confirm_sending_address(self, account, token_hash, now, audit).await,
        )
    }

    async fn set_delivery_mode(
        &self,
        account: AccountId,
        mode: Option<DeliveryMode>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.health
            .watch(DATABASE, accounts::set_delivery_mode(self, account, mode, audit).await)
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        self.health.watch(DATABASE, accounts::list_accounts(self).await)
    }

    async fn administered_accounts(&self, user: UserId) -> StoreResult<Vec<Account>> {
        self.health
            .watch(DATABASE, accounts::administered_accounts(self, user).await)
    }

    async fn member_accounts(&self, user: UserId) -> StoreResult<Vec<Account>> {
        self.health.watch(DATABASE, accounts::member_accounts(self, user).await)
    }

    async fn is_account_admin(&self, account: AccountId, user: UserId) -> StoreResult<bool> {
        self.health
            .watch(DATABASE, accounts::is_account_admin(self, account, user).await)
    }

    async fn list_groups(&self, account: AccountId) -> StoreResult<Vec<Group>> {
        self.health.watch(DATABASE, groups::list_groups(self, account).await)
    }

    async fn group(&self, account: AccountId, id: GroupId) -> StoreResult<Group> {
        self.health.watch(DATABASE, groups::group(self, account, id).await)
    }

    async fn admin_group(&self, account: AccountId) -> StoreResult<Group> {
        self.health.watch(DATABASE, groups::admin_group(self, account).await)
    }

    async fn create_group(
        &self,
        account: AccountId,
        name: &GroupName,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<Group> {
        self.health
            .watch(DATABASE, groups::create_group(self, account, name, at, audit).await)
    }

    async fn delete_group(&self, account: AccountId, id: GroupId, audit: AuditEvent) -> StoreResult<()> {
        self.health
            .watch(DATABASE, groups::delete_group(self, account, id, audit).await)
    }

    async fn list_members(&self, group: GroupId, after: Option<&str>, limit: u32) -> StoreResult<Vec<Member>> {
        self.health
            .watch(DATABASE, groups::list_members(self, group, after, limit).await)
    }

    async fn add_member(
        &self,
        group: GroupId,
        user: UserId,
        added_by: Option<UserId>,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.health.watch(
            DATABASE,
            groups::add_member(self, group, user, added_by, at, audit).await,
        )
    }

    async fn remove_member(&self, group: GroupId, user: UserId, audit: AuditEvent) -> StoreResult<()> {
        self.health
            .watch(DATABASE, groups::remove_member(self, group, user, audit).await)
    }

    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        self.health
            .watch(DATABASE, sessions::insert_session(self, session).await)
    }

    async fn insert_login_session(&self, session: &Session, password_hash: &str) -> StoreResult<()> {
        self.health.watch(
            DATABASE,
            sessions::insert_login_session(self, session, password_hash).await,
        )
    }

    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        self.health.watch(DATABASE, sessions::session(self, id_hash, now).await)
    }

    async fn touch_session(&self, id_hash: &str, now: Timestamp, expires_at: Timestamp) -> StoreResult<()> {
        self.health
            .watch(DATABASE, sessions::touch_session(self, id_hash, now, expires_at).await)
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.health
            .watch(DATABASE, sessions::delete_session(self, id_hash).await)
    }

    async fn purge_stale(
        &self,
        now: Timestamp,
        oldest_allowed: Timestamp,
        throttle_before: Timestamp,
    ) -> StoreResult<u64> {
        self.health.watch(
            DATABASE,
            sessions::purge_stale(self, now, oldest_allowed, throttle_before).await,
        )
    }

    async fn throttle_state(&self, key: &str) -> StoreResult<Option<(i64, Timestamp)>> {
        self.health.watch(DATABASE, sessions::throttle_state(self, key).await)
    }

    async fn throttle_failure(&self, key: &str, at: Timestamp) -> StoreResult<()> {
        self.health
            .watch(DATABASE, sessions::throttle_failure(self, key, at).await)
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        self.health.watch(DATABASE, sessions::throttle_clear(self, key).await)
    }

    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()> {
        self.health.watch(DATABASE, audit::record_audit(self, event).await)
    }

    async fn list_audit(&self, account: Option<AccountId>, limit: u32) -> StoreResult<Vec<AuditEvent>> {
        self.health
            .watch(DATABASE, audit::list_audit(self, account, limit).await)
    }

    async fn probe_write(&self, at: Timestamp) -> StoreResult<()> {
        let probe = async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO storage_probe (id, written_at) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at",
            )
            .bind(at.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)
        };
        self.health.watch(DATABASE, probe.await)?;
        match self.health.unwritable() {
            Some(reason) => Err(DomainError::unavailable(StillFull(reason))),
            None => Ok(()),
        }
    }

    // perf: the session and its user in one query.
    async fn session_with_user(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<(Session, User)>> {
        self.health
            .watch(DATABASE, sessions::session_with_user(self, id_hash, now).await)
    }
}

#[async_trait]
impl MessageStore for SqlStore {
    async fn account_key(&self, account: AccountId, version: Option<i64>) -> StoreResult<Option<AccountKey>> {
        self.health
            .watch(DATABASE, messages::account_key(self, account, version).await)
    }

    async fn insert_account_key(&self, key: &AccountKey) -> StoreResult<()> {
        self.health
            .watch(DATABASE, messages::insert_account_key(self, key).await)
    }

    async fn begin_upload(&self, public_id: &PublicId, at: Timestamp) -> StoreResult<()> {
        self.health
            .watch(DATABASE, messages::begin_upload(self, public_id, at).await)
    }

    async fn end_upload(&self, public_id: &PublicId) -> StoreResult<()> {
        self.health.watch(DATABASE, messages::end_upload(self, public_id).await)
    }

    async fn stale_uploads(&self, before: Timestamp) -> StoreResult<Vec<PublicId>> {
        self.health.watch(DATABASE, messages::stale_uploads(self, before).await)
    }

    async fn insert_message(
        &self,
        message: NewMessage,
        outbox: Vec<NewOutboxItem>,
        audit: AuditEvent,
    ) -> StoreResult<Message> {
        self.health
            .watch(DATABASE, messages::insert_message(self, message, outbox, audit).await)
    }

    async fn message(&self, public_id: &PublicId) -> StoreResult<Message> {
        self.health.watch(DATABASE, messages::message(self, public_id).await)
    }

    async fn account(&self, id: AccountId) -> StoreResult<Account> {
        self.health.watch(DATABASE, accounts::account_by_id(self, id).await)
    }

    async fn message_by_id(&self, id: MessageId) -> StoreResult<Message> {
        self.health.watch(DATABASE, messages::message_by_id(self, id).await)
    }

    async fn recipients(&self, message: MessageId) -> StoreResult<Vec<Recipient>> {
        self.health.watch(DATABASE, messages::recipients(self, message).await)
    }

    async fn sent_messages(&self, sender: UserId, before: Option<MessageId>, limit: u32) -> StoreResult<Vec<Message>> {
        self.health
            .watch(DATABASE, messages::sent_messages(self, sender, before, limit).await)
    }

    async fn received_messages(
        &self,
        email: &EmailAddress,
        before: Option<MessageId>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.health
            .watch(DATABASE, messages::received_messages(self, email, before, limit).await)
    }

    async fn account_messages(
        &self,
        account: AccountId,
        before: Option<MessageId>,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.health
            .watch(DATABASE, messages::account_messages(self, account, before, limit).await)
    }

    async fn mark_opened(
        &self,
        message: MessageId,
        email: &EmailAddress,
        at: Timestamp,
        receipt: Option<NewOutboxItem>,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        self.health.watch(
            DATABASE,
            messages::mark_opened(self, message, email, at, receipt, audit).await,
        )
    }

    async fn set_lock(
        &self,
        message: MessageId,
        lock: Option<(Timestamp, String)>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.health
            .watch(DATABASE, messages::set_lock(self, message, lock, audit).await)
    }

    async fn set_expiry(
        &self,
        message: MessageId,
        expires_at: Option<Timestamp>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.health
            .watch(DATABASE, messages::set_expiry(self, message, expires_at, audit).await)
    }

    async fn stale_data_keys(&self, account: AccountId, current: i64, limit: u32) -> StoreResult<Vec<WrappedDataKey>> {
        self.health
            .watch(DATABASE, messages::stale_data_keys(self, account, current, limit).await)
    }

    async fn rewrap_data_key(&self, message: MessageId, from: i64, to: i64, wrapped: &[u8]) -> StoreResult<bool> {
        self.health.watch(
            DATABASE,
            messages::rewrap_data_key(self, message, from, to, wrapped).await,
        )
    }

    async fn shred_expired(&self, cutoff: Timestamp, limit: u32) -> StoreResult<Vec<PublicId>> {
        self.health
            .watch(DATABASE, messages::shred_expired(self, cutoff, limit).await)
    }

    async fn release_outbox_leases(&self, now: Timestamp) -> StoreResult<u64> {
        self.health.watch(DATABASE, outbox::release_leases(self, now).await)
    }

    async fn enqueue(&self, items: Vec<NewOutboxItem>) -> StoreResult<()> {
        self.health.watch(DATABASE, outbox::enqueue(self, items).await)
    }

    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        self.health
            .watch(DATABASE, outbox::claim_outbox(self, now, lease_until, limit).await)
    }

    /// A delivered mail whose record is lost goes out again when its lease runs out
    /// (or at the next start): on a full disk the record waits for space, for at
    /// most [`DELIVERY_RECORD_PATIENCE`], well inside the worker's lease.
    async fn outbox_sent(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            match outbox::outbox_sent(self, id, at).await {
                Err(DomainError::Unavailable(reason)) if started.elapsed() < DELIVERY_RECORD_PATIENCE => {
                    self.health.refused(DATABASE, reason.as_ref());
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                recorded => return self.health.watch(DATABASE, recorded),
            }
        }
    }

    async fn outbox_retry(&self, id: i64, next_attempt_at: Timestamp, error: &str) -> StoreResult<()> {
        self.health
            .watch(DATABASE, outbox::outbox_retry(self, id, next_attempt_at, error).await)
    }

    async fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        reason: &str,
        bounce: Option<NewOutboxItem>,
    ) -> StoreResult<()> {
        self.health
            .watch(DATABASE, outbox::outbox_failed(self, id, error, reason, bounce).await)
    }

    async fn outbox_pending(&self) -> StoreResult<i64> {
        self.health.watch(DATABASE, outbox::outbox_pending(self).await)
    }

    async fn outbox_bring_forward(&self, now: Timestamp) -> StoreResult<u64> {
        self.health
            .watch(DATABASE, outbox::outbox_bring_forward(self, now).await)
    }

    async fn begin_registration(
        &self,
        email: &EmailAddress,
        attempt: &RegistrationAttempt,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<User> {
        self.health.watch(
            DATABASE,
            tokens::begin_registration(self, email, attempt, at, audit).await,
        )
    }

    async fn registration_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<UserId>> {
        self.health
            .watch(DATABASE, tokens::registration_user(self, token_hash, now).await)
    }

    async fn complete_registration(
        &self,
        token_hash: &str,
        user: UserId,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        self.health.watch(
            DATABASE,
            tokens::complete_registration(self, token_hash, user, now, audit).await,
        )
    }

    async fn insert_token(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        session: Option<&str>,
        link: &Confirmation,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.health.watch(
            DATABASE,
            tokens::insert_token(self, user, purpose, session, link, audit).await,
        )
    }

    async fn consume_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        session: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Option<UserId>> {
        self.health
            .watch(DATABASE, tokens::consume_token(self, hash, purpose, session, now).await)
    }

    async fn token_user(&self, hash: &str, purpose: TokenPurpose, now: Timestamp) -> StoreResult<Option<UserId>> {
        self.health
            .watch(DATABASE, tokens::token_user(self, hash, purpose, now).await)
    }
}
