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

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use kaegis_serve::ops::Ops;
use kaegis_serve::{Body, Server, TlsMetrics, error, read_body, reply, timed};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::decide::{Admission, ClusterView, Decision};
use crate::review;

pub use kaegis_serve::{Bound, Limits, Options};

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
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    findings: Family<FindingLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    tls: TlsMetrics,
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
        let tls = TlsMetrics::default();
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
        tls.register(&mut registry);
        Self {
            registry: Arc::new(registry),
            requests,
            decisions,
            findings,
            latency,
            tls,
        }
    }
}

// ---- the server ----

struct State {
    admission: Arc<Admission>,
    views: Arc<dyn Views>,
    metrics: Metrics,
    limits: kaegis_serve::Limits,
    log: Mutex<std::io::Stdout>,
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
        let body = match read_body(req.into_body(), self.limits.max_body).await {
            Ok(b) => b,
            Err(response) => return response,
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

    async fn serve_webhook(&self, req: Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let resp = match (req.method(), path.as_str()) {
            (&Method::POST, "/validate" | "/mutate") => {
                timed(self.limits.request_timeout, self.admission(&path, req)).await
            }
            (_, "/validate" | "/mutate") => {
                error(StatusCode::METHOD_NOT_ALLOWED, "POST an AdmissionReview")
            }
            _ => error(StatusCode::NOT_FOUND, "kaegis serves /validate and /mutate"),
        };
        self.record(&path, resp.status());
        resp
    }
}

impl kaegis_serve::Handler for State {
    async fn handle(&self, req: Request<Incoming>, _peer: std::net::SocketAddr) -> Response<Body> {
        self.serve_webhook(req).await
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

/// Runs the server until `shutdown` completes (or SIGTERM/SIGINT when it is
/// `None`); `on_bound` is told the addresses once both listeners are bound.
pub async fn run(
    opts: Options,
    admission: Arc<Admission>,
    views: Arc<dyn Views>,
    on_bound: impl FnOnce(Bound),
    shutdown: Option<tokio::sync::oneshot::Receiver<()>>,
) -> anyhow::Result<()> {
    let metrics = Metrics::new();
    let mut server = Server::bind("admission", &opts, metrics.tls.clone()).await?;
    // Before announcing: a SIGTERM right after must find its handler.
    let shutdown = kaegis_serve::shutdown_signal(shutdown);
    on_bound(server.bound());
    let registry = metrics.registry.clone();
    let state = Arc::new(State {
        admission,
        views: views.clone(),
        metrics,
        limits: opts.limits,
        log: Mutex::new(std::io::stdout()),
    });
    let readiness = server.readiness();
    let ops = server.spawn_ops(Ops {
        registry,
        ready: Arc::new(move || readiness.get() && views.ready()),
    });
    server.serve(state, shutdown).await;
    drop(ops);
    Ok(())
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
