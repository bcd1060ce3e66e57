//! Alerts POSTed to an HTTP(S) endpoint, one alert per request, by a
//! background thread: the detector hands an alert to a bounded queue and
//! goes on, whatever the receiver's speed.
//!
//! - Retries on connection errors, timeouts, 408, 429 and 5xx, with
//!   exponential backoff (equal jitter: half the step fixed, half random)
//!   capped at [`WebhookOptions::max_backoff`], honouring `Retry-After`
//!   up to that cap; other 4xx answers are permanent.
//! - An alert that exhausted its attempts, was refused for good, found the
//!   queue full, or was still queued when the sink was dropped past its
//!   flush timeout goes to the dead-letter file (JSON lines: the alert and
//!   why), or to standard error when there is none: every alert is
//!   delivered or dead-lettered, none dropped in silence.
//! - [`Sink::flush`] waits (up to [`WebhookOptions::flush_timeout`]) until
//!   the queue is empty; [`Sink::flush_buffers`] does not wait.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use hyper::{HeaderMap, Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::alert::Alert;
use crate::event::format_rfc3339_micros;
use crate::pipeline::Sink;
use crate::sink::file::open_append;
use crate::sink::slack::slack_body;

/// The body of each POST.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyFormat {
    /// The alert's JSON (the same object as a JSON-lines line).
    #[default]
    Json,
    /// Slack's incoming-webhook message (`text` and `blocks`).
    Slack,
}

/// Where and how to deliver.
#[derive(Clone, Debug)]
pub struct WebhookOptions {
    /// `http://…` or `https://…`.
    pub url: String,
    /// PEM CA certificates to trust for https instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// Sent as `Authorization: Bearer …`.
    pub bearer_token: Option<String>,
    /// Extra headers, e.g. an API key.
    pub headers: Vec<(String, String)>,
    /// The body format.
    pub format: BodyFormat,
    /// Alerts that may wait for delivery; more are dead-lettered.
    pub queue: usize,
    /// Attempts per alert, the first included.
    pub max_attempts: u32,
    /// The first retry's backoff step.
    pub initial_backoff: Duration,
    /// The largest wait between attempts.
    pub max_backoff: Duration,
    /// Time for one attempt (connect, send, answer).
    pub request_timeout: Duration,
    /// How long `flush` and dropping the sink wait for the queue to drain.
    pub flush_timeout: Duration,
    /// JSON lines of alerts that could not be delivered (standard error
    /// when `None`).
    pub dead_letter: Option<PathBuf>,
}

impl WebhookOptions {
    /// Defaults for `url`: 10,000 queued alerts, 8 attempts, backoff from
    /// 250 ms to 30 s, 10 s per attempt, 30 s flush, no dead-letter file.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ca_file: None,
            bearer_token: None,
            headers: Vec::new(),
            format: BodyFormat::Json,
            queue: 10_000,
            max_attempts: 8,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            flush_timeout: Duration::from_secs(30),
            dead_letter: None,
        }
    }
}

/// Why an alert was dead-lettered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// `retries` (attempts exhausted), `rejected` (a permanent 4xx),
    /// `overflow` (queue full), `shutdown` (still queued at the end).
    pub reason: String,
}

/// Delivery counters (registered by [`crate::metrics::DetectMetrics`]).
#[derive(Clone, Debug, Default)]
pub struct DeliveryMetrics {
    /// Alerts delivered (a 2xx answer).
    pub delivered: Counter,
    /// Attempts after a failed one.
    pub retries: Counter,
    /// Alerts written to the dead-letter file, by reason.
    pub dead_letters: Family<ReasonLabels, Counter>,
}

/// The dead-letter file, or standard error.
struct DeadLetters {
    out: Mutex<Box<dyn std::io::Write + Send>>,
    metrics: DeliveryMetrics,
}

impl DeadLetters {
    fn write(&self, alert: &Alert, reason: &str, attempts: u32, error: &str) {
        self.metrics
            .dead_letters
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
        let mut line = serde_json::json!({
            "time": now_rfc3339(),
            "reason": reason,
            "attempts": attempts,
            "error": error,
            "alert": alert,
        })
        .to_string();
        line.push('\n');
        let written = match self.out.lock() {
            Ok(mut out) => out.write_all(line.as_bytes()).and_then(|_| out.flush()),
            Err(_) => Err(std::io::Error::other("dead-letter writer poisoned")),
        };
        if let Err(e) = written {
            // The last resort: the line itself on standard error.
            eprintln!("kaegis detect: cannot write a dead letter ({e}): {line}");
        }
    }
}

fn now_rfc3339() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    format_rfc3339_micros(micros)
}

/// What the thread and the sink share.
struct Shared {
    /// Alerts handed over and not yet delivered or dead-lettered.
    pending: Mutex<usize>,
    drained: Condvar,
    /// Set when the sink is dropped past its flush timeout: stop retrying
    /// and dead-letter the rest.
    abandon: AtomicBool,
    dead: DeadLetters,
}

impl Shared {
    fn begin(&self) {
        if let Ok(mut n) = self.pending.lock() {
            *n += 1;
        }
    }

    fn done(&self) {
        if let Ok(mut n) = self.pending.lock() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.drained.notify_all();
            }
        }
    }

    /// Waits until nothing is pending or `timeout` passed; returns what is
    /// still pending.
    fn wait_drained(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let Ok(mut n) = self.pending.lock() else {
            return 0;
        };
        while *n > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.drained.wait_timeout(n, left) {
                Ok((guard, _)) => n = guard,
                Err(_) => return 0,
            }
        }
        *n
    }
}

/// The request every attempt sends (but for its body).
struct Target {
    uri: Uri,
    headers: HeaderMap,
    format: BodyFormat,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    request_timeout: Duration,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The webhook sink.
pub struct WebhookSink {
    tx: Option<SyncSender<Alert>>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
    url: String,
    flush_timeout: Duration,
    metrics: DeliveryMetrics,
}

fn tls_config(ca_file: Option<&PathBuf>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            if certs.is_empty() {
                anyhow::bail!("{}: no certificate in it", path.display());
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl WebhookSink {
    /// Checks the URL, headers, CA and dead-letter file, and starts the
    /// delivery thread. Errors name what is wrong.
    pub fn start(opts: WebhookOptions, metrics: DeliveryMetrics) -> anyhow::Result<Self> {
        let uri: Uri = opts
            .url
            .parse()
            .map_err(|e| anyhow::anyhow!("webhook URL {}: {e}", opts.url))?;
        match uri.scheme_str() {
            Some("http" | "https") if uri.host().is_some() => {}
            _ => anyhow::bail!(
                "webhook URL {}: give an http:// or https:// URL with a host",
                opts.url
            ),
        }
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(token) = &opts.bearer_token {
            let v = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
                .map_err(|_| anyhow::anyhow!("the webhook bearer token is not a header value"))?;
            headers.insert(AUTHORIZATION, v);
        }
        for (name, value) in &opts.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| anyhow::anyhow!("webhook header name `{name}` is not valid"))?;
            let v = HeaderValue::from_str(value)
                .map_err(|_| anyhow::anyhow!("webhook header `{name}`: the value is not valid"))?;
            headers.insert(n, v);
        }
        let tls = tls_config(opts.ca_file.as_ref())?;
        let out: Box<dyn std::io::Write + Send> = match &opts.dead_letter {
            Some(path) => Box::new(open_append(path)?),
            None => Box::new(std::io::stderr()),
        };
        let shared = Arc::new(Shared {
            pending: Mutex::new(0),
            drained: Condvar::new(),
            abandon: AtomicBool::new(false),
            dead: DeadLetters {
                out: Mutex::new(out),
                metrics: metrics.clone(),
            },
        });
        let target = Target {
            uri,
            headers,
            format: opts.format,
            max_attempts: opts.max_attempts.max(1),
            initial_backoff: opts.initial_backoff,
            max_backoff: opts.max_backoff.max(opts.initial_backoff),
            request_timeout: opts.request_timeout,
        };
        let (tx, rx) = sync_channel(opts.queue.max(1));
        let thread = {
            let shared = shared.clone();
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name("kaegis-webhook".into())
                .spawn(move || deliver_all(rx, target, tls, shared, metrics))?
        };
        Ok(Self {
            tx: Some(tx),
            shared,
            thread: Some(thread),
            url: opts.url,
            flush_timeout: opts.flush_timeout,
            metrics,
        })
    }

    /// The delivery counters.
    pub fn metrics(&self) -> &DeliveryMetrics {
        &self.metrics
    }
}

impl Sink for WebhookSink {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.shared.begin();
        let refused = match &self.tx {
            Some(tx) => match tx.try_send(alert.clone()) {
                Ok(()) => None,
                Err(TrySendError::Full(a)) => Some((a, "overflow", "the delivery queue is full")),
                Err(TrySendError::Disconnected(a)) => {
                    Some((a, "shutdown", "the delivery thread stopped"))
                }
            },
            None => Some((alert.clone(), "shutdown", "the sink is closed")),
        };
        if let Some((a, reason, error)) = refused {
            self.shared.dead.write(&a, reason, 0, error);
            self.shared.done();
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let left = self.shared.wait_drained(self.flush_timeout);
        if left > 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "{left} alerts still waiting for delivery to {} after {:?} (they stay queued)",
                    self.url, self.flush_timeout
                ),
            ));
        }
        Ok(())
    }

    fn flush_buffers(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        // Close the queue, give deliveries the flush timeout, then
        // dead-letter whatever is left.
        self.tx = None;
        let left = self.shared.wait_drained(self.flush_timeout);
        if left > 0 {
            self.shared.abandon.store(true, Ordering::SeqCst);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The delivery thread: one alert at a time, each to its end.
fn deliver_all(
    rx: Receiver<Alert>,
    target: Target,
    tls: rustls::ClientConfig,
    shared: Arc<Shared>,
    metrics: DeliveryMetrics,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let error = format!("cannot start the delivery runtime: {e}");
            while let Ok(alert) = rx.recv() {
                shared.dead.write(&alert, "shutdown", 0, &error);
                shared.done();
            }
            return;
        }
    };
    let client: HttpsClient = {
        let _guard = runtime.enter();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Client::builder(TokioExecutor::new()).build(connector)
    };
    while let Ok(alert) = rx.recv() {
        let outcome = if shared.abandon.load(Ordering::SeqCst) {
            Err(Failure {
                reason: "shutdown",
                attempts: 0,
                error: "still queued when the sink was closed".into(),
            })
        } else {
            runtime.block_on(deliver(&client, &target, &alert, &shared, &metrics))
        };
        match outcome {
            Ok(()) => {
                metrics.delivered.inc();
            }
            Err(f) => shared.dead.write(&alert, f.reason, f.attempts, &f.error),
        }
        shared.done();
    }
}

struct Failure {
    reason: &'static str,
    attempts: u32,
    error: String,
}

/// An error with its causes (hyper's client errors say little on their
/// own: "client error (Connect)").
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// A random number in `0..n` (jitter needs no more than this; std's
/// per-instance random hasher keys avoid a dependency).
fn random_below(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    RandomState::new().hash_one(Instant::now()) % n
}

/// The wait before attempt `attempt + 1`: the step doubles from
/// `initial`, capped at `max`; half of it fixed, half random.
pub(crate) fn backoff(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let step = initial.saturating_mul(factor).min(max);
    let half = step / 2;
    half + Duration::from_micros(random_below(half.as_micros() as u64 + 1))
}

/// Sleeps `d` unless the sink is abandoned meanwhile; false if abandoned.
async fn pause(d: Duration, shared: &Shared) -> bool {
    let deadline = Instant::now() + d;
    loop {
        if shared.abandon.load(Ordering::SeqCst) {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        tokio::time::sleep(left.min(Duration::from_millis(100))).await;
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

async fn deliver(
    client: &HttpsClient,
    target: &Target,
    alert: &Alert,
    shared: &Shared,
    metrics: &DeliveryMetrics,
) -> Result<(), Failure> {
    let body = Bytes::from(match target.format {
        BodyFormat::Json => alert.to_json(),
        BodyFormat::Slack => slack_body(alert).to_string(),
    });
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut req = Request::new(Full::new(body.clone()));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = target.uri.clone();
        *req.headers_mut() = target.headers.clone();
        let answer = tokio::time::timeout(target.request_timeout, async {
            let resp = client.request(req).await?;
            let status = resp.status();
            let wait = retry_after(resp.headers());
            // Read (a bounded part of) the answer so the connection is
            // reused.
            let _ = Limited::new(resp.into_body(), 64 * 1024).collect().await;
            Ok::<_, hyper_util::client::legacy::Error>((status, wait))
        })
        .await;
        let (retry, error, wait) = match answer {
            Ok(Ok((status, _))) if status.is_success() => return Ok(()),
            Ok(Ok((status, wait))) => (
                status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::REQUEST_TIMEOUT
                    || status.is_server_error(),
                format!("HTTP {status}"),
                wait,
            ),
            Ok(Err(e)) => (true, chain(&e), None),
            Err(_) => (
                true,
                format!("no answer within {:?}", target.request_timeout),
                None,
            ),
        };
        if !retry {
            return Err(Failure {
                reason: "rejected",
                attempts: attempt,
                error,
            });
        }
        if attempt >= target.max_attempts {
            return Err(Failure {
                reason: "retries",
                attempts: attempt,
                error,
            });
        }
        metrics.retries.inc();
        let delay = backoff(attempt, target.initial_backoff, target.max_backoff)
            .max(wait.unwrap_or_default().min(target.max_backoff));
        if !pause(delay, shared).await {
            return Err(Failure {
                reason: "shutdown",
                attempts: attempt,
                error,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let (i, m) = (Duration::from_millis(100), Duration::from_secs(1));
        for _ in 0..50 {
            let d1 = backoff(1, i, m);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = backoff(3, i, m);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            let d40 = backoff(40, i, m);
            assert!(d40 >= Duration::from_millis(500) && d40 <= m, "{d40:?}");
        }
        let spread: std::collections::BTreeSet<_> = (0..20).map(|_| backoff(5, i, m)).collect();
        assert!(spread.len() > 1, "no jitter");
    }

    #[test]
    fn bad_urls_and_headers_are_refused_with_the_reason() {
        let m = DeliveryMetrics::default();
        let err = |o: WebhookOptions| WebhookSink::start(o, m.clone()).err().unwrap().to_string();
        assert!(err(WebhookOptions::new("ftp://x/")).contains("http:// or https://"));
        assert!(err(WebhookOptions::new("not a url")).contains("webhook URL"));
        let mut o = WebhookOptions::new("http://127.0.0.1:1/");
        o.headers.push(("bad name".into(), "v".into()));
        assert!(err(o).contains("bad name"));
        let mut o = WebhookOptions::new("https://127.0.0.1:1/");
        o.ca_file = Some("/no/such/ca.crt".into());
        assert!(err(o).contains("/no/such/ca.crt"));
    }
}
