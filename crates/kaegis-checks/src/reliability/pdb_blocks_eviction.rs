//! KG705: PodDisruptionBudgets must allow at least one eviction.
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{IntOrPercent, PRODUCTION, k8s};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A PodDisruptionBudget (`policy/v1` or `policy/v1beta1`) must not
    /// forbid every voluntary eviction: `spec.maxUnavailable: 0` (or `"0%"`)
    /// and `spec.minAvailable: "100%"` do.
    ///
    /// It does not fire on an integer `minAvailable`: whether it equals the
    /// replica count depends on the workload (and its autoscaler) at the
    /// time of the drain, which a manifest cannot tell.
    ///
    /// ## Why
    /// A node drain evicts pods one by one through the eviction API, and the
    /// API refuses any eviction that would break a budget. A budget that
    /// allows zero disruptions therefore blocks every drain of every node
    /// running one of its pods: cluster upgrades and node-pool rotations
    /// hang until an operator deletes the budget or the pod by hand, which
    /// is exactly the unguarded disruption the budget was meant to prevent.
    ///
    /// ## How to fix
    /// Allow one pod at a time to go, and run enough replicas that one can:
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: web
    /// spec:
    ///   maxUnavailable: 1
    ///   selector:
    ///     matchLabels:
    ///       app.kubernetes.io/name: web
    /// ```
    pub struct PdbBlocksEviction {
        code: "KG705",
        slug: "pdb-blocks-eviction",
        title: "PodDisruptionBudgets must allow at least one eviction",
        severity: Severity::Medium,
        area: Area::Reliability,
        kinds: &["PodDisruptionBudget"],
        profiles: PRODUCTION,
        references: &[k8s(
            "Specifying a Disruption Budget for your Application",
            "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
        )],
    }
}

impl PdbBlocksEviction {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "PodDisruptionBudget" || obj.group() != "policy" {
            return;
        }
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        let field = |k: &str| spec.get(k).and_then(IntOrPercent::of);
        match field("maxUnavailable") {
            Some(IntOrPercent::Int(0)) => out.push(Violation::new(
                JsonPath::root().keys(&["spec", "maxUnavailable"]),
                "maxUnavailable: 0 forbids every eviction, so node drains block until the budget is removed",
            )),
            Some(IntOrPercent::Percent(0)) => out.push(Violation::new(
                JsonPath::root().keys(&["spec", "maxUnavailable"]),
                "maxUnavailable: 0% forbids every eviction, so node drains block until the budget is removed",
            )),
            _ => {}
        }
        if let Some(IntOrPercent::Percent(p)) = field("minAvailable")
            && p >= 100
        {
            out.push(Violation::new(
                JsonPath::root().keys(&["spec", "minAvailable"]),
                format!(
                    "minAvailable: {p}% forbids every eviction, so node drains block until the budget is removed"
                ),
            ));
        }
    }
}
