//! Reading a row's columns with the store's error, the same way on both backends.
//!
//! Every per-area file reads rows through [`Columns`] rather than
//! `try_get(..).map_err(db_error)` and `Timestamp(..)` by hand, so that a column's
//! decoding (times as Unix seconds, booleans as SQLite's 0 or 1) is written once;
//! a query of many rows reads them through [`from_rows`].

use sealpost_domain::ports::StoreResult;
use sealpost_domain::types::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{Any, Decode, Row, Type};

use crate::{db_error, get_bool};

/// Every one of `rows` read by `read` (a `…_from_row` function), with the store's
/// error: what a query of many rows answers.
pub(crate) fn from_rows<T>(
    rows: &[AnyRow],
    read: impl FnMut(&AnyRow) -> Result<T, sqlx::Error>,
) -> StoreResult<Vec<T>> {
    rows.iter().map(read).collect::<Result<_, _>>().map_err(db_error)
}

/// A value [`Columns`] reads: one both drivers decode (sqlx's `Any` and rusqlite,
/// see [`crate::readers`]), which every column type the store uses is.
pub(crate) trait Cell: for<'r> Decode<'r, Any> + Type<Any> + rusqlite::types::FromSql {}

impl<T: for<'r> Decode<'r, Any> + Type<Any> + rusqlite::types::FromSql> Cell for T {}

/// A row read by column name, from either driver: a decoder written against it
/// (`…_from_row`) serves every query, including those [`crate::readers`] answer.
pub(crate) trait Columns {
    /// The column `name` decoded as `T`, with sqlx's error (what the decoders return).
    fn cell<T: Cell>(&self, name: &str) -> Result<T, sqlx::Error>;

    /// A boolean column (see [`get_bool`]), with sqlx's error.
    fn cell_flag(&self, name: &str) -> Result<bool, sqlx::Error>;

    /// A text column, borrowed from the row (a stored name such as a status).
    fn cell_str(&self, name: &str) -> Result<&str, sqlx::Error>;

    /// The column `name` decoded as `T`.
    fn col<T: Cell>(&self, name: &str) -> StoreResult<T> {
        self.cell(name).map_err(db_error)
    }

    /// A time column (seconds since the epoch, as every table stores them).
    fn at(&self, name: &str) -> StoreResult<Timestamp> {
        self.col(name).map(Timestamp)
    }

    /// A time column that may be NULL (not yet happened).
    fn at_opt(&self, name: &str) -> StoreResult<Option<Timestamp>> {
        Ok(self.col::<Option<i64>>(name)?.map(Timestamp))
    }

    /// A boolean column (see [`get_bool`]).
    fn flag(&self, name: &str) -> StoreResult<bool> {
        self.cell_flag(name).map_err(db_error)
    }
}

impl Columns for AnyRow {
    fn cell<T: Cell>(&self, name: &str) -> Result<T, sqlx::Error> {
        self.try_get(name)
    }

    fn cell_flag(&self, name: &str) -> Result<bool, sqlx::Error> {
        get_bool(self, name)
    }

    fn cell_str(&self, name: &str) -> Result<&str, sqlx::Error> {
        self.try_get(name)
    }
}

impl Columns for crate::readers::Named<'_> {
    fn cell<T: Cell>(&self, name: &str) -> Result<T, sqlx::Error> {
        let index = self.index(name).map_err(|error| decode_error(name, error))?;
        self.row.get(index).map_err(|error| decode_error(name, error))
    }

    fn cell_str(&self, name: &str) -> Result<&str, sqlx::Error> {
        let index = self.index(name).map_err(|error| decode_error(name, error))?;
        let value = self.row.get_ref(index).map_err(|error| decode_error(name, error))?;
        value.as_str().map_err(|error| decode_error(name, error))
    }

    /// SQLite's booleans are integers, which rusqlite reads as `bool` (non-zero).
    fn cell_flag(&self, name: &str) -> Result<bool, sqlx::Error> {
        self.cell(name)
    }
}

/// A column rusqlite could not read, as sqlx says it.
fn decode_error(name: &str, error: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: name.to_owned(),
        source: Box::new(error),
    }
}
