//! KG603: Namespaces should have a LimitRange.
use kaegis_core::{Area, Context, JsonPath, Object, Scope, Severity, Violation};

use super::{HARDENING, k8s, namespace_lacks, nsa};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every Namespace object of the scan, except `kube-system`,
    /// `kube-public` and `kube-node-lease`, should have a LimitRange in it,
    /// in the same scan.
    ///
    /// The check only speaks about Namespaces the scan defines. When the
    /// scan holds a LimitRange without `metadata.namespace` (placed at apply
    /// time), kaegis cannot tell which namespace it lands in and says
    /// nothing.
    ///
    /// ## Why
    /// A LimitRange gives containers that declare nothing a default request
    /// and limit, and bounds what any single container or claim may ask
    /// for. Without one, a pod that forgot its resources is scheduled as if
    /// it needed nothing and may use a whole node; with a ResourceQuota on
    /// CPU or memory and no LimitRange, such a pod is simply rejected.
    ///
    /// ## How to fix
    /// ```yaml
    /// apiVersion: v1
    /// kind: LimitRange
    /// metadata:
    ///   name: defaults
    ///   namespace: shop
    /// spec:
    ///   limits:
    ///   - type: Container
    ///     defaultRequest:
    ///       cpu: 100m
    ///       memory: 128Mi
    ///     default:
    ///       memory: 512Mi
    ///     max:
    ///       memory: 8Gi
    /// ```
    pub struct NamespaceLimitRange {
        code: "KG603",
        slug: "namespace-limit-range",
        title: "Namespaces should have a LimitRange",
        severity: Severity::Low,
        area: Area::Namespaces,
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening: resource policies"),
            k8s("Limit Ranges", "https://kubernetes.io/docs/concepts/policy/limit-range/"),
        ],
        scope: Scope::Inventory,
        kinds: &["Namespace"],
    }
}

impl NamespaceLimitRange {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if namespace_lacks(obj, ctx, "LimitRange") == Some(true) {
            out.push(Violation::new(
                JsonPath::root().keys(&["metadata", "name"]),
                format!("namespace {} has no LimitRange in the scan", obj.id.name),
            ));
        }
    }
}
