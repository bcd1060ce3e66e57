//! KG604: Containers should request CPU and memory.
use kaegis_core::{Area, ContainerKind, Context, Object, PodSpecView, Severity, Violation};

use super::{PRODUCTION, controlled, has_resource, k8s};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every container and init container of a workload should set
    /// `resources.requests.cpu` and `resources.requests.memory`; one finding
    /// per missing request.
    ///
    /// A request is taken as set when Kubernetes would fill it in from the
    /// manifest: a container that sets `resources.limits.cpu` (or `memory`)
    /// gets the same request by default, and pod-level `spec.resources`
    /// (requests or limits) covers every container of the pod. Ephemeral
    /// containers cannot have resources and are not checked, nor are objects
    /// controlled by another one. Defaults a namespace's LimitRange would
    /// inject are not visible in a manifest and are not taken into account:
    /// a workload should say what it needs wherever it is deployed.
    ///
    /// There is deliberately no check for CPU *limits*: a CPU limit throttles
    /// a container even on an idle node, hurts latency, and its use is
    /// contested. Memory limits are checked by `memory-limit`.
    ///
    /// ## Why
    /// The scheduler places pods by their requests. A container without
    /// requests counts as needing nothing: nodes get over-packed, pods are
    /// the first evicted under memory pressure (BestEffort class), and the
    /// horizontal autoscaler cannot compute CPU or memory utilisation.
    ///
    /// ## How to fix
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.4.2
    ///   resources:
    ///     requests:
    ///       cpu: 250m
    ///       memory: 256Mi
    ///     limits:
    ///       memory: 256Mi
    /// ```
    pub struct ResourceRequests {
        code: "KG604",
        slug: "resource-requests",
        title: "Containers should request CPU and memory",
        severity: Severity::Medium,
        area: Area::Namespaces,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: PRODUCTION,
        references: &[k8s(
            "Resource Management for Pods and Containers",
            "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
        )],
    }
}

impl ResourceRequests {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if controlled(obj) {
            return;
        }
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let pod_level = |resource| {
            has_resource(pod.spec, "requests", resource)
                || has_resource(pod.spec, "limits", resource)
        };
        let wanted =
            [("cpu", "CPU"), ("memory", "memory")].map(|(r, noun)| (r, noun, !pod_level(r)));
        for c in pod.containers() {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            for (resource, noun, needed) in wanted {
                if !needed
                    || has_resource(c.node, "requests", resource)
                    || has_resource(c.node, "limits", resource)
                {
                    continue;
                }
                out.push(Violation::new(
                    c.path().keys(&["resources", "requests", resource]),
                    format!(
                        "{} has no {noun} request (resources.requests.{resource})",
                        c.describe()
                    ),
                ));
            }
        }
    }
}
