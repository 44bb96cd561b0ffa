//! What the copy learns from the two databases' catalogues: the tables (in an
//! order where every table comes after the tables it refers to), their columns and
//! types, their keys, and PostgreSQL's identity columns.
//!
//! Nothing here names a Sealpost table: whatever the migrations created is copied.
//! Column types come from PostgreSQL's `information_schema` (it is one of the two
//! sides in either direction); the order and the keys from SQLite's catalogue
//! (`pragma_table_info`, `pragma_foreign_key_list`), which both sides share since
//! both were migrated by the same migration set.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, bail};
use sqlx::{PgPool, SqlitePool};

/// The bookkeeping table of an unfinished copy, kept in the target until the copy
/// is verified (see [`super::MARKER`]). Never copied.
const SKIPPED: [&str; 2] = ["_sqlx_migrations", super::MARKER];

/// How a column's values are read, written and put into the checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `BIGINT` (SQLite `INTEGER`).
    I64,
    /// `INTEGER` on PostgreSQL.
    I32,
    /// `SMALLINT` on PostgreSQL.
    I16,
    /// `BOOLEAN` on PostgreSQL, `INTEGER` 0/1 on SQLite: both become 0/1.
    Bool,
    /// `TEXT`.
    Text,
    /// `BYTEA` / `BLOB`.
    Bytes,
    /// `DOUBLE PRECISION` / `REAL`.
    F64,
    /// `REAL` on PostgreSQL (single precision).
    F32,
}

impl Kind {
    fn from_postgres(data_type: &str) -> Option<Self> {
        Some(match data_type {
            "bigint" => Self::I64,
            "integer" => Self::I32,
            "smallint" => Self::I16,
            "boolean" => Self::Bool,
            "text" | "character varying" | "character" => Self::Text,
            "bytea" => Self::Bytes,
            "double precision" => Self::F64,
            "real" => Self::F32,
            _ => return None,
        })
    }
}

/// One column, by name.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// One table to copy.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Indexes into `columns` of the primary key; empty when the table has none
    /// (then rows are paged by position instead of by key).
    pub key: Vec<usize>,
    /// PostgreSQL identity columns, whose sequences are set past the copied ids.
    pub identities: Vec<String>,
}

/// Quotes an identifier for either database.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Of a catalogue's table names, those the copy handles (bookkeeping left out),
/// sorted.
fn copied(mut names: Vec<String>) -> Vec<String> {
    names.retain(|n| !SKIPPED.contains(&n.as_str()));
    names.sort();
    names
}

/// The tables SQLite's catalogue lists, bookkeeping left out.
pub async fn sqlite_tables(lite: &SqlitePool) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(lite)
    .await
    .context("while listing the SQLite database's tables")?;
    Ok(copied(names))
}

/// The tables of PostgreSQL's current schema, bookkeeping left out.
pub async fn postgres_tables(pg: &PgPool) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
    )
    .fetch_all(pg)
    .await
    .context("while listing the PostgreSQL database's tables")?;
    Ok(copied(names))
}

/// Reads both catalogues and returns the tables in dependency order. Refuses when
/// the two schemas differ (a table or column on one side only, or a type the copy
/// does not know).
pub async fn tables(lite: &SqlitePool, pg: &PgPool) -> anyhow::Result<Vec<Table>> {
    let lite_tables = sqlite_tables(lite).await?;
    let pg_tables = postgres_tables(pg).await?;
    if lite_tables != pg_tables {
        let only_lite: Vec<_> = lite_tables.iter().filter(|t| !pg_tables.contains(t)).collect();
        let only_pg: Vec<_> = pg_tables.iter().filter(|t| !lite_tables.contains(t)).collect();
        bail!(
            "the two databases do not have the same tables (only in SQLite: {only_lite:?}; only in PostgreSQL: \
             {only_pg:?}); both must be migrated by the same version of sealpost"
        );
    }
    let pg_columns: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, \
                (is_identity = 'YES' OR COALESCE(column_default, '') LIKE 'nextval(%') \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pg)
    .await
    .context("while reading the PostgreSQL columns")?;
    let mut by_table: BTreeMap<String, Vec<(String, String, bool)>> = BTreeMap::new();
    for (table, column, data_type, identity) in pg_columns {
        by_table.entry(table).or_default().push((column, data_type, identity));
    }
    let mut found = BTreeMap::new();
    let mut depends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in &lite_tables {
        let pg_cols = by_table.remove(name).unwrap_or_default();
        let lite_cols: Vec<(String, i64)> = sqlx::query_as("SELECT name, pk FROM pragma_table_info($1) ORDER BY cid")
            .bind(name)
            .fetch_all(lite)
            .await
            .with_context(|| format!("while reading the SQLite columns of {name}"))?;
        let lite_names: BTreeSet<&str> = lite_cols.iter().map(|(c, _)| c.as_str()).collect();
        let pg_names: BTreeSet<&str> = pg_cols.iter().map(|(c, _, _)| c.as_str()).collect();
        if lite_names != pg_names {
            bail!(
                "table {name} has other columns in SQLite ({lite_names:?}) than in PostgreSQL ({pg_names:?}); \
                 both must be migrated by the same version of sealpost"
            );
        }
        let mut columns = Vec::new();
        let mut identities = Vec::new();
        for (column, data_type, identity) in &pg_cols {
            let Some(kind) = Kind::from_postgres(data_type) else {
                bail!("the copy does not know the type {data_type} of {name}.{column}; teach copy/schema.rs it");
            };
            if *identity {
                identities.push(column.clone());
            }
            columns.push(Column {
                name: column.clone(),
                kind,
            });
        }
        let mut key: Vec<(i64, usize)> = Vec::new();
        for (column, pk) in &lite_cols {
            if *pk > 0
                && let Some(at) = columns.iter().position(|c| &c.name == column)
            {
                key.push((*pk, at));
            }
        }
        key.sort_unstable();
        let referenced: Vec<String> = sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list($1)")
            .bind(name)
            .fetch_all(lite)
            .await
            .with_context(|| format!("while reading the foreign keys of {name}"))?;
        depends.insert(
            name.clone(),
            referenced
                .into_iter()
                .filter(|t| t != name && lite_tables.contains(t))
                .collect(),
        );
        found.insert(
            name.clone(),
            Table {
                name: name.clone(),
                columns,
                key: key.into_iter().map(|(_, at)| at).collect(),
                identities,
            },
        );
    }
    let mut ordered = Vec::new();
    for name in dependency_order(&depends)? {
        if let Some(table) = found.remove(&name) {
            ordered.push(table);
        }
    }
    Ok(ordered)
}

/// Tables after those they refer to (Kahn's algorithm, by name among equals, so
/// the order is the same at every run, which resuming relies on).
fn dependency_order(depends: &BTreeMap<String, BTreeSet<String>>) -> anyhow::Result<Vec<String>> {
    let mut left = depends.clone();
    let mut ordered = Vec::new();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, needs)| needs.iter().all(|n| !left.contains_key(n)))
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            bail!(
                "the tables {:?} refer to each other in a cycle; the copy cannot order them",
                left.keys().collect::<Vec<_>>()
            );
        }
        for name in ready {
            left.remove(&name);
            ordered.push(name);
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_come_after_the_tables_they_refer_to() -> anyhow::Result<()> {
        let mut depends = BTreeMap::new();
        depends.insert(
            "messages".to_owned(),
            BTreeSet::from(["accounts".to_owned(), "users".to_owned()]),
        );
        depends.insert("accounts".to_owned(), BTreeSet::new());
        depends.insert("users".to_owned(), BTreeSet::new());
        depends.insert("attachments".to_owned(), BTreeSet::from(["messages".to_owned()]));
        assert_eq!(
            dependency_order(&depends)?,
            ["accounts", "users", "messages", "attachments"]
        );
        depends.insert("accounts".to_owned(), BTreeSet::from(["attachments".to_owned()]));
        assert!(dependency_order(&depends).is_err());
        Ok(())
    }
}
