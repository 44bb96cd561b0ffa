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

/// How many entries stand at the top of the blob store's folder (none when it
/// was never made).
fn blob_entries(app: &TestApp) -> usize {
    std::fs::read_dir(app.dir.path().join("blobs"))
        .map(|d| d.count())
        .unwrap_or(0)
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

/// Where the service keeps message `id`'s sealed parts: `Some(true)` in its row
/// (a small message), `Some(false)` as blobs, `None` nowhere (envelope only).
async fn parts_kept(app: &TestApp, id: &str) -> anyhow::Result<Option<bool>> {
    use sealpost_domain::ports::MessageStore as _;
    let public_id = sealpost_domain::messages::PublicId::parse(id).ok_or_else(|| anyhow!("not a public id: {id}"))?;
    let (message, _, _) = app
        .store
        .message_to_read(&public_id)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let in_blobs = app.dir.path().join("blobs").join(id).exists();
    Ok(match (message.sealed_parts.is_some(), in_blobs) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
        (true, true) => anyhow::bail!("message {id} has its parts both in its row and as blobs"),
    })
}
