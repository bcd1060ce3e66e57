//! KG139: Containers of a pod should not share one process namespace.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use super::nsa;
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fires when a pod sets `shareProcessNamespace: true`. Unset or `false`
    /// passes. (Sharing the *node's* process namespace, `hostPID`, is
    /// KG102's.)
    ///
    /// ## Why
    /// In a shared process namespace every container sees the others'
    /// processes: it can signal them, read their environment and command
    /// lines, and reach their file systems through `/proc/<pid>/root`,
    /// subject only to user IDs and capabilities. A compromised sidecar then
    /// reads the main container's secrets, and the pod's containers stop
    /// being isolated from each other.
    ///
    /// ## How to fix
    /// Remove the field; for debugging, attach an ephemeral container that
    /// targets one container instead (`kubectl debug -it POD --target=app`):
    /// ```yaml
    /// spec:
    ///   shareProcessNamespace: false
    /// ```
    pub struct ShareProcessNamespace {
        code: "KG139",
        slug: "share-process-namespace",
        title: "Containers of a pod should not share one process namespace",
        severity: Severity::Low,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            nsa("Pod security: container isolation"),
            k8s("Share process namespace between containers in a pod", "https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/"),
        ],
    }
}

impl ShareProcessNamespace {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if pod.field("shareProcessNamespace").and_then(Node::as_bool) == Some(true) {
            out.push(Violation::new(
                pod.path("shareProcessNamespace"),
                "pod sets shareProcessNamespace: true, so its containers see and can signal each other's processes",
            ));
        }
    }
}
