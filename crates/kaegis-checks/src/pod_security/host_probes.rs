//! KG107: Probes and lifecycle hooks must not set a host.
use kaegis_core::{
    Area, Context, Node, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};

use super::{BASELINE, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Probes and lifecycle hooks must not name a host: `host` must be unset
    /// or empty in the `httpGet` and `tcpSocket` handlers of `livenessProbe`,
    /// `readinessProbe`, `startupProbe` and `lifecycle.postStart`/`preStop`
    /// (Pod Security Standards from v1.34).
    ///
    /// ## Why
    /// The kubelet runs probes and hooks from the node, with the node's network
    /// identity. A handler with a `host` makes the kubelet send requests to any
    /// address the pod author chooses: a server-side request forgery that
    /// reaches node-local and cloud-metadata endpoints the pod itself cannot.
    ///
    /// ## How to fix
    /// Remove `host`: the kubelet then probes the pod's own IP.
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     path: /healthz
    ///     port: 8080
    /// ```
    pub struct HostProbes {
        code: "KG107",
        slug: "host-probes",
        title: "Probes and lifecycle hooks must not set a host",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("Host Probes / Lifecycle Hooks")],
        pss: Some(PssControl { control: "Host Probes / Lifecycle Hooks", level: PssLevel::Baseline, since: 34, overrides: &[] }),
    }
}

impl HostProbes {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for c in pod.containers() {
            let handlers: [(&[&str], &str); 5] = [
                (&["livenessProbe"], "liveness probe"),
                (&["readinessProbe"], "readiness probe"),
                (&["startupProbe"], "startup probe"),
                (&["lifecycle", "postStart"], "postStart hook"),
                (&["lifecycle", "preStop"], "preStop hook"),
            ];
            for (keys, what) in handlers {
                let Some(handler) = c.node.get_path(keys) else {
                    continue;
                };
                for kind in ["httpGet", "tcpSocket"] {
                    let host = handler
                        .get(kind)
                        .and_then(|h| h.get("host"))
                        .and_then(Node::as_str);
                    if let Some(host) = host.filter(|h| !h.is_empty()) {
                        out.push(Violation::new(
                            c.path().keys(keys).key(kind).key("host"),
                            format!("{} {what} sends the kubelet to host {host:?}", c.describe()),
                        ));
                    }
                }
            }
        }
    }
}
