//! KG709: Node agents and system workloads should set a priority class.
use kaegis_core::{Area, Context, Node, Object, Severity, Violation};

use super::{PRODUCTION, k8s, long_running};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A DaemonSet (in any namespace), and any long-running workload in
    /// `kube-system` (Deployment, StatefulSet, ReplicaSet,
    /// ReplicationController, a bare Pod that restarts), should set
    /// `priorityClassName` in its pod spec.
    ///
    /// Other workloads are not checked: for an ordinary application the
    /// cluster's default priority is usually right. Jobs, CronJobs and
    /// run-to-completion Pods are not checked either, nor are objects
    /// controlled by another one. A cluster whose PriorityClass with
    /// `globalDefault: true` already suits its node agents can disable the
    /// check.
    ///
    /// ## Why
    /// When a node runs out of room the scheduler preempts lower-priority
    /// pods, and under memory pressure the kubelet evicts them first. Node
    /// agents — log shippers, CNI and CSI plugins, monitoring exporters —
    /// and cluster add-ons such as DNS must be the last to go: without a
    /// priority class a DaemonSet pod can stay Pending on a full node, and
    /// a busy application can evict the DNS server the whole cluster needs.
    ///
    /// ## How to fix
    /// Use a built-in class for components the node or cluster cannot work
    /// without, or a class of your own:
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       priorityClassName: system-node-critical
    /// ```
    pub struct PriorityClass {
        code: "KG709",
        slug: "priority-class",
        title: "Node agents and system workloads should set a priority class",
        severity: Severity::Low,
        area: Area::Reliability,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: PRODUCTION,
        references: &[k8s(
            "Pod Priority and Preemption",
            "https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/",
        )],
    }
}

impl PriorityClass {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let daemon = obj.id.kind == "DaemonSet";
        let system = obj.id.namespace.as_deref() == Some("kube-system");
        if !daemon && !system {
            return;
        }
        let Some(pod) = long_running(obj) else {
            return;
        };
        let set = pod
            .field("priorityClassName")
            .and_then(Node::as_str)
            .is_some_and(|s| !s.is_empty());
        if set {
            return;
        }
        let why = if daemon {
            "DaemonSet (a node agent)"
        } else {
            "workload in kube-system"
        };
        out.push(Violation::new(
            pod.path("priorityClassName"),
            format!("{why} sets no priorityClassName, so it may be preempted or evicted before ordinary pods"),
        ));
    }
}
