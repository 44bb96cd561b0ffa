//! `sealpost copy database`: an installation's database copied between SQLite and
//! PostgreSQL, either way, so that a small installation can grow into a server
//! (and a small one come back to a file).
//!
//! The copy is generic: it lists the tables from the databases' catalogues (see
//! [`schema`]), orders them so that a table comes after the tables its foreign keys
//! name, and copies columns by name. A table added by a later migration is copied
//! without any change here; only a column type the copy does not know yet stops it
//! with a message naming the column (add the type to [`schema::Kind`]).
//!
//! Steps, each refusing with a message that says how to go on:
//! 1. the source must be at exactly the migrations this binary carries;
//! 2. the target must hold no rows, unless `--resume` continues a copy this
//!    command started there (the [`MARKER`] table, created before the first row
//!    and dropped after the last check, names its source);
//! 3. the target is migrated; each table is copied in batches in key order (one
//!    `INSERT` a batch, so a batch is there whole or not at all, and an interrupted
//!    copy resumes after the rows the target already holds);
//! 4. PostgreSQL's identity sequences are set past the copied ids; on SQLite the
//!    foreign keys are checked (they are not enforced while copying);
//! 5. every table's row count and checksum ([`rows`]) are computed on both sides
//!    and must be equal. Only then is the marker dropped.

mod rows;
mod schema;

use std::str::FromStr as _;

use anyhow::{Context as _, bail};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

use self::rows::{Side, Value};
use self::schema::{Table, quoted};
use crate::{Backend, redact};

/// The table that marks an unfinished copy in its target; holds the source's
/// (password-free) URL.
pub const MARKER: &str = "sealpost_copy_in_progress";

/// How the copy runs.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Continue a copy into a target that already holds the rows of an earlier,
    /// interrupted run of this command from the same source.
    pub resume: bool,
    /// Rows read and written at once (fewer when a table has many columns).
    pub batch_rows: usize,
    /// Stop with an error after this many batches: how the tests interrupt a copy.
    pub stop_after_batches: Option<u64>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            resume: false,
            batch_rows: 500,
            stop_after_batches: None,
        }
    }
}

/// One table as verified on both sides.
#[derive(Debug, Clone)]
pub struct TableCopied {
    pub table: String,
    pub rows: u64,
    /// The checksum both sides agree on, in hex.
    pub checksum: String,
}

/// Opens one side: an existing SQLite file (`must_exist`) or one created on demand.
async fn open(url: &str, must_exist: bool) -> anyhow::Result<Side> {
    let context = || format!("while connecting to {}", redact(url));
    match Backend::from_url(url) {
        Some(Backend::Sqlite) => {
            crate::prepare_sqlite_file(url)?;
            let options = SqliteConnectOptions::from_str(url)
                .with_context(context)?
                .create_if_missing(!must_exist)
                .foreign_keys(false)
                .busy_timeout(std::time::Duration::from_secs(5));
            if must_exist && !options.get_filename().exists() {
                bail!(
                    "the SQLite database {} does not exist",
                    options.get_filename().display()
                );
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .with_context(context)?;
            Ok(Side::Sqlite(pool))
        }
        Some(Backend::Postgres) => Ok(Side::Postgres(
            PgPoolOptions::new()
                .max_connections(2)
                .connect(url)
                .await
                .with_context(context)?,
        )),
        None => bail!("{} is neither a sqlite:// nor a postgres:// URL", redact(url)),
    }
}

/// The migration versions applied to a database (none when it was never migrated).
async fn applied(side: &Side) -> anyhow::Result<Vec<i64>> {
    let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
    let versions = match side {
        Side::Sqlite(pool) => {
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = '_sqlx_migrations'")
                .fetch_one(pool)
                .await?;
            if exists == 0 {
                return Ok(Vec::new());
            }
            sqlx::query_scalar(sql).fetch_all(pool).await?
        }
        Side::Postgres(pool) => {
            let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(pool)
                .await?;
            if exists.is_none() {
                return Ok(Vec::new());
            }
            sqlx::query_scalar(sql).fetch_all(pool).await?
        }
    };
    Ok(versions)
}

/// Row counts of the tables that hold rows, for the refusal to write into a
/// database that is in use.
async fn rows_present(side: &Side) -> anyhow::Result<Vec<(String, i64)>> {
    let names = match side {
        Side::Sqlite(pool) => schema::sqlite_tables(pool).await?,
        Side::Postgres(pool) => schema::postgres_tables(pool).await?,
    };
    let mut present = Vec::new();
    for name in names {
        let sql = format!("SELECT COUNT(*) FROM {}", quoted(&name));
        let count: i64 = match side {
            Side::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await?,
            Side::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await?,
        };
        if count > 0 {
            present.push((name, count));
        }
    }
    Ok(present)
}

/// The source named in the target's marker, when there is one.
async fn marker(side: &Side) -> anyhow::Result<Option<String>> {
    let sql = format!("SELECT source FROM {MARKER}");
    Ok(match side {
        Side::Sqlite(pool) => {
            let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = $1")
                .bind(MARKER)
                .fetch_one(pool)
                .await?;
            if exists == 0 {
                return Ok(None);
            }
            sqlx::query_scalar(&sql).fetch_optional(pool).await?
        }
        Side::Postgres(pool) => {
            let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
                .bind(MARKER)
                .fetch_one(pool)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            sqlx::query_scalar(&sql).fetch_optional(pool).await?
        }
    })
}

async fn migrate(side: &Side, backend: Backend) -> anyhow::Result<()> {
    match side {
        Side::Sqlite(pool) => backend.migrator().run(pool).await,
        Side::Postgres(pool) => backend.migrator().run(pool).await,
    }
    .with_context(|| format!("while migrating the target {backend} database"))
}

/// Copies the database at `from` into the one at `to` (one SQLite, the other
/// PostgreSQL), then verifies every table. `say` hears one line per step.
pub async fn copy_database(
    from: &str,
    to: &str,
    options: &CopyOptions,
    say: &mut dyn FnMut(String),
) -> anyhow::Result<Vec<TableCopied>> {
    let (Some(from_backend), Some(to_backend)) = (Backend::from_url(from), Backend::from_url(to)) else {
        bail!("--from and --to take sqlite:// or postgres:// URLs");
    };
    if from_backend == to_backend {
        bail!(
            "both databases are {from_backend}; this command copies between SQLite and PostgreSQL. \
             Copy a database of the same kind with its own backup tool"
        );
    }
    let source = open(from, true).await?;
    let expected: Vec<i64> = from_backend.migrator().iter().map(|m| m.version).collect();
    let found = applied(&source).await?;
    if found != expected {
        bail!(
            "the source database {} is at migration {} but this sealpost carries {}: run this version's \
             `sealpost migrate` on the source first (or use the sealpost that last migrated it); nothing was copied",
            redact(from),
            found.last().map_or_else(|| "none".to_owned(), i64::to_string),
            expected.last().map_or_else(|| "none".to_owned(), i64::to_string)
        );
    }
    let target = open(to, false).await?;
    let source_name = redact(from);
    let present = rows_present(&target).await?;
    match (marker(&target).await?, options.resume) {
        (Some(started_from), true) if started_from == source_name => {
            say(format!("Resuming the copy from {source_name}."));
        }
        (Some(started_from), true) => bail!(
            "the unfinished copy in {} came from {started_from}, not from {source_name}; nothing was written",
            redact(to)
        ),
        (Some(_), false) => bail!(
            "{} holds an unfinished copy; add --resume to finish it, or copy into a new, empty database; \
             nothing was written",
            redact(to)
        ),
        (None, resume) if !present.is_empty() => {
            let tables: Vec<String> = present.iter().take(5).map(|(t, n)| format!("{t}: {n} rows")).collect();
            bail!(
                "the target database {} is not empty ({}{}); copying into it would mix two installations. \
                 Nothing was written. Copy into a new, empty database{}",
                redact(to),
                tables.join(", "),
                if present.len() > 5 { ", …" } else { "" },
                if resume {
                    " (--resume only continues a copy this command started there)"
                } else {
                    ""
                }
            );
        }
        (None, _) => {}
    }
    migrate(&target, to_backend).await?;
    target
        .execute(&format!(
            "CREATE TABLE IF NOT EXISTS {MARKER} (source TEXT NOT NULL, started_at TEXT NOT NULL)"
        ))
        .await?;
    if marker(&target).await?.is_none() {
        let insert = format!("INSERT INTO {MARKER} (source, started_at) VALUES ($1, CURRENT_TIMESTAMP)");
        match &target {
            Side::Sqlite(pool) => sqlx::query(&insert).bind(&source_name).execute(pool).await.map(|_| ()),
            Side::Postgres(pool) => sqlx::query(&insert).bind(&source_name).execute(pool).await.map(|_| ()),
        }
        .context("while marking the target as a copy in progress")?;
    }
    let tables = match (&source, &target) {
        (Side::Sqlite(lite), Side::Postgres(pg)) | (Side::Postgres(pg), Side::Sqlite(lite)) => {
            schema::tables(lite, pg).await?
        }
        _ => bail!("one side must be SQLite and the other PostgreSQL"),
    };
    let mut batches = 0u64;
    for table in &tables {
        copy_table(&source, &target, table, options, &mut batches, say).await?;
    }
    finish(&target, &tables).await?;
    say("Verifying row counts and checksums…".to_owned());
    let mut verified = Vec::new();
    for table in &tables {
        let (a, b) = (source.fingerprint(table).await?, target.fingerprint(table).await?);
        if a != b {
            bail!(
                "table {} differs after the copy: the source has {} rows (checksum {}), the target {} ({}). \
                 Was the source changed while copying? Stop every sealpost using it and run the copy again \
                 with --resume into a new database",
                table.name,
                a.rows,
                a.hex(),
                b.rows,
                b.hex()
            );
        }
        verified.push(TableCopied {
            table: table.name.clone(),
            rows: a.rows,
            checksum: a.hex(),
        });
    }
    target.execute(&format!("DROP TABLE {MARKER}")).await?;
    close(source).await;
    close(target).await;
    Ok(verified)
}

async fn close(side: Side) {
    match side {
        Side::Sqlite(pool) => pool.close().await,
        Side::Postgres(pool) => pool.close().await,
    }
}

/// Copies what the target lacks of one table.
async fn copy_table(
    source: &Side,
    target: &Side,
    table: &Table,
    options: &CopyOptions,
    batches: &mut u64,
    say: &mut dyn FnMut(String),
) -> anyhow::Result<()> {
    let total = source.count(table).await?;
    let already = target.count(table).await?;
    if already > total {
        bail!(
            "the target's {} has more rows ({already}) than the source's ({total}); was the target used meanwhile?",
            table.name
        );
    }
    if already == total {
        say(format!(
            "{}: {total} rows{}",
            table.name,
            if total > 0 { ", already there" } else { "" }
        ));
        return Ok(());
    }
    // SQLite takes at most 32766 parameters a statement, PostgreSQL 65535.
    let limit = options.batch_rows.clamp(1, 30_000 / table.columns.len().max(1));
    let mut after: Option<Vec<Value>> = None;
    let mut skip = already;
    let mut copied = already;
    loop {
        let rows = source.batch(table, after.as_deref(), skip, limit).await?;
        let count = rows.len();
        if count == 0 {
            break;
        }
        if table.key.is_empty() {
            skip += count as u64;
        } else {
            skip = 0;
            after = rows
                .last()
                .map(|row| table.key.iter().map(|&at| row[at].clone()).collect());
        }
        target.insert(table, rows).await?;
        copied += count as u64;
        *batches += 1;
        if options.stop_after_batches == Some(*batches) {
            bail!(
                "stopped after {batches} batches as asked (in {}, {copied} of {total} rows); run again with --resume",
                table.name
            );
        }
        if count < limit {
            break;
        }
    }
    say(format!("{}: {copied} rows copied", table.name));
    Ok(())
}

/// Sets PostgreSQL's identity sequences past the copied ids, so the next row
/// inserted gets a new one; on SQLite checks the foreign keys, which the copy
/// did not enforce.
async fn finish(target: &Side, tables: &[Table]) -> anyhow::Result<()> {
    match target {
        Side::Postgres(pool) => set_sequences(pool, tables).await,
        Side::Sqlite(pool) => check_foreign_keys(pool).await,
    }
}

async fn set_sequences(pool: &PgPool, tables: &[Table]) -> anyhow::Result<()> {
    for table in tables {
        for column in &table.identities {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({col}), 0) + 1, false) FROM {table}",
                col = quoted(column),
                table = quoted(&table.name)
            );
            sqlx::query(&sql)
                .bind(quoted(&table.name))
                .bind(column)
                .execute(pool)
                .await
                .with_context(|| format!("while setting the sequence of {}.{column}", table.name))?;
        }
    }
    Ok(())
}

async fn check_foreign_keys(pool: &SqlitePool) -> anyhow::Result<()> {
    let broken: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .fetch_all(pool)
            .await
            .context("while checking the copied foreign keys")?;
    if let Some((table, rowid, parent)) = broken.first() {
        bail!(
            "{} row(s) refer to rows that are missing, the first in {table} (rowid {rowid:?}) to {parent}",
            broken.len()
        );
    }
    Ok(())
}
