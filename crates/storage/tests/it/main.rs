//! The storage test suite: one binary, and every test in it runs on SQLite *and*
//! PostgreSQL (see [`support::on_both_backends`]). Modules follow `src/`, plus
//! `connect` (URLs, pragmas, migrations) and `performance` (page times at scale);
//! `blobs` needs no database and runs on a temporary directory.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, with the expectation that was not met"
)]

mod support;

mod account_admin;
mod account_tokens;
mod accounts;
mod audit;
mod audit_search;
mod blobs;
mod branding;
mod connect;
mod faults;
mod group_commit;
mod groups;
mod health;
mod kept_drafts;
mod keys;
mod messages;
mod opening;
mod outbox;
mod outbox_outcomes;
mod passkeys;
mod performance;
mod profiles;
mod reports;
mod secrets;
mod sessions;
mod tokens;
mod uploads;
mod users;
