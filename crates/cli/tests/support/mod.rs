//! What the binary's crash and fault tests share: reading and adjusting the
//! installation's SQLite database behind the server's back.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use sqlx::Connection as _;

/// A connection to the installation's database, waiting up to 10 s for the
/// server's writes.
pub async fn open_db(data: &Path) -> Result<sqlx::SqliteConnection> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data.join("sealpost.db"))
        .busy_timeout(Duration::from_secs(10));
    Ok(sqlx::SqliteConnection::connect_with(&options).await?)
}

/// The number `sql` (a `SELECT COUNT(*) …`) answers.
pub async fn scalar(data: &Path, sql: &str) -> Result<i64> {
    let mut db = open_db(data).await?;
    let n = sqlx::query_scalar(sql).fetch_one(&mut db).await?;
    db.close().await?;
    Ok(n)
}

/// Runs one statement, as an operator with the database open would.
pub async fn execute(data: &Path, sql: &str) -> Result<()> {
    let mut db = open_db(data).await?;
    sqlx::query(sql).execute(&mut db).await?;
    db.close().await?;
    Ok(())
}
