//! The HTTP listener: accepts connections, serves each with hyper, and keeps
//! hostile or forgotten connections from using up the process.
//!
//! What it guards against, and how:
//!
//! - **Idle and slow-header connections** (slowloris): a request head must arrive
//!   whole within [`ServerLimits::header_timeout`], counted from the moment the
//!   connection opens or the previous response ended; a connection that has not
//!   sent one by then is closed. A keep-alive connection therefore stays idle for
//!   at most that long.
//! - **Stalled requests**: while a request is being served, a connection on which
//!   nothing is read or written for [`ServerLimits::idle_timeout`] (a body that
//!   stops arriving, a response nobody reads) is closed.
//! - **Too many connections**: at most [`ServerLimits::max_connections`] are open
//!   at once (the caller derives it from the open-file limit). A connection that
//!   arrives when all are taken closes the one that has waited longest without a
//!   request in progress; when every connection is serving a request, the newcomer
//!   gets a short `503 Service Unavailable` with `Retry-After` and is closed.
//! - **Shutdown**: when `shutdown` completes, no connection is accepted any more,
//!   connections without a request in progress (idle, or still sending the head)
//!   close at once, requests in progress may finish for
//!   [`ServerLimits::shutdown_timeout`]; whatever is still open then is dropped.
//!
//! Each connection is a task in one [`JoinSet`]; a small table of [`Slot`]s says,
//! for each, whether a request is in progress and when it last made progress, which
//! is all the eviction and the stall check need.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use sealpost_domain::types::Locale;
use sealpost_i18n::Translator;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// How long connections may take, and how many there may be.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Connections open at once; past it, the longest-idle one is closed, or the
    /// newcomer refused.
    pub max_connections: usize,
    /// Time to send a whole request head (also the keep-alive idle time).
    pub header_timeout: Duration,
    /// Time without any byte read or written while a request is in progress.
    pub idle_timeout: Duration,
    /// Time requests in progress get to finish once shutdown begins.
    pub shutdown_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// What a running connection shares with the listener.
struct Slot {
    /// Requests of this connection being served (their responses not yet sent).
    in_flight: AtomicUsize,
    /// When the connection last had no request in progress began (ms on the table's clock).
    idle_since: AtomicU64,
    /// When a byte was last read or written (ms on the table's clock).
    last_io: AtomicU64,
    /// Set once the listener has decided to close this connection.
    closing: AtomicBool,
    /// Wakes the connection's task to close it.
    close: Notify,
}

/// Every open connection, by number.
struct Table {
    started: Instant,
    slots: Mutex<HashMap<u64, Arc<Slot>>>,
    next: AtomicU64,
}

/// What [`Table::admit`] decided for a newcomer.
enum Admission {
    /// Serve it (another connection may have been told to close to make room).
    Serve(u64, Arc<Slot>),
    /// Every connection is serving a request: refuse it.
    Full,
}

impl Table {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn admit(&self, max: usize) -> Admission {
        let now = self.now();
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let open = slots.values().filter(|s| !s.closing.load(Ordering::Relaxed)).count();
        if open >= max {
            let victim = slots
                .values()
                .filter(|s| !s.closing.load(Ordering::Relaxed) && s.in_flight.load(Ordering::Relaxed) == 0)
                .min_by_key(|s| s.idle_since.load(Ordering::Relaxed));
            match victim {
                Some(victim) => {
                    victim.closing.store(true, Ordering::Relaxed);
                    victim.close.notify_one();
                }
                None => return Admission::Full,
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(now),
            last_io: AtomicU64::new(now),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        slots.insert(id, slot.clone());
        Admission::Serve(id, slot)
    }

    fn remove(&self, id: u64) {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }

    /// Tells every connection without a request in progress to close (at shutdown:
    /// half a request head is not worth waiting for); how many.
    fn close_idle(&self) -> usize {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let mut closed = 0;
        for slot in slots.values() {
            if slot.in_flight.load(Ordering::Relaxed) == 0 && !slot.closing.swap(true, Ordering::Relaxed) {
                slot.close.notify_one();
                closed += 1;
            }
        }
        closed
    }

    /// Tells connections whose request made no progress for `idle` to close; how many.
    fn close_stalled(&self, idle: Duration) -> usize {
        let now = self.now();
        let limit = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let mut closed = 0;
        for slot in slots.values() {
            let stalled = slot.in_flight.load(Ordering::Relaxed) > 0
                && now.saturating_sub(slot.last_io.load(Ordering::Relaxed)) > limit;
            if stalled && !slot.closing.swap(true, Ordering::Relaxed) {
                slot.close.notify_one();
                closed += 1;
            }
        }
        closed
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes and the
/// connections have finished (or the shutdown deadline passed).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let table = Arc::new(Table {
        started: Instant::now(),
        slots: Mutex::new(HashMap::new()),
        next: AtomicU64::new(0),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    let busy = Bytes::from(busy_answer());
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stall_check = tokio::time::interval((limits.idle_timeout / 4).max(Duration::from_millis(250)));
    let mut refused: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next() => {}
            _ = stall_check.tick() => {
                let closed = table.close_stalled(limits.idle_timeout);
                if closed > 0 {
                    tracing::warn!(closed, idle_secs = limits.idle_timeout.as_secs(), "closed connections whose request made no progress");
                }
            }
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors, or a connection reset before it was
                        // accepted: wait a moment instead of spinning.
                        tracing::warn!(%error, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match table.admit(limits.max_connections) {
                    Admission::Serve(id, slot) => {
                        let task = Connection {
                            id,
                            slot,
                            table: table.clone(),
                            http: http.clone(),
                            app: app.clone(),
                            peer,
                            stopping: stopping.clone(),
                        };
                        connections.spawn(task.run(stream));
                    }
                    Admission::Full => {
                        // A fresh socket's send buffer is empty: the short answer fits
                        // without waiting on a client that may never read.
                        let _ = stream.try_write(&busy);
                        refused += 1;
                        if refused.is_power_of_two() {
                            tracing::warn!(refused, max = limits.max_connections, "refused connections: every connection is serving a request");
                        }
                    }
                }
            }
        }
    }
    drop(listener);
    let _ = stop.send(true);
    let idle = table.close_idle();
    let open = table.len().saturating_sub(idle);
    tracing::info!(
        closed_idle = idle,
        in_progress = open,
        deadline_secs = limits.shutdown_timeout.as_secs(),
        "no new connections; waiting for requests in progress"
    );
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            dropped = connections.len(),
            "shutdown deadline passed: closing the connections still open"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// The `503` a refused connection gets: plain text in every language.
fn busy_answer() -> String {
    let text: String = [Locale::En, Locale::De, Locale::Fr]
        .into_iter()
        .map(|l| Translator::new(l).get("net-busy") + "\n")
        .collect();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{text}",
        text.len()
    )
}

/// One accepted connection and what it needs.
struct Connection {
    id: u64,
    slot: Arc<Slot>,
    table: Arc<Table>,
    http: Arc<hyper::server::conn::http1::Builder>,
    app: Router,
    peer: SocketAddr,
    stopping: watch::Receiver<bool>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream) {
        let io = TokioIo::new(Tracked {
            inner: stream,
            slot: self.slot.clone(),
            table: self.table.clone(),
        });
        let (slot, table, app, peer) = (self.slot.clone(), self.table.clone(), self.app.clone(), self.peer);
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let guard = InFlight::begin(slot.clone(), table.clone());
            let mut app = app.clone();
            async move {
                let response = match tower_service::Service::call(&mut app, request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| GuardedBody { body, _guard: guard }))
            }
        });
        let connection = self.http.serve_connection(io, service);
        tokio::pin!(connection);
        let mut graceful = *self.stopping.borrow();
        if graceful {
            connection.as_mut().graceful_shutdown();
        }
        loop {
            tokio::select! {
                _ = connection.as_mut() => break,
                () = self.slot.close.notified() => break,
                changed = self.stopping.changed(), if !graceful => {
                    graceful = true;
                    if changed.is_ok() {
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        }
        self.table.remove(self.id);
    }
}

/// Counts a request as in progress until its response body is sent or dropped.
struct InFlight {
    slot: Arc<Slot>,
    table: Arc<Table>,
}

impl InFlight {
    fn begin(slot: Arc<Slot>, table: Arc<Table>) -> Self {
        slot.in_flight.fetch_add(1, Ordering::Relaxed);
        slot.last_io.store(table.now(), Ordering::Relaxed);
        Self { slot, table }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.slot.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.slot.idle_since.store(self.table.now(), Ordering::Relaxed);
        }
    }
}

/// A response body that keeps its request counted as in progress.
struct GuardedBody {
    body: axum::body::Body,
    _guard: InFlight,
}

impl hyper::body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The socket, noting when bytes move (for the stall check).
struct Tracked {
    inner: TcpStream,
    slot: Arc<Slot>,
    table: Arc<Table>,
}

impl Tracked {
    fn moved(&self) {
        self.slot.last_io.store(self.table.now(), Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.moved();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.moved();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.moved();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
