//! The webhook server: AdmissionReview over HTTPS on `/validate` and
//! `/mutate`; `/healthz`, `/readyz` and Prometheus `/metrics` over plain HTTP
//! on a separate port.
//!
//! - TLS (rustls) from a certificate and key file, re-read when either
//!   changes (checked every two seconds): no restart to rotate them; a bad
//!   pair is reported and the previous one kept.
//! - Bounded: request bodies over [`Limits::max_body`] get 413, a request
//!   must arrive and be answered within [`Limits::request_timeout`] (below
//!   the API server's webhook timeout), TLS handshakes within ten seconds.
//! - Graceful: on SIGTERM or SIGINT the server turns unready, stops
//!   accepting, and lets in-flight requests finish (up to
//!   [`Limits::drain`]).
//! - Every decision with findings, and every denial, is one JSON line on
//!   standard output (the audit log).

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

use crate::decide::{Admission, ClusterView, Decision};
use crate::review;

/// Bounds on what one client may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body accepted.
    pub max_body: usize,
    /// Time to receive a request and answer it.
    pub request_timeout: Duration,
    /// Time in-flight requests get at shutdown.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // The API server's own limit on an object is 3 MiB.
            max_body: 3 * 1024 * 1024 + 64 * 1024,
            // Below the 5 s webhook timeout the deploy manifests set.
            request_timeout: Duration::from_secs(4),
            drain: Duration::from_secs(20),
        }
    }
}

/// What the cluster around a request looks like (a watch cache, or nothing).
pub trait Views: Send + Sync + 'static {
    /// The view for a request in `namespace` (empty for cluster-scoped).
    fn view(&self, namespace: &str) -> ClusterView;
    /// True once the cache has synced (always true without one).
    fn ready(&self) -> bool;
}

/// No cluster: namespace labels unknown, cross-object checks silent.
pub struct NoCluster;

impl Views for NoCluster {
    fn view(&self, _namespace: &str) -> ClusterView {
        ClusterView::default()
    }
    fn ready(&self) -> bool {
        true
    }
}

/// Where the server listens and what it serves with.
pub struct Options {
    /// HTTPS address for `/validate` and `/mutate`.
    pub listen: SocketAddr,
    /// Plain-HTTP address for health and metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// PEM certificate chain.
    pub tls_cert: PathBuf,
    /// PEM private key.
    pub tls_key: PathBuf,
    /// Bounds.
    pub limits: Limits,
}

// ---- metrics ----

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    endpoint: String,
    decision: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    mode: String,
    check: String,
    namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

/// The server's Prometheus metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    findings: Family<FindingLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    tls_reloads: Counter,
    tls_reload_errors: Counter,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("kaegis_admission");
        let requests = Family::<RequestLabels, Counter>::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        let findings = Family::<FindingLabels, Counter>::default();
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ])
        });
        let tls_reloads = Counter::default();
        let tls_reload_errors = Counter::default();
        registry.register(
            "requests",
            "Admission HTTP requests by endpoint and status code",
            requests.clone(),
        );
        registry.register(
            "decisions",
            "Admission decisions: allowed, denied, warned, mutated, skipped, error",
            decisions.clone(),
        );
        registry.register(
            "findings",
            "Findings by mode, check and namespace",
            findings.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer an AdmissionReview, from the first byte of the body",
            latency.clone(),
        );
        registry.register(
            "tls_reloads",
            "Certificate reloads after the files changed",
            tls_reloads.clone(),
        );
        registry.register(
            "tls_reload_errors",
            "Certificate reloads that failed (the previous pair is kept)",
            tls_reload_errors.clone(),
        );
        Self {
            registry,
            requests,
            decisions,
            findings,
            latency,
            tls_reloads,
            tls_reload_errors,
        }
    }

    fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

// ---- TLS with reload ----

fn load_key(cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no certificate in it", cert.display());
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let provider = rustls::crypto::ring::default_provider();
    CertifiedKey::from_der(certs, key_der, &provider)
        .map_err(|e| anyhow::anyhow!("{} and {}: {e}", cert.display(), key.display()))
}

/// The current certificate, swapped when the files change.
#[derive(Debug)]
struct Reloading {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|k| k.clone())
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

// ---- the server ----

struct State {
    admission: Arc<Admission>,
    views: Arc<dyn Views>,
    metrics: Metrics,
    ready: AtomicBool,
    limits: Limits,
    log: Mutex<std::io::Stdout>,
}

type Body = Full<Bytes>;

fn reply(code: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = code;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn error(code: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": message }).to_string();
    reply(code, "application/json", body)
}

impl State {
    fn record(&self, endpoint: &str, code: StatusCode) {
        self.metrics
            .requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.to_owned(),
                code: code.as_u16().to_string(),
            })
            .inc();
    }

    fn decided(&self, endpoint: &str, what: &str) {
        self.metrics
            .decisions
            .get_or_create(&DecisionLabels {
                endpoint: endpoint.to_owned(),
                decision: what.to_owned(),
            })
            .inc();
    }

    /// One JSON line per decision worth keeping: denials, findings, patches.
    fn audit(&self, endpoint: &str, req: &review::Request, d: &Decision) {
        if d.judged.is_empty() && d.response.allowed && d.response.patch.is_none() {
            return;
        }
        let line = serde_json::json!({
            "time": humantime_now(),
            "endpoint": endpoint,
            "uid": req.uid,
            "operation": req.operation,
            "kind": req.kind.kind,
            "namespace": req.namespace,
            "name": req.name,
            "object": d.object,
            "user": req.user_info.username,
            "dryRun": req.dry_run,
            "allowed": d.response.allowed,
            "levels": d.levels.iter().map(|(m, l)| (m.as_str(), l)).collect::<std::collections::BTreeMap<_, _>>(),
            "findings": d.judged.iter().map(|j| serde_json::json!({
                "mode": j.mode.as_str(),
                "check": j.finding.check.code,
                "slug": j.finding.check.slug,
                "severity": j.finding.severity,
                "path": j.finding.path.to_string(),
                "message": j.finding.message,
            })).collect::<Vec<_>>(),
            "patched": d.response.patch.is_some(),
        });
        if let Ok(mut out) = self.log.lock() {
            let _ = writeln!(out, "{line}");
        }
    }

    async fn admission(&self, endpoint: &str, req: Request<Incoming>) -> Response<Body> {
        let start = Instant::now();
        let body = match Limited::new(req.into_body(), self.limits.max_body)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("request body over {} bytes", self.limits.max_body),
                );
            }
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("cannot read the body: {e}"),
                );
            }
        };
        let request = match review::parse(&body) {
            Ok(r) => r,
            Err(e) => {
                self.decided(endpoint, "error");
                return error(StatusCode::BAD_REQUEST, &e.to_string());
            }
        };
        let view = self.views.view(&request.namespace);
        let decision = if endpoint == "/validate" {
            self.admission.validate(&request, &view)
        } else {
            self.admission.mutate(&request, &view)
        };
        let what = match (&decision.skipped, &decision.response) {
            (Some(_), r) if !r.allowed => "error",
            (Some(_), _) => "skipped",
            (None, r) if !r.allowed => "denied",
            (None, r) if r.patch.is_some() => "mutated",
            (None, r) if !r.warnings.is_empty() => "warned",
            _ => "allowed",
        };
        self.decided(endpoint, what);
        if !request.dry_run {
            for j in &decision.judged {
                self.metrics
                    .findings
                    .get_or_create(&FindingLabels {
                        mode: j.mode.as_str().to_owned(),
                        check: j.finding.check.slug.to_owned(),
                        namespace: request.namespace.clone(),
                    })
                    .inc();
            }
        }
        self.audit(endpoint, &request, &decision);
        let body = decision.response.to_review().to_string();
        self.metrics
            .latency
            .get_or_create(&EndpointLabels {
                endpoint: endpoint.to_owned(),
            })
            .observe(start.elapsed().as_secs_f64());
        reply(StatusCode::OK, "application/json", body)
    }

    async fn serve_webhook(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let resp = match (req.method(), path.as_str()) {
            (&Method::POST, "/validate" | "/mutate") => {
                match tokio::time::timeout(self.limits.request_timeout, self.admission(&path, req))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => error(
                        StatusCode::REQUEST_TIMEOUT,
                        "the request did not arrive in time",
                    ),
                }
            }
            (_, "/validate" | "/mutate") => {
                error(StatusCode::METHOD_NOT_ALLOWED, "POST an AdmissionReview")
            }
            _ => error(StatusCode::NOT_FOUND, "kaegis serves /validate and /mutate"),
        };
        self.record(&path, resp.status());
        resp
    }

    async fn serve_ops(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/healthz") => reply(StatusCode::OK, "text/plain", "ok\n"),
            (&Method::GET, "/readyz") => {
                if self.ready.load(Ordering::SeqCst) && self.views.ready() {
                    reply(StatusCode::OK, "text/plain", "ready\n")
                } else {
                    reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "not ready\n")
                }
            }
            (&Method::GET, "/metrics") => reply(
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                self.metrics.encode(),
            ),
            _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
        }
    }
}

fn humantime_now() -> String {
    rfc3339(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// RFC 3339 in UTC with milliseconds, for a time since the Unix epoch.
fn rfc3339(d: Duration) -> String {
    let secs = d.as_secs();
    let date =
        kaegis_checks::cluster::versions::Date::from_days_since_epoch((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// A running server's addresses (the ports actually bound, for `:0`).
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// The HTTPS address.
    pub webhook: SocketAddr,
    /// The metrics address.
    pub metrics: Option<SocketAddr>,
}

/// Runs the server until `shutdown` completes (or SIGTERM/SIGINT when it is
/// `None`); `on_bound` is told the addresses once both listeners are bound.
pub async fn run(
    opts: Options,
    admission: Arc<Admission>,
    views: Arc<dyn Views>,
    on_bound: impl FnOnce(Bound),
    shutdown: Option<tokio::sync::oneshot::Receiver<()>>,
) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let first = load_key(&opts.tls_cert, &opts.tls_key)?;
    let resolver = Arc::new(Reloading {
        current: RwLock::new(Arc::new(first)),
    });
    let mut tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let state = Arc::new(State {
        admission,
        views,
        metrics: Metrics::new(),
        ready: AtomicBool::new(false),
        limits: opts.limits,
        log: Mutex::new(std::io::stdout()),
    });

    let webhook = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", opts.listen))?;
    let metrics = match opts.metrics_listen {
        Some(a) => Some(
            TcpListener::bind(a)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {a}: {e}"))?,
        ),
        None => None,
    };
    on_bound(Bound {
        webhook: webhook.local_addr()?,
        metrics: metrics.as_ref().and_then(|m| m.local_addr().ok()),
    });

    // Certificate reload: poll the files' modification time and size.
    {
        let (cert, key) = (opts.tls_cert.clone(), opts.tls_key.clone());
        let resolver = resolver.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let mut seen = (stamp(&cert), stamp(&key));
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let now = (stamp(&cert), stamp(&key));
                if now == seen {
                    continue;
                }
                seen = now;
                match load_key(&cert, &key) {
                    Ok(k) => {
                        if let Ok(mut cur) = resolver.current.write() {
                            *cur = Arc::new(k);
                        }
                        state.metrics.tls_reloads.inc();
                        eprintln!("kaegis admission: reloaded the TLS certificate");
                    }
                    Err(e) => {
                        state.metrics.tls_reload_errors.inc();
                        eprintln!("kaegis admission: keeping the previous certificate: {e:#}");
                    }
                }
            }
        });
    }

    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.limits.request_timeout);
    let builder = Arc::new(builder);

    let ops_task = metrics.map(|listener| {
        let state = state.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                let builder = builder.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.serve_ops(req).await) }
                    });
                    let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        })
    });

    state.ready.store(true, Ordering::SeqCst);
    let mut shutdown = Box::pin(async move {
        match shutdown {
            Some(rx) => {
                let _ = rx.await;
            }
            None => signal().await,
        }
    });
    loop {
        tokio::select! {
            accepted = webhook.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let state = state.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        _ => return,
                    };
                    let svc = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.serve_webhook(req).await) }
                    });
                    let conn = builder.serve_connection(TokioIo::new(tls), svc).into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    // Unready first, so load balancers stop sending; then drain.
    state.ready.store(false, Ordering::SeqCst);
    drop(webhook);
    eprintln!("kaegis admission: shutting down, draining in-flight requests");
    if tokio::time::timeout(opts.limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "kaegis admission: requests still in flight after {:?}; exiting",
            opts.limits.drain
        );
    }
    if let Some(t) = ops_task {
        t.abort();
    }
    Ok(())
}

async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_times_are_rfc3339_utc() {
        assert_eq!(rfc3339(Duration::ZERO), "1970-01-01T00:00:00.000Z");
        let day = Duration::from_secs(20_780 * 86_400);
        assert_eq!(
            rfc3339(day + Duration::from_millis(3_723_045)),
            "2026-11-23T01:02:03.045Z"
        );
        assert!(rfc3339(Duration::from_secs(11_016 * 86_400)).starts_with("2000-02-29T"));
    }
}
