//! The reads every page view makes, answered on SQLite on the thread that asks.
//!
//! sqlx runs each SQLite connection on a thread of its own: a statement is a
//! message to that thread, and its rows and its end are messages back, each
//! waking a thread. For the reads of an opened message (the visitor's session,
//! then the message) that traffic cost more than SQLite's own work, which from its
//! page cache is a few microseconds: under load the server spent more time waking
//! threads than reading (`perf` on `cargo bench -p sealpost-cli --bench messages`).
//! Those reads run here instead, through rusqlite (the same SQLite library sqlx
//! links) on connections of their own, kept idle between reads; every other
//! statement, and every write, stays with sqlx.
//!
//! The SQL is the text sqlx runs (the message's recipients aside: read as rows
//! here, folded into one column there). Its `$1, $2…` are bound by name here:
//! SQLite numbers such parameters in the order they first appear, which is not
//! always their number's.
//!
//! Running on the caller's thread is fine for these reads only: in WAL mode a
//! reader never waits for the writer, and each is one indexed lookup. SQLite can
//! still say "busy" in rare moments (a WAL file being recovered after a crash):
//! then [`Readers::read`] answers `None` after a short wait, and the caller asks
//! sqlx, which waits without holding a thread.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use sealpost_domain::error::DomainError;
use sealpost_domain::ports::StoreResult;

/// Connections kept open between reads: one per thread that reads at once (the
/// runtime's workers); more are opened when needed and closed after.
const IDLE_KEPT: usize = 8;

/// How long a read waits for a lock before handing the read to sqlx.
const BUSY_WAIT: Duration = Duration::from_millis(20);

/// Prepared statements kept per connection: the few reads made here, with room.
const STATEMENTS_KEPT: usize = 16;

/// SQLite connections for reads on the caller's thread.
#[derive(Debug)]
pub(crate) struct Readers {
    file: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Readers of the database `file` (opened at the first read, after migrations).
    pub(crate) fn new(file: PathBuf) -> Self {
        Readers {
            file,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection (opening one when none is), here and now.
    /// `None` when SQLite stayed busy past [`BUSY_WAIT`]: ask sqlx instead.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T, Failure>) -> Option<StoreResult<T>> {
        let taken = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = match taken {
            Some(connection) => connection,
            None => match self.open() {
                Ok(connection) => connection,
                Err(error) => return answer(Err(error.into())),
            },
        };
        let answered = read(&connection);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_KEPT {
            idle.push(connection);
        }
        drop(idle);
        answer(answered)
    }

    /// A connection that may only read (`query_only`), waiting [`BUSY_WAIT`] for locks.
    /// Pages are read, not memory-mapped (`mmap_size` stays 0): with a map, a disk
    /// that fails a read kills the process (`SIGBUS`) instead of failing the read,
    /// and the map measured no clear gain (`cargo bench -p sealpost-cli --bench messages`).
    fn open(&self) -> rusqlite::Result<Connection> {
        // Read-write, not read-only: a reader of a WAL database writes its shared
        // memory index; `query_only` is what keeps it from changing the data.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.file, flags)?;
        connection.busy_timeout(BUSY_WAIT)?;
        connection.pragma_update(None, "query_only", true)?;
        connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        Ok(connection)
    }
}

/// The first row `sql` answers for `params`, read by `read`; `None` when there is
/// none. The statement is prepared once per connection and kept.
pub(crate) fn first_row<T>(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnOnce(&Named<'_>) -> Result<T, sqlx::Error>,
) -> Result<Option<T>, Failure> {
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let names = row.as_ref().column_names();
    Ok(Some(read(&Named { row, names: &names })?))
}

/// Every row `sql` answers for `params`, each read by `read`, in order. The
/// statement is prepared once per connection and kept.
pub(crate) fn all_rows<T>(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    mut read: impl FnMut(&Named<'_>) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, Failure> {
    let mut statement = connection.prepare_cached(sql)?;
    let names: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut rows = statement.query(params)?;
    let mut all = Vec::new();
    while let Some(row) = rows.next()? {
        all.push(read(&Named { row, names: &names })?);
    }
    Ok(all)
}

/// A row with its statement's column names, read once per query: rusqlite finds
/// a column by name by asking SQLite for each column's name, at every lookup,
/// which for a row of fifty columns read by name was most of the read's cost.
pub(crate) struct Named<'r> {
    pub(crate) row: &'r rusqlite::Row<'r>,
    names: &'r [&'r str],
}

impl Named<'_> {
    /// The index of the column `name`.
    pub(crate) fn index(&self, name: &str) -> Result<usize, rusqlite::Error> {
        self.names
            .iter()
            .position(|column| *column == name)
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(name.to_owned()))
    }
}

/// Why a read made here failed: SQLite's error, or a row that did not decode
/// (from a decoder shared with sqlx's path, hence sqlx's error).
#[derive(Debug)]
pub(crate) enum Failure {
    Sqlite(rusqlite::Error),
    Decode(sqlx::Error),
}

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Self {
        Failure::Sqlite(error)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Decode(error)
    }
}

/// A read's result for [`Readers::read`]: `None` for "busy", else the answer with
/// the store's error (what sqlx's path would have said: no row is `NotFound`).
fn answer<T>(answered: Result<T, Failure>) -> Option<StoreResult<T>> {
    match answered {
        Ok(value) => Some(Ok(value)),
        Err(Failure::Sqlite(error))
            if matches!(
                error.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ) =>
        {
            tracing::debug!(%error, "a read found SQLite busy; sqlx answers it");
            None
        }
        Err(Failure::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Some(Err(DomainError::NotFound)),
        Err(Failure::Sqlite(error)) => Some(Err(DomainError::internal(error))),
        Err(Failure::Decode(error)) => Some(Err(crate::db_error(error))),
    }
}

#[cfg(test)]
#[expect(
    clippy::expect_used,
    reason = "a test fails by panicking, with the expectation that was not met"
)]
mod tests {
    use super::*;

    /// A database of one table with one row, in SQLite's rollback-journal mode,
    /// where a writer's exclusive lock keeps readers out (in WAL mode, which the
    /// store uses, only a crash recovery does).
    fn database() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("readers.db");
        let setup = Connection::open(&file).expect("created");
        setup
            .execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept');")
            .expect("filled");
        (dir, file)
    }

    fn value(connection: &Connection) -> Result<String, Failure> {
        Ok(connection.query_row("SELECT v FROM t", [], |row| row.get(0))?)
    }

    #[test]
    fn a_read_answers_from_the_file_and_refuses_to_write() {
        let (_dir, file) = database();
        let readers = Readers::new(file);
        assert_eq!(readers.read(value).expect("not busy").expect("read"), "kept");
        let write = readers.read(|connection| Ok(connection.execute("DELETE FROM t", [])?));
        assert!(
            matches!(write, Some(Err(DomainError::Internal(_)))),
            "query_only refuses a write: {write:?}"
        );
        assert_eq!(readers.read(value).expect("not busy").expect("read"), "kept");
    }

    #[test]
    fn a_read_the_file_is_locked_against_hands_over_and_the_next_one_answers() {
        let (_dir, file) = database();
        let readers = Readers::new(file.clone());
        let writer = Connection::open(&file).expect("opened");
        writer
            .execute_batch("BEGIN EXCLUSIVE; UPDATE t SET v = 'changing';")
            .expect("locked");
        assert!(readers.read(value).is_none(), "busy: sqlx is to answer");
        writer.execute_batch("ROLLBACK").expect("released");
        assert_eq!(readers.read(value).expect("not busy").expect("read"), "kept");
    }

    #[test]
    fn no_row_is_not_found() {
        let (_dir, file) = database();
        let readers = Readers::new(file);
        let read = readers.read(|connection| {
            Ok(connection.query_row("SELECT v FROM t WHERE v = 'absent'", [], |row| row.get::<_, String>(0))?)
        });
        assert!(matches!(read, Some(Err(DomainError::NotFound))), "{read:?}");
    }
}
