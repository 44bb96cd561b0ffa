//! Whether the storage takes writes: [`WriteHealth`] notes writes refused for want of
//! space (logging once when an outage starts and once when it ends), and
//! [`HealthStore::probe_write`] is what `/healthz` asks.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sealpost_domain::error::DomainError;
use sealpost_domain::ports::{HealthStore, StoreResult};
use sealpost_domain::types::Timestamp;

use crate::statements::Run;
use crate::{DATABASE, SqlStore, db_error};

/// How long writes must go through without a refusal before a full storage counts
/// as writable again. On a disk at its limit small writes can slip through while
/// larger ones fail; without this the log and `/healthz` would flap with them.
pub const WRITABLE_AFTER: Duration = Duration::from_secs(5);

/// Whether the storage (the database and the blob store, which share one) takes
/// writes. A full disk fails writes until space is freed; the operator gets one
/// line when that starts and one when it ends, not one per refused request.
#[derive(Debug, Default)]
pub(crate) struct WriteHealth {
    /// The outage under way, if any.
    outage: Mutex<Option<Outage>>,
}

/// Writes are being refused for want of space.
#[derive(Debug)]
struct Outage {
    since: Instant,
    last_refusal: Instant,
    /// The first refusal's error, for `/healthz` and the log.
    reason: String,
}

impl WriteHealth {
    /// Notes a write of `component` refused for want of space; logs when this starts
    /// an outage.
    pub(crate) fn refused(&self, component: &'static str, reason: &dyn std::error::Error) {
        let Ok(mut outage) = self.outage.lock() else {
            return;
        };
        let now = Instant::now();
        match outage.as_mut() {
            Some(outage) => outage.last_refusal = now,
            None => {
                let reason = reason.to_string();
                tracing::error!(
                    storage = component,
                    %reason,
                    "storage is full: Sealpost cannot store anything (messages, logins, registrations, \
                     mail status) until space is freed on the disk of the database or the blob folder; \
                     pages that only read keep working, and writes resume by themselves"
                );
                *outage = Some(Outage {
                    since: now,
                    last_refusal: now,
                    reason,
                });
            }
        }
    }

    /// Notes a write that went through; ends an outage (and logs it) once writes
    /// have gone through for [`WRITABLE_AFTER`] without a refusal.
    pub(crate) fn accepted(&self) {
        let Ok(mut outage) = self.outage.lock() else {
            return;
        };
        if let Some(ended) = outage.take_if(|o| o.last_refusal.elapsed() >= WRITABLE_AFTER) {
            tracing::warn!(
                unwritable_for_seconds = ended.since.elapsed().as_secs(),
                "storage takes writes again"
            );
        }
    }

    /// Why writes are being refused, while they are.
    pub(crate) fn unwritable(&self) -> Option<String> {
        self.outage
            .lock()
            .ok()
            .and_then(|outage| outage.as_ref().map(|o| o.reason.clone()))
    }

    /// Passes a port method's result through, noting a write of `component` refused
    /// for want of space.
    pub(crate) fn watch<T>(&self, component: &'static str, result: StoreResult<T>) -> StoreResult<T> {
        if let Err(DomainError::Unavailable(reason)) = &result {
            self.refused(component, reason.as_ref());
        }
        result
    }
}

/// The storage is still counted as full although a probe went through.
#[derive(Debug)]
struct StillFull(String);

impl fmt::Display for StillFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "writes were refused for want of space moments ago: {}", self.0)
    }
}

impl std::error::Error for StillFull {}

#[async_trait]
impl HealthStore for SqlStore {
    async fn probe_write(&self, at: Timestamp) -> StoreResult<()> {
        let probe = async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO storage_probe (id, written_at) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at",
            )
            .bind(at.0)
            .run(&mut *tx)
            .await?;
            tx.commit().await.map_err(db_error)
        };
        self.health.watch(DATABASE, probe.await)?;
        match self.health.unwritable() {
            Some(reason) => Err(DomainError::unavailable(StillFull(reason))),
            None => Ok(()),
        }
    }

    /// One upsert: a missing row is taken, an existing one only if it is the
    /// holder's own or has run out; the row changed (1) means the lease is held.
    async fn take_lease(&self, name: &str, holder: &str, until: Timestamp, now: Timestamp) -> StoreResult<bool> {
        self.watched(async {
            let mut tx = self.begin_write().await?;
            let taken = sqlx::query(
                "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                 WHERE leases.holder = excluded.holder OR leases.until < $4",
            )
            .bind(name)
            .bind(holder)
            .bind(until.0)
            .bind(now.0)
            .run(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await.map_err(db_error)?;
            Ok(taken == 1)
        })
        .await
    }
}
