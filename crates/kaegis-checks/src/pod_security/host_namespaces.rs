//! KG102: Pods must not share the host's network, PID or IPC namespace.
use kaegis_core::{
    Area, Context, Fix, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};
use serde_json::json;

use super::{BASELINE, mitre, nsa, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Pods must not share the host's namespaces: `hostNetwork`, `hostPID` and
    /// `hostIPC` must be unset or `false`.
    ///
    /// ## Why
    /// With `hostPID` a container sees and can signal (or ptrace) every process
    /// on the node; with `hostIPC` it reads other processes' shared memory; with
    /// `hostNetwork` it binds the node's interfaces, sniffs its traffic and
    /// reaches services that trust node-local callers (the kubelet, cloud
    /// metadata), bypassing NetworkPolicies.
    ///
    /// ## How to fix
    /// Remove the fields, or set them to `false`:
    /// ```yaml
    /// spec:
    ///   hostNetwork: false
    ///   hostPID: false
    ///   hostIPC: false
    /// ```
    /// Expose ports through a Service instead of the host network.
    pub struct HostNamespaces {
        code: "KG102",
        slug: "host-namespaces",
        title: "Pods must not share the host's network, PID or IPC namespace",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("Host Namespaces"), nsa("Pod security: host namespaces"), mitre("T1611 Escape to Host")],
        pss: Some(PssControl { control: "Host Namespaces", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

impl HostNamespaces {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (field, what) in [
            ("hostNetwork", "the host's network namespace"),
            ("hostPID", "the host's process namespace"),
            ("hostIPC", "the host's IPC namespace"),
        ] {
            if pod.field(field).and_then(|n| n.as_bool()) == Some(true) {
                out.push(
                    Violation::new(
                        pod.path(field),
                        format!("pod shares {what} ({field}: true)"),
                    )
                    .with_fix(Fix::set(
                        pod.path(field),
                        json!(false),
                        format!("set {field}: false"),
                    )),
                );
            }
        }
    }
}
