//! Integration tests of the web portal: a real server on port 0 over a real
//! database (SQLite file, and PostgreSQL when reachable), driven over HTTP by a
//! cookie-keeping client that does not follow redirects, and by headless Chromium.

/// Runs `$body(app)` as two tests, `$name::sqlite` and `$name::postgres`.
macro_rules! on_both_databases {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                match crate::helpers::TestApp::spawn(crate::helpers::Db::Sqlite).await? {
                    Some(app) => super::$body(app).await,
                    None => Ok(()),
                }
            }

            #[tokio::test]
            async fn postgres() -> anyhow::Result<()> {
                match crate::helpers::TestApp::spawn(crate::helpers::Db::Postgres).await? {
                    Some(app) => super::$body(app).await,
                    None => Ok(()),
                }
            }
        }
    };
}

mod authz;
mod browser;
mod browser_messages;
mod delivery;
mod faults;
mod features;
mod helpers;
mod hostile;
mod links;
mod messages;
mod net;
mod procedure;
mod webdriver;
mod who_reads;
