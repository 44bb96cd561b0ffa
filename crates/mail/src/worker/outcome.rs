//! One delivery's outcome: the relay took it (the caller records it with its
//! batch), a temporary failure retried after [`retry_delay`] (until the row is
//! [`GIVE_UP_AFTER`] old), or a permanent failure given up with its bounce. The
//! first delivery after the relay failed brings every waiting row forward.

use std::sync::atomic::Ordering;
use std::time::Duration;

use sealpost_domain::DomainError;
use sealpost_domain::messages::{MailKind, NewOutboxItem, OutboxItem};
use sealpost_domain::sealed_mail;

use super::{GIVE_UP_AFTER, Inner};
use crate::transport::SendError;

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

pub(super) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// What became of one delivery attempt.
pub(super) enum Delivery {
    /// The relay took it; its record is the caller's.
    Sent,
    /// It failed and that is recorded (a retry, or given up).
    Recorded,
}

impl Inner {
    /// Sends one row within `limit` and records a failure; a delivery is
    /// [`Delivery::Sent`], for the caller to record.
    pub(super) async fn deliver(&self, item: OutboxItem, limit: Duration) -> Result<Delivery, DomainError> {
        let raw = match (&self.seal, sealed_mail::is_sealed(&item.raw)) {
            (_, false) => Ok(std::borrow::Cow::Borrowed(item.raw.as_slice())),
            (Some(seal), true) => seal.open(&item.raw).map_err(|e| e.to_string()),
            (None, true) => Err("no key to open it is configured".to_owned()),
        };
        let result = match &raw {
            Ok(raw) => tokio::time::timeout(limit, self.transport.send(&item.to, &self.envelope_from, raw))
                .await
                .unwrap_or_else(|_| {
                    Err(SendError::Unavailable(format!(
                        "the delivery did not finish within {} s",
                        limit.as_secs()
                    )))
                }),
            Err(why) => {
                tracing::error!(outbox_id = item.id, reason = %why, "a sealed outbox row could not be opened; it waits");
                Err(SendError::Transient(format!(
                    "the stored mail could not be opened: {why}"
                )))
            }
        };
        drop(raw);
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
                metrics::counter!("sealpost_mail_deliveries_total", "outcome" => "sent").increment(1);
                let came_back = self.relay_failed.swap(false, Ordering::SeqCst);
                if came_back || item.attempts > 1 {
                    self.bring_waiting_forward(now).await;
                }
                Ok(Delivery::Sent)
            }
            Err(error @ (SendError::Transient(_) | SendError::Unavailable(_))) => {
                if matches!(error, SendError::Unavailable(_)) {
                    self.relay_failed.store(true, Ordering::SeqCst);
                }
                let detail = error.detail();
                let age = now.seconds_since(item.created_at);
                if age >= seconds(GIVE_UP_AFTER) {
                    let days = age / 86_400;
                    let error = format!("gave up after {days} days of temporary failures; last: {detail}");
                    return self
                        .give_up(&item, &error, detail, now)
                        .await
                        .map(|()| Delivery::Recorded);
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
                metrics::counter!("sealpost_mail_deliveries_total", "outcome" => "retry").increment(1);
                self.store
                    .outbox_retry(item.id, next, detail)
                    .await
                    .map(|()| Delivery::Recorded)
            }
            Err(SendError::Permanent(detail)) => self
                .give_up(&item, &detail, &detail, now)
                .await
                .map(|()| Delivery::Recorded),
        }
    }

    /// A delivery succeeded after failures: what waited for the relay goes now.
    async fn bring_waiting_forward(&self, now: sealpost_domain::types::Timestamp) {
        match self.store.outbox_bring_forward(now).await {
            Ok(0) => {}
            Ok(waiting) => {
                tracing::info!(waiting, "the relay accepts mail again; every waiting email is due now");
                self.wake.notify_waiters();
            }
            Err(error) => tracing::warn!(
                error = %error,
                detail = ?error,
                "could not bring waiting mail forward; it leaves at its next retry"
            ),
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
        metrics::counter!("sealpost_mail_deliveries_total", "outcome" => "failed").increment(1);
        self.store.outbox_failed(item.id, error, reason, bounce).await
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
