//! The outbox worker: delivers what the outbox holds, at least once.
//!
//! Each round claims up to [`BATCH`] due rows with a lease of [`LEASE`] (so several
//! workers, on one node or many, never send the same row at the same time), sends
//! each through the [`Transport`], and records the outcome in the same store:
//!
//! - delivered: [`MessageStore::outbox_sent`];
//! - transient failure: [`MessageStore::outbox_retry`] after [`retry_delay`]
//!   (1 min, 5 min, 15 min, 1 h, 2 h, 4 h, then every 6 h), until the row is older
//!   than [`GIVE_UP_AFTER`] (4 days), when it is treated as permanent;
//! - permanent failure: [`MessageStore::outbox_failed`], together with a bounce to
//!   the sender in their language when the row is a recipient's notification (never
//!   for a bounce, so bounces cannot loop).
//!
//! A crash after sending but before recording leaves the row leased; when the lease
//! runs out the row is sent again with the same bytes and `Message-ID`. Rows this
//! worker claimed but did not reach before a shutdown wait for their lease likewise.
//!
//! Logs carry ids (outbox row, Message-ID, kind) and the recipient address, never
//! the message.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

use lettre::message::Mailbox;
use sealpost_domain::DomainError;
use sealpost_domain::messages::{MailKind, MessageStore, NewOutboxItem, Notifier, OutboxItem};
use sealpost_domain::ports::Clock;
use tokio::sync::Notify;

use crate::error::MailError;
use crate::transport::{SendError, Transport};

/// How many rows one claim takes. One: a worker that dies strands at most the row
/// it was sending, for at most [`LEASE`].
pub const BATCH: u32 = 1;
/// How long a claimed row stays reserved for this worker: four SMTP timeouts.
pub const LEASE: Duration = Duration::from_secs(2 * 60);
/// Transient failures of a row older than this are treated as permanent.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(4 * 24 * 60 * 60);
/// How long an idle worker sleeps when nobody pokes its [`OutboxWorker::waker`].
pub const IDLE_POLL: Duration = Duration::from_secs(1);
/// At most this many claims per [`OutboxWorker::run_once`], so a store that ignored
/// leases could not keep the worker in one call forever.
const MAX_ROUNDS: usize = 1024;

/// Delays after the 1st, 2nd, … transient failure; after the last, every 6 hours.
const RETRY_DELAYS: [Duration; 6] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(2 * 60 * 60),
    Duration::from_secs(4 * 60 * 60),
];
const RETRY_DELAY_LATER: Duration = Duration::from_secs(6 * 60 * 60);

/// How long to wait before the next attempt of a row that has failed `attempts`
/// times before the failure just seen (0 the first time).
pub fn retry_delay(attempts: i64) -> Duration {
    usize::try_from(attempts)
        .ok()
        .and_then(|n| RETRY_DELAYS.get(n))
        .copied()
        .unwrap_or(if attempts < 0 {
            RETRY_DELAYS[0]
        } else {
            RETRY_DELAY_LATER
        })
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Delivers the outbox; one per process is enough, more are safe.
pub struct OutboxWorker {
    /// Where the rows are.
    store: Arc<dyn MessageStore>,
    /// How they leave.
    transport: Arc<dyn Transport>,
    /// Decides what is due and when to retry.
    clock: Arc<dyn Clock>,
    /// Renders bounces.
    notifier: Arc<dyn Notifier>,
    /// The SMTP reverse path (`MAIL FROM`); empty for the null sender.
    envelope_from: String,
    /// Poked by whoever queues mail, so it leaves without waiting for the next poll.
    wake: Arc<Notify>,
}

impl std::fmt::Debug for OutboxWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWorker")
            .field("envelope_from", &self.envelope_from)
            .finish_non_exhaustive()
    }
}

impl OutboxWorker {
    /// A worker sending with `envelope_from` as the SMTP reverse path (the address
    /// that receives delayed bounces from remote servers; usually the address system
    /// emails come from; `Name <address>` is accepted and reduced to the address).
    pub fn new(
        store: Arc<dyn MessageStore>,
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
            store,
            transport,
            clock,
            notifier,
            envelope_from,
            wake: Arc::new(Notify::new()),
        })
    }

    /// The handle that wakes an idle worker: call `notify_one()` on it after queueing
    /// mail. (Without it, mail still leaves within [`IDLE_POLL`].)
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Delivers everything due now (including bounces queued along the way) and
    /// returns how many rows were attempted. For tests and `sealpost outbox flush`.
    ///
    /// A store error while recording an outcome does not stop the others; the first
    /// one is returned at the end (that row is sent again after its lease).
    pub async fn run_once(&self) -> Result<usize, DomainError> {
        self.drain(&mut || false).await
    }

    /// Runs until `shutdown` completes: delivers what is due, then waits for the
    /// [`waker`](Self::waker) or [`IDLE_POLL`]. On shutdown, a send in progress is
    /// finished and recorded; nothing new starts.
    pub async fn run<F: Future + Send>(self, shutdown: F) {
        let mut shutdown = Shutdown {
            future: std::pin::pin!(shutdown),
            done: false,
        };
        tracing::info!(envelope_from = %self.envelope_from, "outbox worker started");
        loop {
            if shutdown.requested() {
                break;
            }
            let busy = match self.drain(&mut || shutdown.requested()).await {
                Ok(attempted) => attempted >= MAX_ROUNDS * BATCH as usize,
                Err(error) => {
                    tracing::error!(error = %error, detail = ?error, "outbox worker could not use the store; trying again shortly");
                    false
                }
            };
            if shutdown.requested() {
                break;
            }
            if busy {
                continue;
            }
            tokio::select! {
                () = shutdown.wait() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Claims and delivers until nothing is due, `stop` says so, or [`MAX_ROUNDS`].
    async fn drain(&self, stop: &mut (dyn FnMut() -> bool + Send)) -> Result<usize, DomainError> {
        let mut attempted = 0;
        let mut first_error = None;
        'rounds: for _ in 0..MAX_ROUNDS {
            let now = self.clock.now();
            let items = self
                .store
                .claim_outbox(now, now.plus_seconds(seconds(LEASE)), BATCH)
                .await?;
            if items.is_empty() {
                break;
            }
            for item in items {
                if stop() {
                    break 'rounds;
                }
                attempted += 1;
                let (id, message_id) = (item.id, item.message_id_header.clone());
                if let Err(error) = self.deliver(item).await {
                    tracing::error!(
                        outbox_id = id,
                        message_id,
                        error = %error,
                        detail = ?error,
                        "could not record the outcome of a delivery; the row is sent again after its lease"
                    );
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(attempted),
        }
    }

    /// Sends one row and records what happened.
    async fn deliver(&self, item: OutboxItem) -> Result<(), DomainError> {
        let result = self.transport.send(&item.to, &self.envelope_from, &item.raw).await;
        let now = self.clock.now();
        let kind = item.kind.as_str();
        match result {
            Ok(()) => {
                tracing::info!(
                    outbox_id = item.id,
                    message_id = item.message_id_header,
                    kind,
                    to = %item.to,
                    attempts = item.attempts,
                    "mail delivered"
                );
                self.store.outbox_sent(item.id, now).await
            }
            Err(SendError::Transient(detail)) => {
                let age = now.seconds_since(item.created_at);
                if age >= seconds(GIVE_UP_AFTER) {
                    let days = age / 86_400;
                    let error = format!("gave up after {days} days of temporary failures; last: {detail}");
                    return self.give_up(&item, &error, &detail, now).await;
                }
                let next = now.plus_seconds(seconds(retry_delay(item.attempts.saturating_sub(1))));
                tracing::warn!(
                    outbox_id = item.id,
                    message_id = item.message_id_header,
                    kind,
                    to = %item.to,
                    attempts = item.attempts,
                    next_attempt_at = %next.display_utc(),
                    error = detail,
                    "mail not delivered yet; will try again"
                );
                self.store.outbox_retry(item.id, next, &detail).await
            }
            Err(SendError::Permanent(detail)) => self.give_up(&item, &detail, &detail, now).await,
        }
    }

    /// Marks a row failed; for a notification, queues a bounce to its sender.
    async fn give_up(
        &self,
        item: &OutboxItem,
        error: &str,
        reason: &str,
        now: sealpost_domain::types::Timestamp,
    ) -> Result<(), DomainError> {
        let bounce = match (&item.kind, &item.bounce_to) {
            (MailKind::Notification, Some((sender, locale))) => {
                match self.notifier.bounce(sender, *locale, &item.to, reason) {
                    Ok(mail) => Some(NewOutboxItem {
                        kind: MailKind::Bounce,
                        to: sender.clone(),
                        mail,
                        message: item.message,
                        bounce_to: None,
                        created_at: now,
                    }),
                    Err(render_error) => {
                        tracing::error!(
                            outbox_id = item.id,
                            error = %render_error,
                            detail = ?render_error,
                            "could not render the bounce; the sender will not be told"
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        tracing::warn!(
            outbox_id = item.id,
            message_id = item.message_id_header,
            kind = item.kind.as_str(),
            to = %item.to,
            attempts = item.attempts,
            bounce_to = bounce.as_ref().map(|b| b.to.to_string()),
            error,
            "mail could not be delivered; giving up"
        );
        self.store.outbox_failed(item.id, error, bounce).await
    }
}

/// The shutdown future, checked between sends without blocking.
struct Shutdown<'a, F: Future> {
    future: Pin<&'a mut F>,
    done: bool,
}

impl<F: Future> Shutdown<'_, F> {
    /// Whether shutdown has been asked for, without waiting.
    fn requested(&mut self) -> bool {
        if !self.done {
            let mut context = Context::from_waker(Waker::noop());
            self.done = self.future.as_mut().poll(&mut context).is_ready();
        }
        self.done
    }

    /// Waits for shutdown.
    async fn wait(&mut self) {
        if !self.done {
            self.future.as_mut().await;
            self.done = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_settle_at_six_hours() {
        let minutes: Vec<u64> = (0..9).map(|n| retry_delay(n).as_secs() / 60).collect();
        assert_eq!(minutes, [1, 5, 15, 60, 120, 240, 360, 360, 360]);
        assert_eq!(retry_delay(-1), Duration::from_secs(60));
    }

    #[test]
    fn retrying_for_four_days_takes_a_couple_of_dozen_attempts() {
        let mut elapsed = Duration::ZERO;
        let mut attempts = 0;
        while elapsed < GIVE_UP_AFTER {
            elapsed += retry_delay(attempts);
            attempts += 1;
        }
        assert!((15..=25).contains(&attempts), "{attempts} attempts");
    }
}
