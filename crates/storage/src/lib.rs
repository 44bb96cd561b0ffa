//! Sealpost's persistence: the domain's SQL ports ([`Store`] and the per-aggregate
//! traits it is made of) on SQLite and PostgreSQL, and the
//! [`BlobStore`](sealpost_domain::ports::BlobStore) of sealed payload parts
//! ([`ObjectBlobStore`]).
//!
//! There is one SQL implementation, [`SqlStore`]: every statement is portable SQL
//! (`$1, $2…` placeholders, which SQLite reads as numbered parameters too) run
//! through sqlx's `Any` driver. Where the two dialects genuinely differ, the
//! difference is one small fragment chosen by [`Backend`] (for example the row lock
//! PostgreSQL needs and SQLite does not), never a second implementation. One
//! exception, for speed, not dialect: on SQLite the two reads of every page view
//! (the visitor's session, the message to open) run through rusqlite on the
//! calling thread ([`readers`]), decoded by the same functions.
//!
//! Layout:
//! - this file: connecting ([`SqlStore::connect`]), migrating, transactions and the
//!   mapping of sqlx errors to [`DomainError`];
//! - one file per port, holding `impl <Port> for SqlStore` next to its SQL:
//!   [`users`] (`UserStore`), [`accounts`] (`AccountStore`), [`settings`]
//!   (`SettingsStore`: per-account settings, a row each), [`groups`]
//!   (`GroupStore`), [`sessions`] (`SessionStore`, with login throttling), [`audit`]
//!   (`AuditStore`), [`reports`] (`ReportStore`: monthly counts), [`health`] (`HealthStore`, and the `WriteHealth` every method
//!   reports to), [`keys`] (`KeyStore`: account keys, rotation, shredding),
//!   [`uploads`] (`UploadStore`), [`kept_drafts`] (`KeptDraftStore`: refused drafts
//!   any node takes back, once), [`messages`] (`MessageStore`: messages,
//!   recipients, opening, locking, expiry), [`message_search`] (`MessageSearchStore`), [`outbox`] (`OutboxStore`: the mail
//!   queue and its leases) and [`tokens`] (`TokenStore`: registration, one-time
//!   tokens);
//! - [`readers`]: on SQLite, a page view's reads answered on the calling thread;
//! - [`blobs`]: [`ObjectBlobStore`], sealed parts in a directory or an S3 bucket;
//! - [`copy`]: `sealpost copy database`, every table copied between SQLite and
//!   PostgreSQL and verified;
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

mod account_admin;
mod account_tokens;
mod accounts;
mod audit;
pub mod blobs;
mod branding;
mod columns;
pub mod copy;
mod devices;
mod group_commit;
mod groups;
mod health;
mod kept_drafts;
mod keys;
mod message_search;
mod messages;
mod outbox;
mod params;
mod passkeys;
mod profiles;
mod readers;
mod reports;
mod secrets;
mod security;
mod sends;
mod sessions;
mod settings;
mod statements;
mod tokens;
mod two_step;
mod uploads;
mod user_admin;
mod users;
mod views;

pub use blobs::ObjectBlobStore;
pub use health::WRITABLE_AFTER;
pub(crate) use health::WriteHealth;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sealpost_domain::error::DomainError;
use sealpost_domain::model::AuditEvent;
#[cfg(doc)]
use sealpost_domain::ports::Store;
use sealpost_domain::ports::StoreResult;
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
/// giving up (the mail is then sent again after its lease): well inside the outbox
/// worker's default five-minute lease, so no other worker claims the row meanwhile
/// (with a lease configured near its one-minute minimum, a delivery that used all
/// its time and then waited this long may outlive its lease: the mail may then leave
/// twice, with the same `Message-ID`).
pub const DELIVERY_RECORD_PATIENCE: Duration = Duration::from_secs(60);

/// The database, as named in the log lines of [`WriteHealth`].
pub(crate) const DATABASE: &str = "database";

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

    /// The database `conn` talks to.
    pub(crate) fn of(conn: &AnyConnection) -> Self {
        if conn.backend_name() == "SQLite" {
            Self::Sqlite
        } else {
            Self::Postgres
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
    /// New messages waiting to be stored together (group commit, [`sends`]).
    sends: Arc<sends::SendQueue>,
    /// Delivered emails waiting to be recorded together (group commit, [`outbox`]).
    sent: Arc<outbox::SentQueue>,
    /// Outbox lanes' claims waiting to be made together (group commit, [`outbox`]).
    claims: Arc<outbox::ClaimQueue>,
    /// Whether the last outbox claim found mail: then the next claims skip the read
    /// that spares an empty claim the write lock.
    outbox_busy: Arc<std::sync::atomic::AtomicBool>,
    /// On SQLite, the connections that answer a page view's reads on the thread
    /// that asks ([`readers`]); `None` on PostgreSQL.
    readers: Option<Arc<readers::Readers>>,
}

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

    /// Records `event` in the audit log, then commits: a change and its record
    /// land together or not at all.
    pub(crate) async fn commit_audited(mut self, event: &AuditEvent) -> StoreResult<()> {
        audit::insert_event(&mut self, event).await?;
        self.commit().await.map_err(db_error)
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
        let mut readers = None;
        let options = match backend {
            Backend::Sqlite => {
                readers = Some(Arc::new(readers::Readers::new(prepare_sqlite_file(url)?)));
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
        let context = || match backend {
            Backend::Sqlite => format!(
                "while opening the SQLite database {}; check that its folder exists and this \
                 user may write there, and that the URL ends with ?mode=rwc if the file is to be created",
                redact(url)
            ),
            Backend::Postgres => format!(
                "while connecting to the {backend} database at {}; check that it is \
                 reachable and the URL's user, password and database are right",
                redact(url)
            ),
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
            views: Arc::new(views::queue()),
            sends: Arc::new(sends::queue()),
            sent: Arc::new(outbox::sent_queue()),
            claims: Arc::new(outbox::claim_queue()),
            outbox_busy: Arc::default(),
            readers,
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

    /// Runs the work of one port method, noting in [`WriteHealth`] a write the
    /// database refused for want of space. Every port method goes through here.
    async fn watched<T>(&self, work: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.health.watch(DATABASE, work.await)
    }
}

/// Creates the directory of a SQLite database file and refuses in-memory databases:
/// behind a pool every connection would get its own empty one. Answers the file.
fn prepare_sqlite_file(url: &str) -> anyhow::Result<std::path::PathBuf> {
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
    Ok(file.to_path_buf())
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

/// How many SQLite connections the pool keeps: four per core, at least eight, so
/// that the writer's turn (and a batch it is writing) never leaves the readers
/// waiting for a connection. Measured on two cores with the gateway benchmark
/// (its ratio to Postfix in the same run): 2 starve the readers (0.63×), 4 0.75×,
/// 8 0.93× and 1.02×, 16 0.89× with the gateway's own rate down again (every
/// connection is a thread that statements wake); the page view's p99 went from
/// 19.8 ms (4) to 15.6 ms (8).
fn sqlite_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores * 4).unwrap_or(u32::MAX).clamp(8, 32)
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

/// `$first, …` for `rows` rows of `width` parameters each: `($1, $2), ($3, $4)`
/// for width 2, `$1, $2` for width 1.
pub(crate) fn placeholders(first: usize, width: usize, rows: usize) -> String {
    (0..rows)
        .map(|row| {
            let params = (0..width)
                .map(|col| format!("${}", first + row * width + col))
                .collect::<Vec<_>>()
                .join(", ");
            if width == 1 { params } else { format!("({params})") }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a boolean the way both backends return it: PostgreSQL sends `BOOLEAN`,
/// SQLite (whose `Any` mapping has no boolean) sends an integer 0 or 1.
pub(crate) fn get_bool(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// `NotFound` when a statement touched no row (an unknown or already removed id).
pub(crate) fn touched(done: &sqlx::any::AnyQueryResult) -> StoreResult<()> {
    if done.rows_affected() == 0 {
        Err(DomainError::NotFound)
    } else {
        Ok(())
    }
}

/// A query through the `Any` driver, as the per-area files pass them around.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Converts a page size for binding: `Any` has no unsigned integers.
pub(crate) fn limit(n: u32) -> i64 {
    i64::from(n)
}
