//! What the tests share: a real SMTP server (the test kit's aiosmtpd sink) run as a
//! child process, an in-memory outbox store, and a few fixtures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::{Context as _, Result};
use async_trait::async_trait;
use sealpost_domain::DomainError;
use sealpost_domain::branding::Branding;
use sealpost_domain::messages::{NewOutboxItem, OutboxItem, PublicId, RenderedMail, SecureMessageNotice};
use sealpost_domain::ports::Notifier as _;
use sealpost_domain::ports::{FakeClock, OutboxStore, StoreResult};
use sealpost_domain::types::{EmailAddress, Locale, Timestamp};
use sealpost_mail::MailNotifier;

/// 2026-11-21 18:30:05.250 UTC: where every fake clock starts.
pub const START: Timestamp = Timestamp(1_795_285_805_250);

/// A parsed email address.
pub fn address(raw: &str) -> Result<EmailAddress> {
    Ok(EmailAddress::parse(raw)?)
}

/// A fake clock at [`START`].
pub fn clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(START))
}

/// The notifier every test renders with.
pub fn notifier(clock: Arc<FakeClock>) -> Result<Arc<MailNotifier>> {
    Ok(Arc::new(MailNotifier::new(
        "Sealpost",
        "sealpost@mail.example.com",
        clock,
    )?))
}

/// Alice's notification of message `[id; 16]` to `recipient` in `locale`, rendered
/// by `notifier`; the envelope carries `payload` when there is one.
pub fn alices_notification(
    notifier: &MailNotifier,
    recipient: &EmailAddress,
    locale: Locale,
    id: u8,
    sent_at: Timestamp,
    payload: Option<&[u8]>,
) -> Result<RenderedMail> {
    static NO_BRANDING: Branding = Branding {
        display_name: None,
        colour: None,
        logo: None,
    };
    let sender = address("alice@corp.example")?;
    let open_url = format!("https://sealpost.example.com/m/{id:02x}");
    let register_next = format!("/m/{id:02x}");
    Ok(notifier.secure_message(&SecureMessageNotice {
        attach_envelope: true,
        branding: &NO_BRANDING,
        file_name: sealpost_domain::profiles::DEFAULT_FILE_NAME,
        subject: None,
        help_url: None,
        contact: None,
        secret: None,
        locale,
        time_zone: None,
        from: "secure@corp.example",
        sender_name: "Alice Example",
        sender_email: &sender,
        recipient,
        sent_at,
        public_id: PublicId([id; 16]),
        open_url: &open_url,
        envelope_action: "https://sealpost.example.com/envelope/open",
        register_action: "https://sealpost.example.com/register",
        register_next: &register_next,
        payload,
    })?)
}

// --- the SMTP server ------------------------------------------------------------------

pub use sealpost_testkit::{ClosedPort, Received, SmtpSink, free_port};

/// The message less trailing line ends: the SMTP client ends DATA with an empty
/// line of its own, and servers differ in what they keep of it.
pub fn without_final_crlf(mut raw: &[u8]) -> &[u8] {
    while let Some(shorter) = raw.strip_suffix(b"\r\n") {
        raw = shorter;
    }
    raw
}

// --- the outbox store -----------------------------------------------------------------

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sending,
    Sent,
    Failed,
}

/// One outbox row as the fake keeps it: what a claim hands the worker, and the
/// row's state (its fields read through, as `row.attempts`).
#[derive(Debug, Clone)]
pub struct Row {
    pub item: OutboxItem,
    pub next_attempt_at: Timestamp,
    pub lease_until: Option<Timestamp>,
    pub status: Status,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

impl Row {
    /// Back to pending, due at `at`, with `error` as its last error.
    fn requeue(&mut self, at: Timestamp, error: &str) {
        self.status = Status::Pending;
        self.next_attempt_at = at;
        self.lease_until = None;
        self.last_error = Some(error.to_owned());
    }
}

impl std::ops::Deref for Row {
    type Target = OutboxItem;

    fn deref(&self) -> &OutboxItem {
        &self.item
    }
}

impl std::ops::DerefMut for Row {
    fn deref_mut(&mut self) -> &mut OutboxItem {
        &mut self.item
    }
}

/// An in-memory [`OutboxStore`] that behaves as the SQL one is specified to
/// (`attempts` counts claims, as the SQL store does: it grows in `claim_outbox`).
#[derive(Default)]
pub struct FakeStore {
    rows: Mutex<Vec<Row>>,
    fail_next_sent: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("injected failure: {0}")]
struct Injected(&'static str);

impl FakeStore {
    fn lock(&self) -> MutexGuard<'_, Vec<Row>> {
        self.rows.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of every row, in id order.
    pub fn rows(&self) -> Vec<Row> {
        self.lock().clone()
    }

    /// A copy of row `id`.
    pub fn row(&self, id: i64) -> Result<Row> {
        self.lock()
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .with_context(|| format!("no outbox row {id}"))
    }

    /// Makes the next `outbox_sent` fail, as if the process died right after sending.
    pub fn fail_next_outbox_sent(&self) {
        self.fail_next_sent.store(true, Ordering::SeqCst);
    }

    /// Queues one item and returns its id.
    pub fn push(&self, item: NewOutboxItem) -> i64 {
        let mut rows = self.lock();
        let id = i64::try_from(rows.len()).unwrap_or(i64::MAX) + 1;
        rows.push(Row {
            item: OutboxItem {
                id,
                kind: item.kind,
                to: item.to,
                message_id_header: item.mail.message_id,
                raw: item.mail.raw,
                message: item.message,
                bounce_to: item.bounce_to,
                attempts: 0,
                created_at: item.created_at,
            },
            next_attempt_at: item.created_at,
            lease_until: None,
            status: Status::Pending,
            last_error: None,
            sent_at: None,
        });
        id
    }

    fn update(&self, id: i64, change: impl FnOnce(&mut Row)) -> StoreResult<()> {
        let mut rows = self.lock();
        let row = rows.iter_mut().find(|r| r.id == id).ok_or(DomainError::NotFound)?;
        change(row);
        Ok(())
    }
}

#[async_trait]
impl OutboxStore for FakeStore {
    async fn release_outbox_leases(&self, _now: Timestamp) -> StoreResult<u64> {
        Ok(0)
    }

    async fn enqueue(&self, items: Vec<NewOutboxItem>) -> StoreResult<()> {
        for item in items {
            self.push(item);
        }
        Ok(())
    }

    async fn claim_outbox(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        let mut rows = self.lock();
        let mut due: Vec<&mut Row> = rows
            .iter_mut()
            .filter(|r| match r.status {
                Status::Pending => r.next_attempt_at <= now,
                Status::Sending => r.lease_until.is_some_and(|until| until <= now),
                Status::Sent | Status::Failed => false,
            })
            .collect();
        due.sort_by_key(|r| (r.next_attempt_at, r.id));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|row| {
                row.status = Status::Sending;
                row.lease_until = Some(lease_until);
                row.attempts += 1;
                row.item.clone()
            })
            .collect())
    }

    async fn outbox_sent(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        if self.fail_next_sent.swap(false, Ordering::SeqCst) {
            return Err(DomainError::internal(Injected("outbox_sent")));
        }
        self.update(id, |row| {
            row.status = Status::Sent;
            row.sent_at = Some(at);
            row.lease_until = None;
        })
    }

    async fn outbox_retry(&self, id: i64, next_attempt_at: Timestamp, error: &str) -> StoreResult<()> {
        self.update(id, |row| row.requeue(next_attempt_at, error))
    }

    async fn outbox_release(&self, id: i64, at: Timestamp, why: &str) -> StoreResult<()> {
        self.update(id, |row| {
            row.requeue(at, why);
            row.item.attempts = (row.item.attempts - 1).max(0);
        })
    }

    async fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        _reason: &str,
        bounce: Option<NewOutboxItem>,
    ) -> StoreResult<()> {
        self.update(id, |row| {
            row.status = Status::Failed;
            row.lease_until = None;
            row.last_error = Some(error.to_owned());
        })?;
        if let Some(bounce) = bounce {
            self.push(bounce);
        }
        Ok(())
    }

    async fn outbox_pending(&self) -> StoreResult<i64> {
        let rows = self.lock();
        let pending = rows
            .iter()
            .filter(|r| matches!(r.status, Status::Pending | Status::Sending))
            .count();
        Ok(i64::try_from(pending).unwrap_or(i64::MAX))
    }

    async fn outbox_oldest_waiting(&self) -> StoreResult<Option<Timestamp>> {
        let rows = self.lock();
        Ok(rows
            .iter()
            .filter(|r| matches!(r.status, Status::Pending | Status::Sending))
            .map(|r| r.created_at)
            .min())
    }

    async fn purge_finished_outbox(
        &self,
        sent_before: Timestamp,
        failed_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let mut rows = self.lock();
        let before = rows.len();
        let mut left = limit;
        rows.retain(|row| {
            let done = match row.status {
                Status::Sent => row.sent_at.is_some_and(|at| at < sent_before),
                Status::Failed => row.created_at < failed_before,
                _ => false,
            };
            if done && left > 0 {
                left -= 1;
                return false;
            }
            true
        });
        Ok((before - rows.len()) as u64)
    }

    async fn outbox_bring_forward(&self, now: Timestamp) -> StoreResult<u64> {
        let mut rows = self.lock();
        let mut waiting = 0;
        for row in rows.iter_mut() {
            if row.status == Status::Pending && row.next_attempt_at > now {
                row.next_attempt_at = now;
                waiting += 1;
            }
        }
        Ok(waiting)
    }
}
