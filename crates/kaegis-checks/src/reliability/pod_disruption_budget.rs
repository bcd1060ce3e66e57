//! KG704: Replicated workloads should be covered by a PodDisruptionBudget.
use kaegis_core::{Area, Context, Object, PodSpecView, Scope, Severity, Violation, namespace_key};

use super::{PRODUCTION, controlled, is_replicated, k8s, replicas};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A Deployment or StatefulSet that runs more than one replica
    /// (`spec.replicas` of 2 or more, or a HorizontalPodAutoscaler of the scan
    /// scaling it) should have its pods selected by a PodDisruptionBudget of
    /// its namespace: some `policy` PodDisruptionBudget whose `spec.selector`
    /// matches the labels of the pod template.
    ///
    /// The check is cross-object and says nothing unless the scan can speak
    /// for the namespace's PodDisruptionBudgets: the scan defines the
    /// Namespace, holds at least one PodDisruptionBudget in it, or is a whole
    /// cluster. It does not fire on single-replica or scaled-to-zero
    /// workloads (a budget there would only block drains), on a replica count
    /// kaegis cannot read, nor on an object controlled by another one. A
    /// budget with an empty selector counts as selecting every pod, as it
    /// does in `policy/v1`.
    ///
    /// ## Why
    /// Node drains — cluster upgrades, autoscaler scale-downs, maintenance —
    /// evict pods through the eviction API, which respects
    /// PodDisruptionBudgets and nothing else. Without a budget a drain of two
    /// nodes can evict every replica of a service at once, even though the
    /// workload runs several of them precisely to stay up.
    ///
    /// ## How to fix
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
    pub struct PodDisruptionBudget {
        code: "KG704",
        slug: "pod-disruption-budget",
        title: "Replicated workloads should be covered by a PodDisruptionBudget",
        severity: Severity::Medium,
        area: Area::Reliability,
        profiles: PRODUCTION,
        references: &[k8s(
            "Specifying a Disruption Budget for your Application",
            "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
        )],
        scope: Scope::Inventory,
        kinds: &["Deployment", "StatefulSet"],
    }
}

impl PodDisruptionBudget {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(inventory) = ctx.inventory else {
            return;
        };
        if !is_replicated(obj) || controlled(obj) {
            return;
        }
        let ns = namespace_key(obj);
        let Some(count) = replicas(obj) else {
            return;
        };
        let scaled = inventory
            .autoscaler_for(ns, &obj.id.kind, &obj.id.name)
            .is_some();
        if count == 0 || (count < 2 && !scaled) {
            return;
        }
        if !inventory.covers(ns, "PodDisruptionBudget") {
            return;
        }
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let labels = pod.labels();
        if inventory
            .disruption_budgets
            .iter()
            .any(|(pdb_ns, sel)| pdb_ns == ns && sel.matches(&labels))
        {
            return;
        }
        let replicas = if scaled {
            "is autoscaled".to_owned()
        } else {
            format!("runs {count} replicas")
        };
        let namespace = if ns.is_empty() {
            String::new()
        } else {
            format!(" in namespace {ns}")
        };
        out.push(Violation::new(
            pod.metadata_path.key("labels"),
            format!(
                "{} {replicas} but no PodDisruptionBudget{namespace} selects its pods",
                obj.id.kind
            ),
        ));
    }
}
