//! KG884: The kubelet must record events at a bounded, useful rate.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

/// Below this many events a second, bursts (a crash-looping pod, a failed
/// mount on many pods) lose the events that explain them.
const MIN_QPS: f64 = 5.0;

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `eventRecordQPS` is 0, which
    /// removes the limit, or below 5 events a second (the default is 50).
    /// The benchmark rates this recommendation Manual: the check runs in the
    /// `cis` profile only.
    ///
    /// ## Why
    /// Events are how a node tells why a pod failed, was evicted or could
    /// not mount a volume; an incident review reads them. Without a limit, a
    /// burst of events (thousands of crash-looping pods) floods the API
    /// server from every node at once; with a very low one, the events that
    /// matter are dropped.
    ///
    /// ## How to fix
    /// Keep the default, or a limit that fits the node's pod density:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// eventRecordQPS: 50
    /// ```
    pub struct KubeletEventQps {
        code: "KG884",
        slug: "kubelet-event-qps",
        title: "The kubelet must record events at a bounded, useful rate",
        severity: Severity::Low,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS,
        references: &[cis("4.2.8")],
    }
}

impl KubeletEventQps {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["eventRecordQPS"];
        let Some(node) = config(obj, &field) else {
            return;
        };
        let Some(qps) = node
            .as_str()
            .and_then(|t| t.parse::<f64>().ok())
            .or_else(|| node.as_i64().map(|n| n as f64))
        else {
            out.push(Violation::new(
                config_path(&field),
                "could not check: eventRecordQPS is not a number",
            ));
            return;
        };
        let source = config_source(obj, "eventRecordQPS");
        if qps == 0.0 {
            out.push(Violation::new(
                config_path(&field),
                format!("the kubelet records events without a limit (eventRecordQPS 0, {source}): a burst can flood the API server"),
            ));
        } else if qps < MIN_QPS {
            out.push(Violation::new(
                config_path(&field),
                format!("the kubelet records events at eventRecordQPS {qps} ({source}): bursts lose the events that explain them"),
            ));
        }
    }
}
