//! What the tests share: a real SMTP server (aiosmtpd, `tests/smtp_sink.py`) run as
//! a child process, an in-memory outbox store, and a few fixtures.

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use async_trait::async_trait;
use sealpost_domain::DomainError;
use sealpost_domain::messages::{
    AccountKey, Confirmation, MailKind, Message, MessageId, MessageStore, NewMessage, NewOutboxItem, OutboxItem,
    PublicId, Recipient, RegistrationAttempt, TokenPurpose,
};
use sealpost_domain::model::{Account, AuditEvent, User};
use sealpost_domain::ports::{FakeClock, StoreResult};
use sealpost_domain::types::{AccountId, EmailAddress, Locale, Timestamp, UserId};
use sealpost_mail::MailNotifier;
use tempfile::TempDir;

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

// --- the SMTP server ------------------------------------------------------------------

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The DATA bytes as the server stored them.
    pub raw: Vec<u8>,
    /// `MAIL FROM`.
    pub mail_from: String,
    /// `RCPT TO`, accepted ones only.
    pub rcpt_tos: Vec<String>,
}

impl Received {
    /// The `Message-ID` header, without brackets.
    pub fn message_id(&self) -> Option<String> {
        sealpost_mail::transport::message_id_of(&self.raw)
    }
}

/// A running `tests/smtp_sink.py`; killed when dropped.
pub struct SmtpSink {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    dir: TempDir,
}

/// Whether the SMTP tests may be skipped (`SEALPOST_SKIP_SMTP=1`).
fn skip_allowed() -> bool {
    std::env::var("SEALPOST_SKIP_SMTP").is_ok_and(|v| v == "1")
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl SmtpSink {
    /// Starts a sink on a free port and waits until it answers. `None` when python3
    /// or aiosmtpd is missing and `SEALPOST_SKIP_SMTP=1` allows skipping; without that
    /// variable a missing server is an error that says how to install it.
    pub fn start() -> Result<Option<Self>> {
        Self::start_on(None)
    }

    /// As [`SmtpSink::start`], on `port` when given (a relay that comes back where
    /// it was), else on a free one.
    pub fn start_on(port: Option<u16>) -> Result<Option<Self>> {
        let probe = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !probe.is_ok_and(|status| status.success()) {
            if skip_allowed() {
                eprintln!("SEALPOST_SKIP_SMTP=1: skipping a test that needs python3 with aiosmtpd");
                return Ok(None);
            }
            bail!(
                "these tests deliver to a real SMTP server and need python3 with aiosmtpd: \
                 install it with `pip install aiosmtpd` (or `apt-get install python3-aiosmtpd`), \
                 or set SEALPOST_SKIP_SMTP=1 to skip them"
            );
        }
        let dir = tempfile::tempdir()?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        // A port can be taken between probing and binding; try a few.
        let mut last_error = None;
        for _ in 0..5 {
            let port = match port {
                Some(port) => port,
                None => free_port()?,
            };
            let stderr_path = dir.path().join(format!("sink-{port}.log"));
            let mut child = Command::new("python3")
                .arg(&script)
                .args(["--port", &port.to_string(), "--dir"])
                .arg(dir.path().join("received"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&stderr_path)?)
                .spawn()
                .context("while starting python3 tests/smtp_sink.py")?;
            let ready = child
                .stdout
                .take()
                .map(|out| BufReader::new(out).lines().next())
                .and_then(|line| line.and_then(Result::ok))
                .is_some_and(|line| line.starts_with("ready"));
            if ready && wait_until_listening(port, Duration::from_secs(15)) {
                return Ok(Some(Self { child, port, dir }));
            }
            let _ = child.kill();
            let _ = child.wait();
            last_error = Some(std::fs::read_to_string(&stderr_path).unwrap_or_default());
        }
        bail!("the SMTP sink did not start: {}", last_error.unwrap_or_default())
    }

    /// Everything accepted so far, in arrival order.
    pub fn received(&self) -> Result<Vec<Received>> {
        let dir = self.dir.path().join("received");
        let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "env"))
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
            .into_iter()
            .map(|env| {
                let text = std::fs::read_to_string(&env)?;
                let mut lines = text.lines();
                let mail_from = lines.next().unwrap_or_default().to_owned();
                let rcpt_tos = lines.map(str::to_owned).collect();
                let raw = std::fs::read(env.with_extension("eml"))?;
                Ok(Received {
                    raw,
                    mail_from,
                    rcpt_tos,
                })
            })
            .collect()
    }
}

fn wait_until_listening(port: u16, limit: Duration) -> bool {
    let started = Instant::now();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    while started.elapsed() < limit {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

/// One outbox row as the fake keeps it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub kind: MailKind,
    pub to: EmailAddress,
    pub message_id_header: String,
    pub raw: Vec<u8>,
    pub message: Option<MessageId>,
    pub bounce_to: Option<(EmailAddress, Locale)>,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    pub lease_until: Option<Timestamp>,
    pub status: Status,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// An in-memory [`MessageStore`] whose outbox behaves as the SQL one is specified to
/// (`attempts` counts claims, as the SQL store does: it grows in `claim_outbox`);
/// everything else answers `NotFound` or nothing.
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
            id,
            kind: item.kind,
            to: item.to,
            message_id_header: item.mail.message_id,
            raw: item.mail.raw,
            message: item.message,
            bounce_to: item.bounce_to,
            attempts: 0,
            created_at: item.created_at,
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
impl MessageStore for FakeStore {
    async fn account_key(&self, _account: AccountId, _version: Option<i64>) -> StoreResult<Option<AccountKey>> {
        Ok(None)
    }
    async fn insert_account_key(&self, _key: &AccountKey) -> StoreResult<()> {
        Err(DomainError::NotFound)
    }
    async fn begin_upload(&self, _public_id: &PublicId, _at: Timestamp) -> StoreResult<()> {
        Ok(())
    }
    async fn end_upload(&self, _public_id: &PublicId) -> StoreResult<()> {
        Ok(())
    }
    async fn stale_uploads(&self, _before: Timestamp) -> StoreResult<Vec<PublicId>> {
        Ok(Vec::new())
    }
    async fn insert_message(
        &self,
        _message: NewMessage,
        _outbox: Vec<NewOutboxItem>,
        _audit: AuditEvent,
    ) -> StoreResult<Message> {
        Err(DomainError::NotFound)
    }
    async fn message(&self, _public_id: &PublicId) -> StoreResult<Message> {
        Err(DomainError::NotFound)
    }
    async fn account(&self, _id: AccountId) -> StoreResult<Account> {
        Err(DomainError::NotFound)
    }
    async fn message_by_id(&self, _id: MessageId) -> StoreResult<Message> {
        Err(DomainError::NotFound)
    }
    async fn recipients(&self, _message: MessageId) -> StoreResult<Vec<Recipient>> {
        Ok(Vec::new())
    }
    async fn sent_messages(
        &self,
        _sender: UserId,
        _before: Option<MessageId>,
        _limit: u32,
    ) -> StoreResult<Vec<Message>> {
        Ok(Vec::new())
    }
    async fn received_messages(
        &self,
        _email: &EmailAddress,
        _before: Option<MessageId>,
        _limit: u32,
    ) -> StoreResult<Vec<Message>> {
        Ok(Vec::new())
    }
    async fn account_messages(
        &self,
        _account: AccountId,
        _before: Option<MessageId>,
        _limit: u32,
    ) -> StoreResult<Vec<Message>> {
        Ok(Vec::new())
    }
    async fn mark_opened(
        &self,
        _message: MessageId,
        _email: &EmailAddress,
        _at: Timestamp,
        _receipt: Option<NewOutboxItem>,
        _audit: AuditEvent,
    ) -> StoreResult<bool> {
        Err(DomainError::NotFound)
    }
    async fn set_lock(
        &self,
        _message: MessageId,
        _lock: Option<(Timestamp, String)>,
        _audit: AuditEvent,
    ) -> StoreResult<()> {
        Err(DomainError::NotFound)
    }
    async fn set_expiry(
        &self,
        _message: MessageId,
        _expires_at: Option<Timestamp>,
        _audit: AuditEvent,
    ) -> StoreResult<()> {
        Err(DomainError::NotFound)
    }
    async fn shred_expired(&self, _cutoff: Timestamp, _limit: u32) -> StoreResult<Vec<PublicId>> {
        Ok(Vec::new())
    }

    async fn release_outbox_leases(&self, _now: Timestamp) -> StoreResult<u64> {
        Ok(0)
    }

    async fn stale_data_keys(
        &self,
        _account: AccountId,
        _current: i64,
        _limit: u32,
    ) -> StoreResult<Vec<sealpost_domain::messages::WrappedDataKey>> {
        Ok(Vec::new())
    }

    async fn rewrap_data_key(&self, _message: MessageId, _from: i64, _to: i64, _wrapped: &[u8]) -> StoreResult<bool> {
        Ok(false)
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
                OutboxItem {
                    id: row.id,
                    kind: row.kind,
                    to: row.to.clone(),
                    message_id_header: row.message_id_header.clone(),
                    raw: row.raw.clone(),
                    message: row.message,
                    bounce_to: row.bounce_to.clone(),
                    attempts: row.attempts,
                    created_at: row.created_at,
                }
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
        self.update(id, |row| {
            row.status = Status::Pending;
            row.next_attempt_at = next_attempt_at;
            row.lease_until = None;
            row.last_error = Some(error.to_owned());
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

    async fn begin_registration(
        &self,
        _email: &EmailAddress,
        _attempt: &RegistrationAttempt,
        _at: Timestamp,
        _audit: AuditEvent,
    ) -> StoreResult<User> {
        Err(DomainError::NotFound)
    }
    async fn registration_user(&self, _token_hash: &str, _now: Timestamp) -> StoreResult<Option<UserId>> {
        Ok(None)
    }
    async fn complete_registration(
        &self,
        _token_hash: &str,
        _user: UserId,
        _now: Timestamp,
        _audit: AuditEvent,
    ) -> StoreResult<bool> {
        Ok(false)
    }
    async fn insert_token(
        &self,
        _user: UserId,
        _purpose: TokenPurpose,
        _session: Option<&str>,
        _link: &Confirmation,
        _audit: AuditEvent,
    ) -> StoreResult<()> {
        Err(DomainError::NotFound)
    }
    async fn consume_token(
        &self,
        _hash: &str,
        _purpose: TokenPurpose,
        _session: Option<&str>,
        _now: Timestamp,
    ) -> StoreResult<Option<UserId>> {
        Ok(None)
    }
    async fn token_user(&self, _hash: &str, _purpose: TokenPurpose, _now: Timestamp) -> StoreResult<Option<UserId>> {
        Ok(None)
    }
}
