//! Integration tests of the web portal: a real server on port 0 over a real
//! database (SQLite file, and PostgreSQL when reachable), driven over HTTP by a
//! cookie-keeping client that does not follow redirects, and by headless Chromium.

/// Runs `$body(app)` as two tests, `$name::sqlite` and `$name::postgres`; with
/// `given_db`, `$body(db)` starts its own server on that database.
macro_rules! on_both_databases {
    ($name:ident, $body:ident) => {
        on_both_databases!(@ $name, |db| crate::helpers::run_on(db, super::$body));
    };
    ($name:ident, $body:ident, given_db) => {
        on_both_databases!(@ $name, super::$body);
    };
    (@ $name:ident, $run:expr) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                ($run)(crate::helpers::Db::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() -> anyhow::Result<()> {
                ($run)(crate::helpers::Db::Postgres).await
            }
        }
    };
}

mod accounts;
mod audit_lists;
mod authz;
mod browser;
mod browser_accounts;
mod browser_audit;
mod browser_dates;
mod browser_images;
mod browser_messages;
mod browser_passkeys;
mod browser_profiles;
mod browser_reports;
mod browser_secret;
mod browser_tabs;
mod browser_two_step;
mod browser_users;
mod compose_accounts;
mod compose_features;
mod delivery;
mod devices;
mod faults;
mod features;
mod gateway;
mod helpers;
mod hostile;
mod images;
mod links;
mod me;
mod message_lists;
mod messages;
mod net;
mod passkeys;
mod procedure;
mod profiles;
mod reports;
mod secret;
mod soft_authenticator;
mod tokens;
mod two_step;
mod users;
mod webdriver;
mod who_reads;
