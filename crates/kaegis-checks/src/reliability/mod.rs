//! Checks of the `reliability` area: what keeps a workload serving through
//! crashes, rollouts, node drains and cluster upgrades — probes, replicas,
//! disruption budgets, rollout strategies, spreading, priorities, labels and
//! API versions that a cluster upgrade would reject.

pub mod deprecated_api;
pub mod liveness_probe;
pub mod pdb_blocks_eviction;
pub mod pod_disruption_budget;
pub mod priority_class;
pub mod readiness_probe;
pub mod recommended_labels;
pub mod removed_api;
pub mod replicas;
pub mod rolling_update;
pub mod topology_spread;

use kaegis_core::{Check, Node, Object, PodSpecView};

pub use crate::refs::{PRODUCTION, k8s};

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &liveness_probe::LivenessProbe,
    &readiness_probe::ReadinessProbe,
    &replicas::Replicas,
    &pod_disruption_budget::PodDisruptionBudget,
    &pdb_blocks_eviction::PdbBlocksEviction,
    &rolling_update::RollingUpdate,
    &topology_spread::TopologySpread,
    &recommended_labels::RecommendedLabels,
    &priority_class::PriorityClass,
    &deprecated_api::DeprecatedApi,
    &removed_api::RemovedApi,
];

/// True when another object controls this one (`metadata.ownerReferences`
/// with `controller: true`), as a ReplicaSet of a Deployment or a Pod of a
/// ReplicaSet in a cluster dump: findings belong on the owner, the object a
/// user edits, so owned objects are not reported twice.
pub(crate) fn controlled(obj: &Object) -> bool {
    obj.root
        .get_path(&["metadata", "ownerReferences"])
        .map_or(&[][..], Node::items)
        .iter()
        .any(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
}

/// The pod spec of a long-running workload: a Deployment, StatefulSet,
/// DaemonSet, ReplicaSet, ReplicationController, or a bare Pod that restarts
/// its containers (`restartPolicy` absent or `Always`). Jobs, CronJobs and
/// run-to-completion Pods are batch work; PodTemplates may be either.
/// Objects controlled by another object are left to their owner.
pub(crate) fn long_running(obj: &Object) -> Option<PodSpecView<'_>> {
    if !matches!(
        obj.id.kind.as_str(),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" | "Pod"
    ) || controlled(obj)
    {
        return None;
    }
    let pod = PodSpecView::of(obj)?;
    if obj.id.kind == "Pod" {
        let policy = pod.field("restartPolicy").and_then(Node::as_str);
        if matches!(policy, Some("Never" | "OnFailure")) {
            return None;
        }
    }
    Some(pod)
}

/// True for a Deployment or StatefulSet of the `apps` (or legacy
/// `extensions`) group: the objects whose replica count a team chooses.
pub(crate) fn is_replicated(obj: &Object) -> bool {
    matches!(obj.id.kind.as_str(), "Deployment" | "StatefulSet")
        && matches!(obj.group(), "apps" | "extensions")
}

/// `spec.replicas` as written: `Some(n)` for an integer, `Some(1)` when the
/// field is absent or null (the API default), `None` when it is something
/// kaegis cannot read (a template placeholder, a string).
pub(crate) fn replicas(obj: &Object) -> Option<i64> {
    match obj.root.get_path(&["spec", "replicas"]) {
        None => Some(1),
        Some(n) if n.is_null() => Some(1),
        Some(n) => n.as_i64(),
    }
}

/// An int-or-string field read as Kubernetes reads it: an integer, or a
/// percentage (`"25%"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntOrPercent {
    /// A plain integer.
    Int(i64),
    /// A percentage, without its `%`.
    Percent(i64),
}

impl IntOrPercent {
    /// Reads an int-or-string node; `None` for anything else (a percentage
    /// must be digits followed by `%`, as the API validates it).
    pub(crate) fn of(node: &Node) -> Option<Self> {
        if let Some(i) = node.as_i64() {
            return Some(Self::Int(i));
        }
        let digits = node.as_str()?.strip_suffix('%')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Self::Percent)
    }
}

/// For the probe checks: every regular container of a long-running workload
/// without `probe` (`livenessProbe`, `readinessProbe`).
pub(crate) fn missing_probe(obj: &Object, probe: &str, out: &mut Vec<kaegis_core::Violation>) {
    let Some(pod) = long_running(obj) else {
        return;
    };
    for c in pod.containers() {
        if c.kind == kaegis_core::ContainerKind::Regular
            && c.node.get(probe).is_none_or(Node::is_null)
        {
            let mut v = kaegis_core::Violation::new(
                c.path().key(probe),
                format!("{} has no {probe}", c.describe()),
            );
            // A placeholder probe on the first declared TCP port: mechanical,
            // better than none, and worth replacing by an HTTP check of the
            // application itself.
            let port = c
                .node
                .get("ports")
                .and_then(|p| p.items().first())
                .filter(|p| {
                    p.get("protocol")
                        .and_then(Node::as_str)
                        .is_none_or(|x| x == "TCP")
                })
                .and_then(|p| p.get("containerPort"))
                .and_then(Node::as_i64);
            if let Some(port) = port {
                v = v.with_fix(kaegis_core::Fix::set(
                    c.path().key(probe),
                    serde_json::json!({ "tcpSocket": { "port": port } }),
                    format!("add a {probe} on TCP port {port} (a placeholder: prefer an HTTP check of the app)"),
                ));
            }
            out.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaegis_core::Pos;

    #[test]
    fn int_or_percent() {
        let plain = |t| Node::plain_scalar(Pos::new(1, 1), t);
        let quoted = |t| Node::quoted_scalar(Pos::new(1, 1), t);
        assert_eq!(IntOrPercent::of(&plain("0")), Some(IntOrPercent::Int(0)));
        assert_eq!(
            IntOrPercent::of(&quoted("100%")),
            Some(IntOrPercent::Percent(100))
        );
        assert_eq!(
            IntOrPercent::of(&plain("00%")),
            Some(IntOrPercent::Percent(0))
        );
        assert_eq!(IntOrPercent::of(&quoted("0")), None);
        assert_eq!(IntOrPercent::of(&quoted("%")), None);
        assert_eq!(IntOrPercent::of(&quoted("-1%")), None);
        assert_eq!(IntOrPercent::of(&quoted("1.5%")), None);
    }
}
