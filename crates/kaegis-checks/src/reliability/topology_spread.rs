//! KG707: Replicas should be spread across nodes or zones.
use kaegis_core::{Area, Context, Object, PodSpecView, Severity, Violation};

use super::{PRODUCTION, controlled, is_replicated, k8s, replicas};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A Deployment or StatefulSet with `spec.replicas` of 2 or more should
    /// tell the scheduler to keep its replicas apart: a non-empty
    /// `topologySpreadConstraints`, or a `podAntiAffinity` rule in
    /// `affinity`, in its pod template.
    ///
    /// It does not fire on a single replica (nothing to spread), on a
    /// replica count written as a template placeholder, nor on objects
    /// controlled by another one. It reads `spec.replicas` only: a workload
    /// that an autoscaler scales from one replica is not reported.
    ///
    /// ## Why
    /// Without a rule the scheduler only applies its built-in defaults —
    /// soft constraints (`ScheduleAnyway`) with a skew of 3 pods per node
    /// and 5 per zone in a standard kube-scheduler — and packs replicas
    /// wherever resources fit. Three replicas on one node, or in one zone,
    /// all go down with it, and the replica count gives a false sense of
    /// redundancy.
    ///
    /// ## How to fix
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       topologySpreadConstraints:
    ///       - maxSkew: 1
    ///         topologyKey: topology.kubernetes.io/zone
    ///         whenUnsatisfiable: ScheduleAnyway
    ///         labelSelector:
    ///           matchLabels:
    ///             app.kubernetes.io/name: web
    ///       - maxSkew: 1
    ///         topologyKey: kubernetes.io/hostname
    ///         whenUnsatisfiable: DoNotSchedule
    ///         labelSelector:
    ///           matchLabels:
    ///             app.kubernetes.io/name: web
    /// ```
    pub struct TopologySpread {
        code: "KG707",
        slug: "topology-spread",
        title: "Replicas should be spread across nodes or zones",
        severity: Severity::Low,
        area: Area::Reliability,
        kinds: &["Deployment", "StatefulSet"],
        profiles: PRODUCTION,
        references: &[k8s(
            "Pod Topology Spread Constraints",
            "https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/",
        )],
    }
}

impl TopologySpread {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !is_replicated(obj) || controlled(obj) {
            return;
        }
        let Some(count) = replicas(obj).filter(|n| *n >= 2) else {
            return;
        };
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let spread = pod
            .field("topologySpreadConstraints")
            .is_some_and(|n| !n.items().is_empty());
        let anti_affinity = pod
            .spec
            .get_path(&["affinity", "podAntiAffinity"])
            .is_some_and(|n| !n.is_null() && !n.entries().is_empty());
        if spread || anti_affinity {
            return;
        }
        out.push(Violation::new(
            pod.path("topologySpreadConstraints"),
            format!(
                "{} runs {count} replicas with neither topologySpreadConstraints nor podAntiAffinity",
                obj.id.kind
            ),
        ));
    }
}
