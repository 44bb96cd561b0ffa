//! Rows as the copy carries them: read from one database by column type, written
//! to the other, and put into a checksum computed the same way on both sides.
//!
//! The checksum of a table is order-independent: each row's canonical text (its
//! columns by name, each value tagged with its type, text length-prefixed, bytes in
//! hex, booleans as 0/1 as SQLite keeps them) is hashed with SHA-256, and the
//! digests are added as four 64-bit lanes. So PostgreSQL's collation, which may
//! sort text keys unlike SQLite, cannot make equal tables differ.

use std::fmt::Write as _;

use anyhow::Context as _;
use futures_util::TryStreamExt as _;
use sha2::{Digest as _, Sha256};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{PgPool, Postgres, Row as _, Sqlite, SqlitePool};

use super::schema::{Kind, Table, quoted};

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Float(f64),
}

/// One side of the copy.
#[derive(Debug, Clone)]
pub enum Side {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The row count and order-independent checksum of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub rows: u64,
    pub digest: [u64; 4],
}

impl Fingerprint {
    /// The checksum in hex, for the report.
    pub fn hex(&self) -> String {
        self.digest.iter().fold(String::new(), |mut out, lane| {
            let _ = write!(out, "{lane:016x}");
            out
        })
    }

    fn add(&mut self, row: &[Value], table: &Table) {
        let mut order: Vec<usize> = (0..table.columns.len()).collect();
        order.sort_by(|a, b| table.columns[*a].name.cmp(&table.columns[*b].name));
        let mut hasher = Sha256::new();
        for at in order {
            hasher.update(table.columns[at].name.as_bytes());
            hasher.update([0x1f]);
            match &row[at] {
                Value::Null => hasher.update(b"N"),
                Value::Int(v) => hasher.update(format!("I{v}")),
                Value::Text(v) => hasher.update(format!("T{}:{v}", v.len())),
                Value::Bytes(v) => {
                    let mut hex = String::with_capacity(v.len() * 2 + 1);
                    hex.push('B');
                    for byte in v {
                        let _ = write!(hex, "{byte:02x}");
                    }
                    hasher.update(hex);
                }
                Value::Float(v) => hasher.update(format!("F{v:?}")),
            }
            hasher.update([0x1e]);
        }
        let digest = hasher.finalize();
        for (lane, chunk) in self.digest.iter_mut().zip(digest.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            *lane = lane.wrapping_add(u64::from_be_bytes(bytes));
        }
        self.rows += 1;
    }
}

/// A row's values in `table`'s column order, each read by `read` from its index
/// and kind (`None`: NULL); `from` names the database in the error.
fn read_row(
    table: &Table,
    from: &str,
    read: impl Fn(usize, Kind) -> Result<Option<Value>, sqlx::Error>,
) -> anyhow::Result<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| Ok(read(at, column.kind)?.unwrap_or(Value::Null)))
        .collect::<Result<_, sqlx::Error>>()
        .with_context(|| format!("while reading a row of {} from {from}", table.name))
}

fn read_sqlite(row: &SqliteRow, table: &Table) -> anyhow::Result<Vec<Value>> {
    read_row(table, "SQLite", |at, kind| {
        Ok(match kind {
            Kind::I64 | Kind::I32 | Kind::I16 | Kind::Bool => row.try_get::<Option<i64>, _>(at)?.map(Value::Int),
            Kind::Text => row.try_get::<Option<String>, _>(at)?.map(Value::Text),
            Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(at)?.map(Value::Bytes),
            Kind::F64 | Kind::F32 => row.try_get::<Option<f64>, _>(at)?.map(Value::Float),
        })
    })
}

fn read_postgres(row: &PgRow, table: &Table) -> anyhow::Result<Vec<Value>> {
    read_row(table, "PostgreSQL", |at, kind| {
        Ok(match kind {
            Kind::I64 => row.try_get::<Option<i64>, _>(at)?.map(Value::Int),
            Kind::I32 => row.try_get::<Option<i32>, _>(at)?.map(|v| Value::Int(v.into())),
            Kind::I16 => row.try_get::<Option<i16>, _>(at)?.map(|v| Value::Int(v.into())),
            Kind::Bool => row.try_get::<Option<bool>, _>(at)?.map(|v| Value::Int(v.into())),
            Kind::Text => row.try_get::<Option<String>, _>(at)?.map(Value::Text),
            Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(at)?.map(Value::Bytes),
            Kind::F64 => row.try_get::<Option<f64>, _>(at)?.map(Value::Float),
            Kind::F32 => row.try_get::<Option<f32>, _>(at)?.map(|v| Value::Float(v.into())),
        })
    })
}

fn bind_sqlite<'q>(
    query: Query<'q, Sqlite, SqliteArguments<'q>>,
    value: Value,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    match value {
        Value::Null => query.bind(None::<i64>),
        Value::Int(v) => query.bind(v),
        Value::Text(v) => query.bind(v),
        Value::Bytes(v) => query.bind(v),
        Value::Float(v) => query.bind(v),
    }
}

fn bind_postgres<'q>(
    query: Query<'q, Postgres, PgArguments>,
    value: Value,
    kind: Kind,
    column: &str,
) -> anyhow::Result<Query<'q, Postgres, PgArguments>> {
    Ok(match (kind, value) {
        (Kind::I64, Value::Int(v)) => query.bind(v),
        (Kind::I64, Value::Null) => query.bind(None::<i64>),
        (Kind::I32, Value::Int(v)) => {
            query.bind(i32::try_from(v).with_context(|| format!("{column}: {v} is too large"))?)
        }
        (Kind::I32, Value::Null) => query.bind(None::<i32>),
        (Kind::I16, Value::Int(v)) => {
            query.bind(i16::try_from(v).with_context(|| format!("{column}: {v} is too large"))?)
        }
        (Kind::I16, Value::Null) => query.bind(None::<i16>),
        (Kind::Bool, Value::Int(v)) => query.bind(v != 0),
        (Kind::Bool, Value::Null) => query.bind(None::<bool>),
        (Kind::Text, Value::Text(v)) => query.bind(v),
        (Kind::Text, Value::Null) => query.bind(None::<String>),
        (Kind::Bytes, Value::Bytes(v)) => query.bind(v),
        (Kind::Bytes, Value::Null) => query.bind(None::<Vec<u8>>),
        (Kind::F64, Value::Float(v)) => query.bind(v),
        (Kind::F64, Value::Null) => query.bind(None::<f64>),
        #[expect(clippy::cast_possible_truncation, reason = "a REAL column holds single precision")]
        (Kind::F32, Value::Float(v)) => query.bind(v as f32),
        (Kind::F32, Value::Null) => query.bind(None::<f32>),
        (kind, value) => anyhow::bail!("{column}: the value {value:?} does not fit the column's type {kind:?}"),
    })
}

/// `"a", "b"`.
fn column_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| quoted(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows after `after` (a key of the previous batch) or, for the first batch,
/// after skipping `skip` rows; at most `limit`, in key order.
fn batch_sql(table: &Table, after: bool, skip: u64, limit: usize) -> String {
    let order = if table.key.is_empty() {
        column_list(table)
    } else {
        table
            .key
            .iter()
            .map(|&at| quoted(&table.columns[at].name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sql = format!("SELECT {} FROM {}", column_list(table), quoted(&table.name));
    if after {
        let params: Vec<String> = (1..=table.key.len()).map(|n| format!("${n}")).collect();
        let _ = write!(sql, " WHERE ({order}) > ({})", params.join(", "));
    }
    let _ = write!(sql, " ORDER BY {order} LIMIT {limit}");
    if skip > 0 {
        let _ = write!(sql, " OFFSET {skip}");
    }
    sql
}

impl Side {
    /// Reads one batch: after the key `after` when given, else from row `skip`.
    pub async fn batch(
        &self,
        table: &Table,
        after: Option<&[Value]>,
        skip: u64,
        limit: usize,
    ) -> anyhow::Result<Vec<Vec<Value>>> {
        let sql = batch_sql(table, after.is_some(), skip, limit);
        let key_kinds: Vec<_> = table.key.iter().map(|&at| &table.columns[at]).collect();
        match self {
            Self::Sqlite(pool) => {
                let mut query = sqlx::query(&sql);
                for value in after.unwrap_or_default() {
                    query = bind_sqlite(query, value.clone());
                }
                let rows = query
                    .fetch_all(pool)
                    .await
                    .with_context(|| format!("while reading {}", table.name))?;
                rows.iter().map(|row| read_sqlite(row, table)).collect()
            }
            Self::Postgres(pool) => {
                let mut query = sqlx::query(&sql);
                for (value, column) in after.unwrap_or_default().iter().zip(key_kinds) {
                    query = bind_postgres(query, value.clone(), column.kind, &column.name)?;
                }
                let rows = query
                    .fetch_all(pool)
                    .await
                    .with_context(|| format!("while reading {}", table.name))?;
                rows.iter().map(|row| read_postgres(row, table)).collect()
            }
        }
    }

    /// Inserts `rows` in one statement (so a batch is there entirely or not at all).
    pub async fn insert(&self, table: &Table, rows: Vec<Vec<Value>>) -> anyhow::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let width = table.columns.len();
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", quoted(&table.name), column_list(table));
        for row in 0..rows.len() {
            if row > 0 {
                sql.push_str(", ");
            }
            let params: Vec<String> = (1..=width).map(|n| format!("${}", row * width + n)).collect();
            let _ = write!(sql, "({})", params.join(", "));
        }
        let context = || format!("while writing {} rows of {}", rows.len(), table.name);
        match self {
            Self::Sqlite(pool) => {
                let mut query = sqlx::query(&sql);
                for value in rows.iter().flatten() {
                    query = bind_sqlite(query, value.clone());
                }
                query.execute(pool).await.with_context(context)?;
            }
            Self::Postgres(pool) => {
                let mut query = sqlx::query(&sql);
                for row in &rows {
                    for (value, column) in row.iter().zip(&table.columns) {
                        query = bind_postgres(query, value.clone(), column.kind, &column.name)?;
                    }
                }
                query.execute(pool).await.with_context(context)?;
            }
        }
        Ok(())
    }

    /// How many rows the table holds.
    pub async fn count(&self, table: &Table) -> anyhow::Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM {}", quoted(&table.name));
        let count: i64 = match self {
            Self::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        }
        .with_context(|| format!("while counting the rows of {}", table.name))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Reads the whole table once, as a stream, into its [`Fingerprint`].
    pub async fn fingerprint(&self, table: &Table) -> anyhow::Result<Fingerprint> {
        let sql = format!("SELECT {} FROM {}", column_list(table), quoted(&table.name));
        let mut print = Fingerprint {
            rows: 0,
            digest: [0; 4],
        };
        match self {
            Self::Sqlite(pool) => {
                let mut rows = sqlx::query(&sql).fetch(pool);
                while let Some(row) = rows.try_next().await? {
                    print.add(&read_sqlite(&row, table)?, table);
                }
            }
            Self::Postgres(pool) => {
                let mut rows = sqlx::query(&sql).fetch(pool);
                while let Some(row) = rows.try_next().await? {
                    print.add(&read_postgres(&row, table)?, table);
                }
            }
        }
        Ok(print)
    }

    /// Runs a statement that returns nothing.
    pub async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            Self::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        }
        .with_context(|| format!("while running {sql}"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::Column;
    use super::*;

    fn table() -> Table {
        Table {
            name: "t".to_owned(),
            columns: vec![
                Column {
                    name: "id".to_owned(),
                    kind: Kind::I64,
                },
                Column {
                    name: "body".to_owned(),
                    kind: Kind::Bytes,
                },
            ],
            key: vec![0],
            identities: vec![],
        }
    }

    #[test]
    fn the_checksum_ignores_row_order_and_sees_every_byte() {
        let table = table();
        let a = vec![Value::Int(1), Value::Bytes(vec![1, 2])];
        let b = vec![Value::Int(2), Value::Null];
        let mut one = Fingerprint {
            rows: 0,
            digest: [0; 4],
        };
        one.add(&a, &table);
        one.add(&b, &table);
        let mut other = Fingerprint {
            rows: 0,
            digest: [0; 4],
        };
        other.add(&b, &table);
        other.add(&a, &table);
        assert_eq!(one, other);
        let mut changed = Fingerprint {
            rows: 0,
            digest: [0; 4],
        };
        changed.add(&[Value::Int(1), Value::Bytes(vec![1, 3])], &table);
        changed.add(&b, &table);
        assert_ne!(one, changed);
    }

    #[test]
    fn later_batches_continue_after_the_last_key() {
        let table = table();
        assert_eq!(
            batch_sql(&table, true, 0, 100),
            "SELECT \"id\", \"body\" FROM \"t\" WHERE (\"id\") > ($1) ORDER BY \"id\" LIMIT 100"
        );
        assert_eq!(
            batch_sql(&table, false, 5, 100),
            "SELECT \"id\", \"body\" FROM \"t\" ORDER BY \"id\" LIMIT 100 OFFSET 5"
        );
    }
}
