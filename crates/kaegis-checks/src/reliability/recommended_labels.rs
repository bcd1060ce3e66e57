//! KG708: Workloads should carry the recommended labels.
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{PRODUCTION, controlled, k8s};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every workload — Deployment, StatefulSet, DaemonSet, Job, CronJob and
    /// bare Pod — should carry each label of `requiredLabels` (parameter,
    /// default `app.kubernetes.io/name` and `app.kubernetes.io/instance`) in
    /// its `metadata.labels`. One finding per missing label.
    ///
    /// Only workloads are checked: Services, ConfigMaps and the rest are
    /// left alone. ReplicaSets, ReplicationControllers and PodTemplates are
    /// not checked, nor is any object controlled by another one (a Job of a
    /// CronJob, a Pod of a ReplicaSet): their labels come from their owner.
    /// Only the object's own labels count, not its pod template's.
    ///
    /// ## Why
    /// The `app.kubernetes.io/` labels are the shared vocabulary tools use to
    /// tell which application and which installation an object belongs to:
    /// dashboards group by them, cost reports and alert routing read them,
    /// `kubectl get -l` finds everything of one release with them. A
    /// workload without them is an orphan in every one of those views, and
    /// during an incident nobody can tell whom it belongs to.
    ///
    /// ## How to fix
    /// ```yaml
    /// metadata:
    ///   name: web
    ///   labels:
    ///     app.kubernetes.io/name: web
    ///     app.kubernetes.io/instance: web-production
    ///     app.kubernetes.io/version: "1.4.2"
    ///     app.kubernetes.io/part-of: shop
    /// ```
    pub struct RecommendedLabels {
        code: "KG708",
        slug: "recommended-labels",
        title: "Workloads should carry the recommended labels",
        severity: Severity::Info,
        area: Area::Reliability,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: PRODUCTION,
        references: &[k8s(
            "Recommended Labels",
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/",
        )],
    }
}

impl RecommendedLabels {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let workload = match obj.id.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" => {
                matches!(obj.group(), "apps" | "extensions")
            }
            "Job" | "CronJob" => obj.group() == "batch",
            "Pod" => obj.group().is_empty(),
            _ => false,
        };
        if !workload || controlled(obj) {
            return;
        }
        let labels = obj.root.get_path(&["metadata", "labels"]);
        for key in &ctx.settings.required_labels {
            let present = labels
                .and_then(|l| l.get(key))
                .is_some_and(|v| !v.is_null());
            if !present {
                out.push(Violation::new(
                    JsonPath::root().keys(&["metadata", "labels"]).key(key),
                    format!("{} has no label {key}", obj.id.kind),
                ));
            }
        }
    }
}
