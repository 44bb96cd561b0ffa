//! Housekeeping, once an hour: destroying the keys of expired messages, purging
//! expired sessions, delivered mail past its days in the outbox and the blobs of
//! abandoned uploads, forgetting refused drafts.
//!
//! Several nodes may share one database: the shared work is done by the node that
//! holds the `housekeeping` lease (taken for two rounds, renewed at each), so it
//! runs on one node at a time, and another takes over within two hours of a
//! holder's death. Refused drafts live in the database too (any node takes them
//! back), so the holder forgets them with the rest.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealpost_domain::services::Services;
use tokio::sync::watch;

/// Time between rounds.
const ROUND: Duration = Duration::from_secs(60 * 60);
/// How long a round's lease holds: two rounds, so a live holder always renews it
/// before it runs out.
const LEASE_SECONDS: i64 = 2 * 60 * 60;

/// Runs the rounds until `stopped` turns true.
pub async fn run(services: Services, key_destroy_grace_seconds: i64, mut stopped: watch::Receiver<bool>) {
    let node = node_name();
    loop {
        match services.housekeeping_turn(&node, LEASE_SECONDS).await {
            Ok(true) => shared_round(&services, key_destroy_grace_seconds).await,
            Ok(false) => tracing::debug!(node, "another node does the housekeeping"),
            Err(error) => tracing::warn!(
                ?error,
                "could not tell which node does the housekeeping; will try again"
            ),
        }
        tokio::select! {
            _ = tokio::time::sleep(ROUND) => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
    }
}

/// The work on the shared database and blob store.
async fn shared_round(services: &Services, key_destroy_grace_seconds: i64) {
    match services.shred_expired(key_destroy_grace_seconds).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(destroyed = n, "destroyed the keys of expired messages"),
        Err(error) => tracing::warn!(?error, "could not destroy expired keys; will try again"),
    }
    match services.purge_stale_sessions().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(purged = n, "deleted expired sessions and old login-failure counters"),
        Err(error) => tracing::warn!(?error, "could not purge expired sessions; will try again"),
    }
    match services.purge_kept_drafts().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(discarded = n, "discarded refused drafts nobody came back for"),
        Err(error) => tracing::warn!(?error, "could not discard expired refused drafts; will try again"),
    }
    match services.purge_finished_mail().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            purged = n,
            "deleted delivered and given-up mail past its days in the outbox"
        ),
        Err(error) => tracing::warn!(?error, "could not purge finished outbox mail; will try again"),
    }
    match services.purge_stale_uploads(24 * 60 * 60).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(cleaned = n, "deleted the blobs of uploads that never became a message"),
        Err(error) => tracing::warn!(?error, "could not clean up abandoned uploads; will try again"),
    }
}

/// A name for this process, unique among the nodes: its process id and start time.
fn node_name() -> String {
    let started = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("pid{}-{}", std::process::id(), started.as_nanos())
}
