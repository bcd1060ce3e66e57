//! KG134: DaemonSets should not get host access on every node.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use super::container_runtime_socket::host_path_volumes;
use super::{mitre, nsa};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fires for a DaemonSet (`apps` or `extensions`) whose pod template
    /// gives its pods access to the node, with one finding per setting:
    ///
    /// - each container (init, regular, ephemeral) with
    ///   `securityContext.privileged: true`;
    /// - each `hostPath` volume;
    /// - `hostNetwork: true`, `hostPID: true`, `hostIPC: true`.
    ///
    /// Other workload kinds are left to the Pod Security Standards checks
    /// (KG101, KG102, KG105), which report the same settings everywhere;
    /// this check adds that in a DaemonSet the exposure is on every node at
    /// once.
    ///
    /// ## Why
    /// A DaemonSet runs one pod on every node, so whatever host access its
    /// template grants is granted cluster-wide: one compromised image,
    /// one vulnerable agent, or one edit to the template is a foothold on
    /// every node, control-plane nodes included when it tolerates their
    /// taints. Node agents (CNI plugins, log shippers, CSI drivers,
    /// monitoring) genuinely need some of this access; each such need should
    /// be a deliberate, reviewed exception.
    ///
    /// ## How to fix
    /// Drop the access the agent does not need, narrow the rest (a read-only
    /// mount of one directory rather than `/`, capabilities rather than
    /// `privileged`), and waive what remains with the reason:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: node-exporter
    ///   annotations:
    ///     kaegis.dev/ignore: daemonset-host-access
    ///     kaegis.dev/ignore-reason: "reads /proc and /sys read-only for node metrics"
    /// ```
    pub struct DaemonSetHostAccess {
        code: "KG134",
        slug: "daemonset-host-access",
        title: "DaemonSets should not get host access on every node",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: &["DaemonSet"],
        profiles: HARDENING,
        references: &[
            nsa("Pod security: host namespaces, privileged containers and hostPath"),
            mitre("T1611 Escape to Host"),
            k8s("DaemonSet", "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
        ],
    }
}

impl DaemonSetHostAccess {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "DaemonSet" {
            return;
        }
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (field, what) in [
            ("hostNetwork", "the network namespace of every node"),
            ("hostPID", "the process namespace of every node"),
            ("hostIPC", "the IPC namespace of every node"),
        ] {
            if pod.field(field).and_then(Node::as_bool) == Some(true) {
                out.push(Violation::new(
                    pod.path(field),
                    format!("DaemonSet pods share {what} ({field}: true)"),
                ));
            }
        }
        for c in pod.containers() {
            if c.sc("privileged").and_then(Node::as_bool) == Some(true) {
                out.push(Violation::new(
                    c.security_context_path("privileged"),
                    format!(
                        "DaemonSet runs {} privileged on every node: root over each node's kernel and devices",
                        c.describe()
                    ),
                ));
            }
        }
        for (i, name, path) in host_path_volumes(&pod) {
            out.push(Violation::new(
                pod.path("volumes").index(i).key("hostPath"),
                format!("DaemonSet mounts the node's {path:?} (volume {name:?}) on every node"),
            ));
        }
    }
}
