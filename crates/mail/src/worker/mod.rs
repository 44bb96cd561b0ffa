//! The outbox worker: delivers what the outbox holds, at least once.
//!
//! **Lanes.** A worker runs [`DEFAULT_LANES`] (configurable) deliveries side by side.
//! Each lane claims due rows with a lease ([`DEFAULT_LEASE`], or
//! `outbox_lease_secs` through [`OutboxWorker::with_lease`]; so several
//! lanes and workers, on one node or many, never send the same row at the same
//! time): one at first, more while there is a backlog ([`Held`], up to
//! [`MAX_BATCH`]). It sends each through the [`Transport`] and records the outcome in
//! the same store:
//!
//! - delivered: with the rest of its batch once the batch is done, in the same
//!   write as the claim of the next batch ([`OutboxStore::outbox_sent_then_claim`]):
//!   a lane working off a backlog commits once per batch, and the lanes' records
//!   are made together besides;
//! - temporary failure: [`OutboxStore::outbox_retry`] after [`retry_delay`]
//!   (1 min, 5 min, 15 min, 1 h, 2 h, 4 h, then every 6 h), until the row is older
//!   than [`GIVE_UP_AFTER`] (4 days), when it is treated as permanent;
//! - permanent failure: [`OutboxStore::outbox_failed`], together with a bounce to
//!   the sender in their language when the row is a recipient's notification (never
//!   for a bounce, so bounces cannot loop).
//!
//! **Nothing waits for ever.** Every delivery of a batch ends by the batch's lease
//! less [`DELIVERY_MARGIN`] (the SMTP transport also bounds each step of its
//! session), so the batch's record lands inside its lease; a row whose lease is
//! half spent before it starts is handed back unsent. So a relay that accepts
//! connections and never answers costs one lane that long, the other lanes keep
//! delivering, and the row is retried like any temporary failure.
//! On shutdown no lane starts another delivery (a lane records what it delivered
//! and hands back the rest of its batch, due at once), and those in flight get
//! [`DEFAULT_SHUTDOWN_GRACE`] to finish; then they are dropped (the connection
//! closes) and their rows come back when their lease runs out (on SQLite at the
//! next start).
//!
//! **A relay that comes back.** Retries of a relay outage back off to every 6 hours.
//! As Postfix does for a destination that answers again, the first delivery that
//! succeeds after the relay was unavailable (or that of a row which failed before)
//! makes every waiting row due at once ([`OutboxStore::outbox_bring_forward`]), so
//! the backlog follows within seconds; `sealpost outbox flush --all` does the same
//! by hand ([`OutboxWorker::bring_forward`]), as `postqueue -f` does.
//!
//! A crash after sending but before recording leaves the row leased; when the lease
//! runs out the row is sent again with the same bytes and `Message-ID`.
//!
//! Logs carry ids (outbox row, Message-ID, kind) and the recipient address, never
//! the message.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use lettre::message::Mailbox;
use sealpost_domain::DomainError;
use sealpost_domain::messages::OutboxItem;
use sealpost_domain::ports::{Clock, Notifier, OutboxStore};
use sealpost_domain::sealed_mail::MailSeal;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::error::MailError;
use crate::transport::Transport;

mod outcome;

pub use outcome::retry_delay;
use outcome::{Delivery, seconds};

/// How many deliveries run side by side unless configured otherwise.
pub const DEFAULT_LANES: usize = 4;
/// How long a claimed row stays reserved for its lane unless configured otherwise
/// (`outbox_lease_secs`). Longer than a delivery may take (the lease less
/// [`DELIVERY_MARGIN`]), so a row is never sent by two lanes at once; after a crash
/// on PostgreSQL, this is how long the rows the crashed worker held wait.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);
/// The shortest lease a worker takes ([`OutboxWorker::with_lease`] raises a shorter
/// one to it; the configuration refuses one): half a minute for the delivery and
/// half a minute for recording it.
pub const MIN_LEASE: Duration = Duration::from_secs(60);
/// How much shorter than the lease one delivery must be, whatever the transport
/// does: past the lease less this, it is a temporary failure and the row is
/// retried, with time left to record that before the lease runs out.
pub const DELIVERY_MARGIN: Duration = Duration::from_secs(30);
/// Transient failures of a row older than this are treated as permanent.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(4 * 24 * 60 * 60);
/// How often an idle worker looks for due rows when nobody pokes its
/// [`OutboxWorker::waker`].
pub const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long deliveries in flight may take to finish after shutdown is asked for.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// At most this many claims per [`OutboxWorker::run_once`], so a store that ignored
/// leases could not keep the worker in one call forever.
const MAX_CLAIMS: usize = 1024;
/// The most rows a lane claims at once, working off a backlog (see [`Held`]).
pub const MAX_BATCH: u32 = 8;

/// Delivers the outbox; one per process is enough, more are safe.
pub struct OutboxWorker {
    /// What the lanes share.
    inner: Arc<Inner>,
    /// How many deliveries run side by side.
    lanes: usize,
    /// How long deliveries in flight may take to finish after shutdown is asked for.
    shutdown_grace: Duration,
}

/// The state every lane of a worker shares.
struct Inner {
    /// Where the rows are.
    store: Arc<dyn OutboxStore>,
    /// How they leave.
    transport: Arc<dyn Transport>,
    /// Decides what is due and when to retry.
    clock: Arc<dyn Clock>,
    /// Renders bounces.
    notifier: Arc<dyn Notifier>,
    /// The SMTP reverse path (`MAIL FROM`); empty for the null sender.
    envelope_from: String,
    /// Poked by whoever queues mail, so it leaves without waiting for the next poll;
    /// lanes poke each other when there is more to do.
    wake: Arc<Notify>,
    /// Set when a delivery found the relay unavailable; the next success brings the
    /// waiting rows forward.
    relay_failed: AtomicBool,
    /// Opens rows stored sealed (mail carrying a recipient's secret).
    seal: Option<Arc<MailSeal>>,
    /// How long a claimed row stays reserved for its lane; a delivery may take this
    /// less [`DELIVERY_MARGIN`].
    lease: Duration,
}

impl std::fmt::Debug for OutboxWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWorker")
            .field("envelope_from", &self.inner.envelope_from)
            .field("lanes", &self.lanes)
            .finish_non_exhaustive()
    }
}

impl OutboxWorker {
    /// A worker sending with `envelope_from` as the SMTP reverse path (the address
    /// that receives delayed bounces from remote servers; usually the address system
    /// emails come from; `Name <address>` is accepted and reduced to the address).
    pub fn new(
        store: Arc<dyn OutboxStore>,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        notifier: Arc<dyn Notifier>,
        envelope_from: &str,
    ) -> Result<Self, MailError> {
        let envelope_from = if envelope_from.trim().is_empty() {
            String::new()
        } else {
            envelope_from
                .trim()
                .parse::<Mailbox>()
                .map(|mailbox| mailbox.email.to_string())
                .map_err(|_| MailError::BadAddress {
                    setting: "mail_from",
                    value: envelope_from.to_owned(),
                })?
        };
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                transport,
                clock,
                notifier,
                envelope_from,
                wake: Arc::new(Notify::new()),
                relay_failed: AtomicBool::new(false),
                seal: None,
                lease: DEFAULT_LEASE,
            }),
            lanes: DEFAULT_LANES,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        })
    }

    /// Runs `lanes` deliveries side by side (at least one): one slow relay
    /// conversation then holds only its own lane.
    #[must_use]
    pub fn with_lanes(mut self, lanes: usize) -> Self {
        self.lanes = lanes.max(1);
        self
    }

    /// Opens the rows stored sealed (`sealpost_domain::sealed_mail`) with `seal`
    /// (the installation's, from its master key) before sending them. Without it
    /// such a row waits, retried, with the reason logged.
    #[must_use]
    pub fn with_mail_seal(mut self, seal: Arc<MailSeal>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.seal = Some(seal);
        }
        self
    }

    /// Reserves each claimed row for `lease` (at least [`MIN_LEASE`]) instead of
    /// [`DEFAULT_LEASE`]: how long the rows of a worker that died wait before
    /// another takes them, and, less [`DELIVERY_MARGIN`], how long one delivery may
    /// take.
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.lease = lease.max(MIN_LEASE);
        }
        self
    }

    /// The lease each claimed row gets.
    pub fn lease(&self) -> Duration {
        self.inner.lease
    }

    /// How long deliveries in flight may take to finish once shutdown is asked for.
    #[must_use]
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The handle that wakes an idle worker: call `notify_one()` on it after queueing
    /// mail. (Without it, mail still leaves within [`IDLE_POLL`].)
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.wake)
    }

    /// The transport it delivers through, for the SMTP gateway to relay untagged
    /// mail through the same sessions (relayed mail passes unchanged, unsigned).
    pub fn transport(&self) -> Arc<dyn Transport> {
        Arc::clone(&self.inner.transport)
    }

    /// Ends what the transport keeps open (its sessions with the relay, each with
    /// `QUIT`): after [`Self::run_once`] in a command that then exits. [`Self::run`]
    /// does it itself when it stops.
    pub async fn close(&self) {
        self.inner.transport.close().await;
    }

    /// Makes every waiting row due now (`sealpost outbox flush --all`, as
    /// `postqueue -f`); returns how many were waiting.
    pub async fn bring_forward(&self) -> Result<u64, DomainError> {
        self.inner.store.outbox_bring_forward(self.inner.clock.now()).await
    }

    /// Delivers everything due now (including bounces queued along the way) on all
    /// lanes and returns how many rows were attempted. For tests and `sealpost
    /// outbox flush`. Returns within the lease less [`DELIVERY_MARGIN`] of the last claim, however
    /// the relay behaves.
    ///
    /// A store error while recording an outcome does not stop the others; the first
    /// one is returned at the end (that row is sent again after its lease).
    pub async fn run_once(&self) -> Result<usize, DomainError> {
        let claims = Arc::new(AtomicUsize::new(0));
        let attempted = Arc::new(AtomicUsize::new(0));
        let mut lanes = JoinSet::new();
        for _ in 0..self.lanes {
            let inner = Arc::clone(&self.inner);
            let (claims, attempted) = (Arc::clone(&claims), Arc::clone(&attempted));
            lanes.spawn(async move {
                let mut first_error = None;
                let mut held = Held::default();
                loop {
                    // Past the cap, rows already claimed are still delivered.
                    let more = claims.fetch_add(1, Ordering::SeqCst) < MAX_CLAIMS;
                    if !more && held.is_empty() {
                        break;
                    }
                    match inner.deliver_next(&mut held, more).await {
                        Ok(Next::Idle) => break,
                        Ok(Next::HandedBack) => {}
                        Ok(Next::Delivered) => {
                            attempted.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(Next::Unrecorded(error)) => {
                            attempted.fetch_add(1, Ordering::SeqCst);
                            first_error.get_or_insert(error);
                        }
                        Err(error) => {
                            first_error.get_or_insert(error);
                            break;
                        }
                    }
                }
                first_error
            });
        }
        let mut first_error = None;
        while let Some(joined) = lanes.join_next().await {
            match joined {
                Ok(Some(error)) => {
                    first_error.get_or_insert(error);
                }
                Ok(None) => {}
                Err(join_error) => {
                    first_error.get_or_insert(DomainError::Internal(Box::new(join_error)));
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(attempted.load(Ordering::SeqCst)),
        }
    }

    /// Runs until `shutdown` completes: each lane delivers what is due, then waits
    /// to be poked (one lane also looks every [`IDLE_POLL`]). On shutdown nothing new
    /// starts; deliveries in flight get the shutdown grace to finish and are then
    /// dropped, their rows left to their lease; then the transport's kept sessions
    /// are ended with `QUIT`.
    pub async fn run<F: Future + Send>(self, shutdown: F) {
        tracing::info!(
            envelope_from = %self.inner.envelope_from,
            lanes = self.lanes,
            "outbox worker started"
        );
        let (stop, stopped) = watch::channel(false);
        let mut lanes = JoinSet::new();
        for lane in 0..self.lanes {
            lanes.spawn(Arc::clone(&self.inner).lane(lane == 0, stopped.clone()));
        }
        shutdown.await;
        let _ = stop.send(true);
        let finished = tokio::time::timeout(self.shutdown_grace, async {
            while lanes.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                unfinished = lanes.len(),
                grace_secs = self.shutdown_grace.as_secs_f64(),
                "outbox worker stopped with deliveries unfinished; their mail is sent again once its lease runs out (at the next start on SQLite)"
            );
            lanes.abort_all();
            while lanes.join_next().await.is_some() {}
        }
        self.close().await;
        tracing::info!("outbox worker stopped");
    }
}

/// What a lane holds between deliveries: the rows of its batch not delivered
/// yet, leased until `lease_until`, and those delivered and not yet recorded
/// (recorded together once the batch is done, with the claim of the next).
///
/// A lane claims one row at first; each time a claim comes back full (a backlog),
/// the next asks for twice as many, up to [`MAX_BATCH`]; one that comes back
/// short starts again from one. So a trickle of mail spreads over the lanes as it
/// comes, and a backlog costs a commit per batch, not one per email.
struct Held {
    rows: std::collections::VecDeque<OutboxItem>,
    lease_until: sealpost_domain::types::Timestamp,
    sent: Vec<i64>,
    /// How many rows the next claim asks for.
    limit: u32,
}

impl Default for Held {
    fn default() -> Self {
        Self {
            rows: std::collections::VecDeque::new(),
            lease_until: sealpost_domain::types::Timestamp(0),
            sent: Vec::new(),
            limit: 1,
        }
    }
}

impl Held {
    /// Whether it holds nothing to deliver or record.
    fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.sent.is_empty()
    }

    /// Takes the rows of a claim that asked for `self.limit`, leased until
    /// `lease_until`, and sets the size of the next claim.
    fn take(&mut self, claimed: Vec<OutboxItem>, lease_until: sealpost_domain::types::Timestamp) {
        let full = claimed.len() >= self.limit as usize;
        self.limit = if full { (self.limit * 2).min(MAX_BATCH) } else { 1 };
        self.rows.extend(claimed);
        self.lease_until = lease_until;
    }
}

/// What one claim led to.
enum Next {
    /// Nothing was due.
    Idle,
    /// A row was attempted and its outcome recorded.
    Delivered,
    /// A row of the batch was handed back unsent (its lease was half spent).
    HandedBack,
    /// A row was attempted but its outcome could not be recorded.
    Unrecorded(DomainError),
}

impl Inner {
    /// One lane of [`OutboxWorker::run`]: delivers while there is something due,
    /// then waits for a poke (and, for the `polling` lane, at most [`IDLE_POLL`]).
    async fn lane(self: Arc<Self>, polling: bool, mut stopped: watch::Receiver<bool>) {
        // The rows claimed and not delivered yet, and those delivered and not yet recorded.
        let mut held = Held::default();
        loop {
            if *stopped.borrow() {
                self.hand_back(&mut held).await;
                return;
            }
            match self.deliver_next(&mut held, true).await {
                Ok(Next::Delivered | Next::HandedBack) => continue,
                // The store took the claim but not the outcome (a full disk, say):
                // pause before claiming more mail that would be sent again too.
                Ok(Next::Idle | Next::Unrecorded(_)) => {}
                // A full disk is logged once by the store when it starts and ends;
                // this loop would repeat it every second.
                Err(error @ DomainError::Unavailable(_)) => {
                    tracing::debug!(error = %error, "outbox worker waits for the store to take writes again");
                }
                Err(error) => {
                    tracing::error!(error = %error, detail = ?error, "outbox worker could not use the store; trying again shortly");
                }
            }
            if polling {
                // Nothing to send just now: what the transport keeps open may go.
                self.transport.tidy().await;
            }
            let poll = async {
                if polling {
                    tokio::time::sleep(IDLE_POLL).await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = stopped.changed() => {}
                () = self.wake.notified() => {}
                () = poll => {}
            }
        }
    }

    /// Delivers the next row `held`, claiming a batch first when it holds none;
    /// once the batch is delivered, records its deliveries and, when `more`,
    /// claims the next batch in the same write. An error is the claim's; a store
    /// error while recording an outcome is logged and handed back in
    /// [`Next::Unrecorded`] (those rows are sent again after their lease).
    async fn deliver_next(&self, held: &mut Held, more: bool) -> Result<Next, DomainError> {
        if held.rows.is_empty() && held.sent.is_empty() {
            if !more {
                return Ok(Next::Idle);
            }
            let now = self.clock.now();
            let lease_until = now.plus_seconds(seconds(self.lease));
            let claimed = self.store.claim_outbox(now, lease_until, held.limit).await?;
            if claimed.is_empty() {
                return Ok(Next::Idle);
            }
            held.take(claimed, lease_until);
        }
        let outcome = match held.rows.pop_front() {
            Some(item) => {
                // There may be more: let an idle lane look while this one is busy.
                self.wake.notify_one();
                self.deliver_held(item, held).await
            }
            None => Ok(Next::Delivered),
        };
        let recorded = if held.rows.is_empty() {
            self.record_batch(held, more).await
        } else {
            Ok(())
        };
        match recorded.and(outcome) {
            Ok(next) => Ok(next),
            Err(error) => Ok(Next::Unrecorded(error)),
        }
    }

    /// Delivers `item` of the batch `held` within what is left of the batch's
    /// lease less [`DELIVERY_MARGIN`]; a delivered row joins `held.sent`, to be
    /// recorded with the batch. A row whose lease is half spent already (the
    /// relay is slow) is handed back instead, due now: [`Next::HandedBack`].
    async fn deliver_held(&self, item: OutboxItem, held: &mut Held) -> Result<Next, DomainError> {
        let now = self.clock.now();
        let left = Duration::from_secs(u64::try_from(held.lease_until.seconds_since(now)).unwrap_or(0));
        let full = self.lease.saturating_sub(DELIVERY_MARGIN);
        let limit = left.saturating_sub(DELIVERY_MARGIN);
        if limit < full / 2 {
            return self
                .release(&item, "not sent yet: its lane's batch ran long")
                .await
                .map(|()| Next::HandedBack);
        }
        let (id, message_id) = (item.id, item.message_id_header.clone());
        let outcome = self.deliver(item, limit).await;
        match outcome {
            Ok(Delivery::Sent) => {
                held.sent.push(id);
                Ok(Next::Delivered)
            }
            Ok(Delivery::Recorded) => Ok(Next::Delivered),
            Err(error) => {
                tracing::error!(
                    outbox_id = id,
                    message_id,
                    error = %error,
                    detail = ?error,
                    "could not record the outcome of a delivery; the row is sent again after its lease"
                );
                Err(error)
            }
        }
    }

    /// Records the deliveries of the batch `held` and, when `more`, claims the
    /// next batch in the same write.
    async fn record_batch(&self, held: &mut Held, more: bool) -> Result<(), DomainError> {
        if held.sent.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let lease_until = now.plus_seconds(seconds(self.lease));
        let limit = if more { held.limit } else { 0 };
        let sent = std::mem::take(&mut held.sent);
        match self.store.outbox_sent_then_claim(&sent, now, lease_until, limit).await {
            Ok(claimed) => {
                held.take(claimed, lease_until);
                Ok(())
            }
            Err(error) => {
                tracing::error!(
                    outbox_ids = ?sent,
                    error = %error,
                    detail = ?error,
                    "could not record delivered mail; it is sent again after its lease"
                );
                Err(error)
            }
        }
    }

    /// Records what was delivered and puts the rows not yet sent back in the
    /// queue, due now, when the lane stops (else they would wait for their lease).
    async fn hand_back(&self, held: &mut Held) {
        let _ = self.record_batch(held, false).await;
        for item in std::mem::take(&mut held.rows) {
            let _ = self.release(&item, "not sent yet: the outbox worker stopped").await;
        }
    }

    /// Puts a claimed row back in the queue unsent, due now, with `why`; its
    /// claim does not count as an attempt.
    async fn release(&self, item: &OutboxItem, why: &str) -> Result<(), DomainError> {
        let released = self.store.outbox_release(item.id, self.clock.now(), why).await;
        if let Err(error) = &released {
            tracing::warn!(
                outbox_id = item.id,
                error = %error,
                "could not hand back a claimed row; it is sent once its lease runs out"
            );
        }
        released
    }
}
