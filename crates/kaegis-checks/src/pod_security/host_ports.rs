//! KG106: Containers must not use host ports.
use kaegis_core::{Area, Context, Object, PodSpecView, PssControl, PssLevel, Severity, Violation};

use super::{BASELINE, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Containers must not bind ports of the node: every `ports[*].hostPort`
    /// must be unset or `0`.
    ///
    /// ## Why
    /// A host port exposes the container on the node's own address, outside
    /// Services and often outside NetworkPolicies, and ties the pod to nodes
    /// where the port is free. It is an easy way to open a hole in the
    /// cluster's network perimeter.
    ///
    /// ## How to fix
    /// Remove `hostPort` and expose the container through a Service:
    /// ```yaml
    /// ports:
    /// - containerPort: 8080
    /// ```
    pub struct HostPorts {
        code: "KG106",
        slug: "host-ports",
        title: "Containers must not use host ports",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("Host Ports")],
        pss: Some(PssControl { control: "Host Ports", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

impl HostPorts {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for c in pod.containers() {
            let ports = c.node.get("ports").map_or(&[][..], |n| n.items());
            for (i, port) in ports.iter().enumerate() {
                let Some(hp) = port.get("hostPort").filter(|n| !n.is_null()) else {
                    continue;
                };
                if hp.as_i64() != Some(0) {
                    out.push(Violation::new(
                        c.path().key("ports").index(i).key("hostPort"),
                        format!(
                            "{} binds host port {}",
                            c.describe(),
                            hp.as_str().unwrap_or("?")
                        ),
                    ));
                }
            }
        }
    }
}
