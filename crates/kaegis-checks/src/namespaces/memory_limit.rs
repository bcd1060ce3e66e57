//! KG605: Containers should have a memory limit.
use kaegis_core::{Area, ContainerKind, Context, Object, PodSpecView, Severity, Violation};

use super::{HARDENING, controlled, has_resource, k8s, nsa};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every container and init container of a workload should set
    /// `resources.limits.memory`, unless the pod sets a pod-level
    /// `spec.resources.limits.memory` that bounds all its containers.
    ///
    /// Ephemeral containers cannot have resources and are not checked, nor
    /// are objects controlled by another one. A default limit a namespace's
    /// LimitRange would inject is not visible in a manifest and is not taken
    /// into account. (CPU limits are deliberately not required: see
    /// `resource-requests`.)
    ///
    /// ## Why
    /// Memory is not compressible: a container without a limit can grow
    /// until the node runs out, and then the kernel's OOM killer or the
    /// kubelet's eviction picks victims among *other* pods too. A leak or a
    /// hostile workload becomes a node-wide outage. With a limit, only the
    /// offending container is killed and restarted. Setting the limit equal
    /// to the request also makes the memory a guaranteed reservation.
    ///
    /// ## How to fix
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.4.2
    ///   resources:
    ///     requests:
    ///       memory: 512Mi
    ///     limits:
    ///       memory: 512Mi
    /// ```
    pub struct MemoryLimit {
        code: "KG605",
        slug: "memory-limit",
        title: "Containers should have a memory limit",
        severity: Severity::Medium,
        area: Area::Namespaces,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening: resource policies"),
            k8s(
                "Resource Management for Pods and Containers",
                "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
            ),
        ],
    }
}

impl MemoryLimit {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if controlled(obj) {
            return;
        }
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if has_resource(pod.spec, "limits", "memory") {
            return;
        }
        for c in pod.containers() {
            if c.kind == ContainerKind::Ephemeral || has_resource(c.node, "limits", "memory") {
                continue;
            }
            out.push(Violation::new(
                c.path().keys(&["resources", "limits", "memory"]),
                format!(
                    "{} has no memory limit (resources.limits.memory)",
                    c.describe()
                ),
            ));
        }
    }
}
