//! `kaegis detect --listen`: the API server's audit webhook backend.
//!
//! The API server POSTs an `audit.k8s.io/v1 EventList` per batch (to the URL
//! of its `--audit-webhook-config-file`) and retries, with backoff, answers
//! that are not 2xx. This server:
//!
//! - takes POSTs on `/audit` and `/` over HTTPS ([`kaegis_serve`]: TLS
//!   reload, body limit → 413, request timeout → 408, health and metrics);
//! - decodes the body before answering: a body that is not an Event or an
//!   EventList gets 400 with the reason, is counted
//!   (`kaegis_detect_decode_errors_total`) and logged as one JSON line on
//!   standard error with the client's address. **A batch is taken or
//!   refused whole**: one malformed item makes the body undecodable, and
//!   taking part of a batch the sender cannot resend in part would lose
//!   the rest without trace (the API server does not retry a 400; it logs
//!   the failure on its side too);
//! - queues decoded batches in a queue bounded in events
//!   ([`ServerOptions::queue_events`]); one worker thread owns the
//!   [`Pipeline`] (the detector's state has one writer). When the queue is
//!   full the request waits up to [`ServerOptions::enqueue_wait`], then
//!   gets 429 with `Retry-After`, which the API server retries:
//!   back-pressure, never a silent drop. 200 means the batch is queued;
//!   nothing queued is ever discarded;
//! - on shutdown (SIGTERM/SIGINT or the caller's signal): unready, stop
//!   accepting, let in-flight requests finish, then process everything
//!   queued, flush the sinks, and hand the pipeline back.
//!
//! The body is decoded twice, once by the request's task to answer 400
//! before accepting, once by the worker: events borrow from their body, and
//! decoding on the request tasks spreads the first pass over every core
//! while the single worker does the detection.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use kaegis_serve::ops::Ops;
use kaegis_serve::{Body, Bound, Limits, OpsHandle, Server, error, read_body, reply, timed};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::event::{for_each, format_rfc3339_micros};
use crate::metrics::{CodeLabels, DetectMetrics, StageLabels};
use crate::pipeline::{Pipeline, PipelineError};

/// The server's settings.
pub struct ServerOptions {
    /// Addresses, certificate, limits.
    pub serve: kaegis_serve::Options,
    /// Events that may wait for the detector; a batch waits for room, then
    /// gets 429. A batch larger than this is taken when the queue is empty.
    pub queue_events: usize,
    /// How long a request waits for room in the queue before 429.
    pub enqueue_wait: Duration,
    /// The `Retry-After` of a 429 or 503.
    pub retry_after: Duration,
    /// Called by the worker with the pipeline when the queue runs dry, at
    /// most once per [`CHECKPOINT_EVERY`], and once more after the drain:
    /// where the detector's state is saved.
    pub checkpoint: Option<Checkpointer>,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("serve", &self.serve)
            .field("queue_events", &self.queue_events)
            .field("enqueue_wait", &self.enqueue_wait)
            .field("retry_after", &self.retry_after)
            .field("checkpoint", &self.checkpoint.is_some())
            .finish()
    }
}

/// Saves what must survive a restart (the detector's state).
pub type Checkpointer = Box<dyn FnMut(&Pipeline) + Send>;

/// The least time between two checkpoints of a busy server.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

impl ServerOptions {
    /// Defaults around the given addresses and certificate: see
    /// [`default_limits`]; a queue of 50,000 events (125 of the API
    /// server's default 400-event batches), 5 s wait, `Retry-After: 1`.
    pub fn new(
        listen: SocketAddr,
        metrics_listen: Option<SocketAddr>,
        tls_cert: std::path::PathBuf,
        tls_key: std::path::PathBuf,
    ) -> Self {
        Self {
            serve: kaegis_serve::Options {
                listen,
                metrics_listen,
                tls_cert,
                tls_key,
                limits: default_limits(),
            },
            queue_events: 50_000,
            enqueue_wait: Duration::from_secs(5),
            retry_after: Duration::from_secs(1),
            checkpoint: None,
        }
    }
}

/// The audit webhook's bounds: 64 MiB bodies (a 400-event batch at level
/// RequestResponse can be tens of MiB), 20 s per request (above
/// [`ServerOptions::enqueue_wait`]), 20 s to drain.
pub fn default_limits() -> Limits {
    Limits {
        max_body: 64 * 1024 * 1024,
        request_timeout: Duration::from_secs(20),
        drain: Duration::from_secs(20),
    }
}

/// One accepted batch.
struct Batch {
    body: Bytes,
    events: usize,
    received: Instant,
    /// Room in the queue, given back once the batch is judged.
    _room: OwnedSemaphorePermit,
}

enum Job {
    Batch(Batch),
    /// Everything before it was accepted; nothing after it will be.
    Stop,
}

struct Ingest {
    metrics: DetectMetrics,
    limits: Limits,
    capacity: usize,
    enqueue_wait: Duration,
    retry_after: Duration,
    room: Arc<Semaphore>,
    tx: mpsc::UnboundedSender<Job>,
    /// True while batches are taken; written once, at shutdown, under the
    /// lock so that no batch is queued after [`Job::Stop`].
    open: RwLock<bool>,
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// One structured line on standard error.
fn log(level: &str, message: &str, fields: serde_json::Value) {
    let mut line = serde_json::json!({
        "time": format_rfc3339_micros(now_micros()),
        "level": level,
        "component": "kaegis detect",
        "msg": message,
    });
    if let (Some(obj), serde_json::Value::Object(extra)) = (line.as_object_mut(), fields) {
        obj.extend(extra);
    }
    eprintln!("{line}");
}

impl Ingest {
    fn busy(&self, code: StatusCode, message: &str) -> Response<Body> {
        let mut r = error(code, message);
        let secs = self.retry_after.as_secs().max(1);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(RETRY_AFTER, v);
        }
        r
    }

    async fn ingest(&self, req: Request<Incoming>) -> Response<Body> {
        let body = match read_body(req.into_body(), self.limits.max_body).await {
            Ok(b) => b,
            Err(response) => return response,
        };
        let received = Instant::now();
        let events = match for_each(&body, |_| {}) {
            Ok(n) => n,
            Err(e) => {
                self.metrics.decode_errors.inc();
                return error(StatusCode::BAD_REQUEST, &e.to_string());
            }
        };
        self.metrics.events_received.inc_by(events as u64);
        if events == 0 {
            return reply(StatusCode::OK, "application/json", "{}");
        }
        // A batch over the whole capacity takes all of it.
        let want = u32::try_from(events.min(self.capacity)).unwrap_or(u32::MAX);
        let room = match tokio::time::timeout(
            self.enqueue_wait,
            self.room.clone().acquire_many_owned(want),
        )
        .await
        {
            Ok(Ok(room)) => room,
            Ok(Err(_)) => {
                return self.busy(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
            }
            Err(_) => {
                return self.busy(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!(
                        "the detector's queue is full ({} events); retry later",
                        self.capacity
                    ),
                );
            }
        };
        {
            let open = match self.open.read() {
                Ok(g) => *g,
                Err(_) => false,
            };
            if !open
                || self
                    .tx
                    .send(Job::Batch(Batch {
                        body,
                        events,
                        received,
                        _room: room,
                    }))
                    .is_err()
            {
                return self.busy(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
            }
        }
        self.metrics.queue_events.inc_by(events as i64);
        self.metrics
            .latency
            .get_or_create(&StageLabels {
                stage: "enqueued".into(),
            })
            .observe(received.elapsed().as_secs_f64());
        reply(StatusCode::OK, "application/json", "{}")
    }
}

impl kaegis_serve::Handler for Ingest {
    async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let resp = match (req.method(), path.as_str()) {
            (&Method::POST, "/audit" | "/") => {
                timed(self.limits.request_timeout, self.ingest(req)).await
            }
            (_, "/audit" | "/") => error(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST an audit.k8s.io EventList",
            ),
            _ => error(
                StatusCode::NOT_FOUND,
                "kaegis detect takes audit events on /audit and /",
            ),
        };
        let code = resp.status();
        self.metrics
            .batches
            .get_or_create(&CodeLabels {
                code: code.as_u16().to_string(),
            })
            .inc();
        if !code.is_success() {
            let reason = String::from_utf8_lossy(&body_text(&resp)).into_owned();
            log(
                if code == StatusCode::TOO_MANY_REQUESTS {
                    "info"
                } else {
                    "warn"
                },
                "audit batch refused",
                serde_json::json!({
                    "remote": peer.to_string(),
                    "path": path,
                    "code": code.as_u16(),
                    "error": serde_json::from_str::<serde_json::Value>(&reason)
                        .ok()
                        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                        .unwrap_or(reason),
                }),
            );
        }
        resp
    }
}

/// The bytes of a reply built by [`error`] (a full body).
fn body_text(resp: &Response<Body>) -> Bytes {
    use hyper::body::Body as _;
    let mut b = resp.body().clone();
    // A `Full` body is ready at once; no waker is needed.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match std::pin::Pin::new(&mut b).poll_frame(&mut cx) {
        std::task::Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}

/// The worker: judges batches in order, flushes sink buffers whenever the
/// queue runs dry, and at [`Job::Stop`] flushes the sinks for good.
fn work(
    mut pipeline: Pipeline,
    mut rx: mpsc::UnboundedReceiver<Job>,
    metrics: DetectMetrics,
    running: Arc<AtomicBool>,
    mut checkpoint: Option<Checkpointer>,
) -> Pipeline {
    running.store(true, Ordering::SeqCst);
    let mut last_checkpoint = std::time::Instant::now();
    let sink_error = |e: &dyn std::fmt::Display| {
        metrics.sink_errors.inc();
        log(
            "error",
            "cannot deliver alerts to a sink",
            serde_json::json!({ "error": e.to_string() }),
        );
    };
    while let Some(job) = rx.blocking_recv() {
        let Job::Batch(batch) = job else { break };
        match pipeline.line(&batch.body) {
            Ok(_) => {}
            Err(PipelineError::Decode(e)) => {
                // Decoded once already: only a decoder change could land
                // here; still counted and logged.
                log(
                    "error",
                    "queued batch did not decode",
                    serde_json::json!({ "error": e.to_string() }),
                );
            }
            Err(PipelineError::Sink(e)) => sink_error(&e),
        }
        metrics.observe(&pipeline);
        metrics.queue_events.dec_by(batch.events as i64);
        metrics
            .latency
            .get_or_create(&StageLabels {
                stage: "processed".into(),
            })
            .observe(batch.received.elapsed().as_secs_f64());
        drop(batch);
        if rx.is_empty() {
            if let Err(e) = pipeline.flush_buffers() {
                sink_error(&e);
            }
            if let Some(save) = checkpoint.as_mut()
                && last_checkpoint.elapsed() >= CHECKPOINT_EVERY
            {
                save(&pipeline);
                last_checkpoint = std::time::Instant::now();
            }
        }
    }
    running.store(false, Ordering::SeqCst);
    if let Err(e) = pipeline.flush() {
        sink_error(&e);
    }
    if let Some(save) = checkpoint.as_mut() {
        save(&pipeline);
    }
    metrics.observe(&pipeline);
    pipeline
}

/// Serves the audit webhook until `shutdown` fires (SIGTERM/SIGINT when it
/// is `None`), then drains: every batch answered 200 is judged and the
/// sinks flushed before the pipeline is handed back (its counters and
/// detector state, to persist). `on_bound` gets the bound addresses.
/// `metrics` gets an alert-counting sink on `pipeline`; do not
/// [`DetectMetrics::attach`] it yourself.
pub async fn run(
    mut opts: ServerOptions,
    mut pipeline: Pipeline,
    metrics: DetectMetrics,
    on_bound: impl FnOnce(Bound),
    shutdown: Option<tokio::sync::oneshot::Receiver<()>>,
) -> anyhow::Result<Pipeline> {
    let mut server = Server::bind("detect", &opts.serve, metrics.tls.clone()).await?;
    // Before announcing: a SIGTERM right after must find its handler.
    let shutdown = kaegis_serve::shutdown_signal(shutdown);
    on_bound(server.bound());
    metrics.attach(&mut pipeline);
    let capacity = opts.queue_events.clamp(1, Semaphore::MAX_PERMITS);
    metrics.queue_capacity.set(capacity as i64);

    let (tx, rx) = mpsc::unbounded_channel();
    let running = Arc::new(AtomicBool::new(false));
    let worker = {
        let metrics = metrics.clone();
        let running = running.clone();
        let checkpoint = opts.checkpoint.take();
        tokio::task::spawn_blocking(move || work(pipeline, rx, metrics, running, checkpoint))
    };
    let ingest = Arc::new(Ingest {
        metrics: metrics.clone(),
        limits: opts.serve.limits,
        capacity,
        enqueue_wait: opts.enqueue_wait,
        retry_after: opts.retry_after,
        room: Arc::new(Semaphore::new(capacity)),
        tx: tx.clone(),
        open: RwLock::new(true),
    });
    let readiness = server.readiness();
    let ops = {
        let running = running.clone();
        server.spawn_ops(Ops {
            registry: metrics.registry(),
            ready: Arc::new(move || readiness.get() && running.load(Ordering::SeqCst)),
        })
    };
    server.serve(ingest.clone(), shutdown).await;
    // Requests still in flight past the drain get 503 from here on; what
    // was queued is judged.
    if let Ok(mut open) = ingest.open.write() {
        *open = false;
    }
    let _ = tx.send(Job::Stop);
    let queued = metrics.queue_events.get();
    if queued > 0 {
        eprintln!("kaegis detect: judging the {queued} queued events before exiting");
    }
    let pipeline = worker
        .await
        .map_err(|e| anyhow::anyhow!("the detection worker failed: {e}"))?;
    drop(ops);
    Ok(pipeline)
}

/// The operations listener alone (`/healthz`, `/readyz` always ready,
/// `/metrics`), for `kaegis detect --follow --metrics-listen`: call
/// [`DetectMetrics::attach`] on the pipeline and
/// [`DetectMetrics::observe`] after each read. Runs until the handle is
/// dropped; needs a tokio runtime.
pub async fn serve_metrics(
    addr: SocketAddr,
    metrics: &DetectMetrics,
) -> anyhow::Result<(SocketAddr, OpsHandle)> {
    kaegis_serve::ops::serve_ops(
        addr,
        Ops {
            registry: metrics.registry(),
            ready: Arc::new(|| true),
        },
        Duration::from_secs(10),
    )
    .await
}

/// [`serve_metrics`] on a thread of its own, for a synchronous caller (the
/// follow loop); stops when dropped.
pub struct MetricsThread {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MetricsThread {
    /// Binds `addr` and serves `metrics` from a background thread.
    pub fn start(addr: SocketAddr, metrics: &DetectMetrics) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (bound, handle) = runtime.block_on(serve_metrics(addr, metrics))?;
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("kaegis-metrics".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = rx.await;
                    drop(handle);
                });
            })?;
        Ok(Self {
            addr: bound,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsThread {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
