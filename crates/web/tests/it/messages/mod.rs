//! Secure messages over HTTP: composing with attachments, notifications with the
//! Registered Envelope, opening, registering through the envelope, replies, read
//! receipts, lock and expiry, tenancy, and the promise that plaintext never reaches
//! disk.
//!
//! One file per concern: `reading` (who reads a message and who manages it),
//! `registration` (a recipient without a user) and `sending` (refused forms,
//! limits, what is stored where, key rotation, delivery modes). What they share is
//! here and in `crate::helpers`.

mod kept;
mod reading;
mod registration;
mod sending;

use anyhow::anyhow;

use crate::helpers::{Client, TestApp, logged_in};

/// A plain member of Acme (in its Staff group, made on first use), logged in.
async fn acme_member(app: &TestApp, email: &str) -> anyhow::Result<Client> {
    app.add_user(email, false).await?;
    let acme = app.first_account().await?;
    let scope = app.scope("alice@example.com", acme.number).await?;
    let groups = app.services.groups(&scope).await.map_err(|e| anyhow!("{e:?}"))?;
    let staff = match groups.into_iter().find(|g| g.name == "Staff") {
        Some(staff) => staff,
        None => app
            .services
            .create_group(&scope, "Staff")
            .await
            .map_err(|e| anyhow!("{e:?}"))?,
    };
    app.services
        .add_member(&scope, staff.id, email)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    logged_in(app, email).await
}

/// The Details tab of Acme Corp, the account `crate::helpers::acme` made.
async fn acme_details(app: &TestApp) -> anyhow::Result<String> {
    let acme = app.first_account().await?;
    Ok(format!("/admin/accounts/{}", acme.number))
}

/// How many files lie below `dir`, at any depth.
fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { count_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}
