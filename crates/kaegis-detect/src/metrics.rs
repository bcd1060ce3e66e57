//! Prometheus metrics of `kaegis detect` (prefix `kaegis_detect`), for the
//! webhook server and for a followed log alike.
//!
//! Alerts are counted by a sink [`DetectMetrics::attach`] adds to the
//! pipeline (so severity is the alert's own); what only the detector knows
//! (suppressed alerts, events judged, malformed lines) is copied from the
//! pipeline by [`DetectMetrics::observe`], which the server calls after
//! each batch and a follower after each read.

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::alert::Alert;
use crate::pipeline::{Pipeline, Sink};
use crate::sink::DeliveryMetrics;

/// Labels of a batch's answer.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct CodeLabels {
    pub(crate) code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertLabels {
    rule: String,
    severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: String,
}

/// How far an ingested batch got.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StageLabels {
    pub(crate) stage: String,
}

/// What [`DetectMetrics::observe`] saw last, to add only the difference.
#[derive(Debug, Default)]
struct Seen {
    events: u64,
    malformed: u64,
    suppressed: std::collections::BTreeMap<String, u64>,
}

/// The detector's metrics. Cloning shares them.
#[derive(Clone)]
pub struct DetectMetrics {
    registry: Arc<Registry>,
    pub(crate) events_received: Counter,
    events_processed: Counter,
    pub(crate) decode_errors: Counter,
    pub(crate) batches: Family<CodeLabels, Counter>,
    alerts: Family<AlertLabels, Counter>,
    suppressed: Family<RuleLabels, Counter>,
    pub(crate) queue_events: Gauge,
    pub(crate) queue_capacity: Gauge,
    pub(crate) latency: Family<StageLabels, Histogram>,
    pub(crate) sink_errors: Counter,
    delivery: DeliveryMetrics,
    pub(crate) tls: kaegis_serve::TlsMetrics,
    seen: Arc<Mutex<Seen>>,
}

impl Default for DetectMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl DetectMetrics {
    /// Every metric, registered.
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("kaegis_detect");
        let m = Self {
            registry: Arc::new(Registry::default()),
            events_received: Counter::default(),
            events_processed: Counter::default(),
            decode_errors: Counter::default(),
            batches: Family::default(),
            alerts: Family::default(),
            suppressed: Family::default(),
            queue_events: Gauge::default(),
            queue_capacity: Gauge::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new([
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5, 5.0,
                ])
            }),
            sink_errors: Counter::default(),
            delivery: DeliveryMetrics::default(),
            tls: kaegis_serve::TlsMetrics::default(),
            seen: Arc::default(),
        };
        r.register(
            "events_received",
            "Audit events received in webhook batches that decoded",
            m.events_received.clone(),
        );
        r.register(
            "events_processed",
            "Audit events the detector judged (or skipped by stage)",
            m.events_processed.clone(),
        );
        r.register(
            "decode_errors",
            "Request bodies or log lines that were not audit events",
            m.decode_errors.clone(),
        );
        r.register(
            "batches",
            "Webhook requests by HTTP status code",
            m.batches.clone(),
        );
        r.register(
            "alerts",
            "Alerts raised, by rule and severity",
            m.alerts.clone(),
        );
        r.register(
            "alerts_suppressed",
            "Alerts suppressed by deduplication or the rate limit, by rule",
            m.suppressed.clone(),
        );
        r.register(
            "queue_events",
            "Events accepted and waiting for the detector",
            m.queue_events.clone(),
        );
        r.register(
            "queue_capacity_events",
            "Events the queue holds before requests wait, then get 429",
            m.queue_capacity.clone(),
        );
        r.register(
            "ingest_latency_seconds",
            "From a batch's body received to the batch queued (stage=enqueued) and judged (stage=processed)",
            m.latency.clone(),
        );
        r.register(
            "sink_errors",
            "Failures to write or flush alerts to a sink",
            m.sink_errors.clone(),
        );
        r.register(
            "webhook_deliveries",
            "Alerts delivered to the webhook sink",
            m.delivery.delivered.clone(),
        );
        r.register(
            "webhook_retries",
            "Webhook delivery attempts after a failed one",
            m.delivery.retries.clone(),
        );
        r.register(
            "webhook_dead_letters",
            "Alerts written to the dead-letter file, by reason",
            m.delivery.dead_letters.clone(),
        );
        m.tls.register(&mut r);
        Self {
            registry: Arc::new(r),
            ..m
        }
    }

    /// The registry, for an operations listener.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    /// The counters to give [`crate::sink::WebhookSink::start`].
    pub fn delivery(&self) -> DeliveryMetrics {
        self.delivery.clone()
    }

    /// Adds to `pipeline` the sink counting alerts by rule and severity.
    /// Once per pipeline ([`crate::server::run`] does it itself).
    pub fn attach(&self, pipeline: &mut Pipeline) {
        pipeline.add_sink(Box::new(CountAlerts(self.alerts.clone())));
    }

    /// Copies what the pipeline counted since the last call: events judged,
    /// malformed lines, suppressed alerts by rule. Cheap; call it after
    /// each batch or read.
    pub fn observe(&self, pipeline: &Pipeline) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        // A new pipeline starts from zero again.
        if pipeline.events < seen.events || pipeline.malformed < seen.malformed {
            *seen = Seen::default();
        }
        self.events_processed.inc_by(pipeline.events - seen.events);
        self.decode_errors
            .inc_by(pipeline.malformed - seen.malformed);
        seen.events = pipeline.events;
        seen.malformed = pipeline.malformed;
        for (rule, &n) in &pipeline.detector().stats().suppressed {
            let before = seen.suppressed.get(rule).copied().unwrap_or(0);
            if n > before {
                self.suppressed
                    .get_or_create(&RuleLabels { rule: rule.clone() })
                    .inc_by(n - before);
                seen.suppressed.insert(rule.clone(), n);
            }
        }
    }
}

/// Counts alerts; writes nothing.
struct CountAlerts(Family<AlertLabels, Counter>);

impl Sink for CountAlerts {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0
            .get_or_create(&AlertLabels {
                rule: alert.rule.clone(),
                severity: alert.severity.as_str().to_owned(),
            })
            .inc();
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
