//! KG131: Containers should not run with the root group.
use kaegis_core::{Area, Context, Object, PodSpecView, Severity, Violation};

use super::nsa;
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fires when a container's processes or volumes get group ID 0:
    ///
    /// - the effective `runAsGroup` is `0`: set on the container, or set on
    ///   the pod and not overridden by the container (the pod-level value is
    ///   reported once, naming the containers that inherit it);
    /// - the pod's `fsGroup` is `0`;
    /// - the pod's `supplementalGroups` contains `0`.
    ///
    /// An unset `runAsGroup` does not fire: the group then comes from the
    /// image, which kaegis cannot see. Pods with `spec.os.name: windows` are
    /// exempt: these fields do not exist for Windows containers.
    ///
    /// ## Why
    /// Group 0 owns much of what matters on a Linux system: files mounted
    /// from the node, device nodes and sockets that are group-writable by
    /// root, and in many images the application's own directories. A
    /// process with GID 0 reads and writes all of them even when its UID is
    /// not root, and `fsGroup: 0` makes every file on the pod's volumes
    /// root-group owned.
    ///
    /// ## How to fix
    /// Pick a non-zero group for the processes and the volumes:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 10001
    ///     runAsGroup: 10001
    ///     fsGroup: 10001
    /// ```
    pub struct RunAsGroupRoot {
        code: "KG131",
        slug: "run-as-group-root",
        title: "Containers should not run with the root group",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            nsa("Pod security: non-root containers"),
            k8s("Configure a security context for a pod", "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"),
        ],
    }
}

impl RunAsGroupRoot {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if pod.is_windows() {
            return;
        }
        let pod_group = pod.sc("runAsGroup").and_then(|n| n.as_i64());
        let mut inheriting: Vec<String> = Vec::new();
        for c in pod.containers() {
            match c.sc("runAsGroup").map(|n| n.as_i64()) {
                Some(Some(0)) => out.push(Violation::new(
                    c.security_context_path("runAsGroup"),
                    format!("{} sets runAsGroup: 0 (the root group)", c.describe()),
                )),
                // Set to another group (or to something unreadable): the
                // container does not inherit the pod's value.
                Some(Some(_)) => {}
                Some(None) | None => {
                    if pod_group == Some(0) {
                        inheriting.push(c.describe());
                    }
                }
            }
        }
        if !inheriting.is_empty() {
            out.push(Violation::new(
                pod.security_context_path("runAsGroup"),
                format!(
                    "pod sets runAsGroup: 0 (the root group), inherited by {}",
                    inheriting.join(", ")
                ),
            ));
        }
        if pod.sc("fsGroup").and_then(|n| n.as_i64()) == Some(0) {
            out.push(Violation::new(
                pod.security_context_path("fsGroup"),
                "pod sets fsGroup: 0, so its volumes are owned by the root group",
            ));
        }
        let groups = pod.sc("supplementalGroups").map_or(&[][..], |n| n.items());
        for (i, g) in groups.iter().enumerate() {
            if g.as_i64() == Some(0) {
                out.push(Violation::new(
                    pod.security_context_path("supplementalGroups").index(i),
                    "pod adds the root group 0 to supplementalGroups",
                ));
            }
        }
    }
}
