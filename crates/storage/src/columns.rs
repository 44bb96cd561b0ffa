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

pub(crate) trait Columns {
    /// The column `name` decoded as `T`.
    fn col<'r, T: Decode<'r, Any> + Type<Any>>(&'r self, name: &str) -> StoreResult<T>;

    /// A time column (seconds since the epoch, as every table stores them).
    fn at(&self, name: &str) -> StoreResult<Timestamp> {
        self.col(name).map(Timestamp)
    }

    /// A time column that may be NULL (not yet happened).
    fn at_opt(&self, name: &str) -> StoreResult<Option<Timestamp>> {
        Ok(self.col::<Option<i64>>(name)?.map(Timestamp))
    }

    /// A boolean column (see [`get_bool`]).
    fn flag(&self, name: &str) -> StoreResult<bool>;
}

impl Columns for AnyRow {
    fn col<'r, T: Decode<'r, Any> + Type<Any>>(&'r self, name: &str) -> StoreResult<T> {
        self.try_get(name).map_err(db_error)
    }

    fn flag(&self, name: &str) -> StoreResult<bool> {
        get_bool(self, name).map_err(db_error)
    }
}
