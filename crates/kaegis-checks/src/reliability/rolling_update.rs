//! KG706: Updates should roll out gradually.
use kaegis_core::{Area, Context, JsonPath, Node, Object, PodSpecView, Severity, Violation};

use super::{IntOrPercent, PRODUCTION, controlled, k8s};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A workload's update strategy should replace pods gradually. It fires
    /// on:
    /// - a Deployment with `spec.strategy.type: Recreate`;
    /// - a Deployment whose `spec.strategy.rollingUpdate.maxUnavailable` is
    ///   `100%` (or more);
    /// - a StatefulSet or DaemonSet with `spec.updateStrategy.type: OnDelete`.
    ///
    /// Only what the manifest writes is read: the defaults of the current
    /// APIs are rolling updates. (The removed `extensions/v1beta1` DaemonSet
    /// and `apps/v1beta1` StatefulSet defaulted to `OnDelete`; the
    /// `removed-api` check reports those versions.) Objects controlled by
    /// another one are left to their owner.
    ///
    /// ## Why
    /// `Recreate` stops every old pod before starting a new one: each
    /// rollout is an outage, and a bad version leaves nothing running at
    /// all. `maxUnavailable: 100%` does the same inside a rolling update.
    /// `OnDelete` never replaces pods by itself: a new image or
    /// configuration reaches a pod only when something deletes it, so nodes
    /// silently run different versions for weeks.
    ///
    /// `Recreate` is not reported on a Deployment whose pods mount a
    /// PersistentVolumeClaim: with a `ReadWriteOnce` volume the new pod of a
    /// rolling update cannot start on another node while the old one holds
    /// the volume, so `Recreate` is the right choice there. It is sometimes
    /// needed for other reasons (an application that cannot run two
    /// versions side by side); then waive the finding with the reason.
    ///
    /// ## How to fix
    /// ```yaml
    /// spec:
    ///   strategy:
    ///     type: RollingUpdate
    ///     rollingUpdate:
    ///       maxUnavailable: 0
    ///       maxSurge: 1
    /// ```
    pub struct RollingUpdate {
        code: "KG706",
        slug: "rolling-update",
        title: "Updates should roll out gradually",
        severity: Severity::Low,
        area: Area::Reliability,
        kinds: &["Deployment", "StatefulSet", "DaemonSet"],
        profiles: PRODUCTION,
        references: &[k8s(
            "Deployment strategy",
            "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy",
        )],
    }
}

impl RollingUpdate {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !matches!(obj.group(), "apps" | "extensions") || controlled(obj) {
            return;
        }
        let text = |keys: &[&str]| obj.root.get_path(keys).and_then(Node::as_str);
        match obj.id.kind.as_str() {
            "Deployment" => {
                if text(&["spec", "strategy", "type"]) == Some("Recreate") {
                    if mounts_claim(obj) {
                        return;
                    }
                    out.push(Violation::new(
                        JsonPath::root().keys(&["spec", "strategy", "type"]),
                        "Deployment uses the Recreate strategy: every rollout stops all pods before starting new ones",
                    ));
                    return;
                }
                let keys = ["spec", "strategy", "rollingUpdate", "maxUnavailable"];
                if let Some(IntOrPercent::Percent(p)) =
                    obj.root.get_path(&keys).and_then(IntOrPercent::of)
                    && p >= 100
                {
                    out.push(Violation::new(
                        JsonPath::root().keys(&keys),
                        format!(
                            "rolling update with maxUnavailable: {p}% may stop every pod at once"
                        ),
                    ));
                }
            }
            kind @ ("StatefulSet" | "DaemonSet")
                if text(&["spec", "updateStrategy", "type"]) == Some("OnDelete") =>
            {
                out.push(Violation::new(
                    JsonPath::root().keys(&["spec", "updateStrategy", "type"]),
                    format!(
                        "{kind} uses the OnDelete update strategy: pods keep the old version until something deletes them"
                    ),
                ));
            }
            _ => {}
        }
    }
}

/// True when the pod mounts a PersistentVolumeClaim: with a `ReadWriteOnce`
/// volume, a rolling update's new pod cannot attach the volume on another
/// node while the old pod holds it, so `Recreate` is the working choice.
fn mounts_claim(obj: &Object) -> bool {
    PodSpecView::of(obj).is_some_and(|pod| {
        pod.volumes()
            .iter()
            .any(|v| v.get("persistentVolumeClaim").is_some_and(|c| !c.is_null()))
    })
}
