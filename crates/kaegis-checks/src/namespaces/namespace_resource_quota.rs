//! KG602: Namespaces should have a ResourceQuota.
use kaegis_core::{Area, Context, JsonPath, Object, Scope, Severity, Violation};

use super::{HARDENING, k8s, namespace_lacks, nsa};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every Namespace object of the scan, except `kube-system`,
    /// `kube-public` and `kube-node-lease`, should have a ResourceQuota in
    /// it, in the same scan.
    ///
    /// The check only speaks about Namespaces the scan defines, so it knows
    /// what the namespace holds: a repository that deploys into a namespace
    /// created elsewhere is not reported. When the scan holds a
    /// ResourceQuota without `metadata.namespace` (placed at apply time, as
    /// with `kubectl -n` or Kustomize), kaegis cannot tell which namespace
    /// it lands in and says nothing.
    ///
    /// ## Why
    /// Without a quota one namespace can take the whole cluster: a runaway
    /// autoscaler, a loop creating Jobs or a leaked PersistentVolumeClaim per
    /// test run starves every other tenant, and a compromised workload can
    /// mine cryptocurrency on every node. A ResourceQuota caps the CPU,
    /// memory, storage and object counts a namespace may claim, and, when it
    /// caps CPU or memory, makes every pod declare what it needs.
    ///
    /// ## How to fix
    /// ```yaml
    /// apiVersion: v1
    /// kind: ResourceQuota
    /// metadata:
    ///   name: compute
    ///   namespace: shop
    /// spec:
    ///   hard:
    ///     requests.cpu: "20"
    ///     requests.memory: 64Gi
    ///     limits.memory: 64Gi
    ///     persistentvolumeclaims: "20"
    ///     pods: "200"
    /// ```
    pub struct NamespaceResourceQuota {
        code: "KG602",
        slug: "namespace-resource-quota",
        title: "Namespaces should have a ResourceQuota",
        severity: Severity::Medium,
        area: Area::Namespaces,
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening: resource policies"),
            k8s("Resource Quotas", "https://kubernetes.io/docs/concepts/policy/resource-quotas/"),
        ],
        scope: Scope::Inventory,
        kinds: &["Namespace"],
    }
}

impl NamespaceResourceQuota {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if namespace_lacks(obj, ctx, "ResourceQuota") == Some(true) {
            out.push(Violation::new(
                JsonPath::root().keys(&["metadata", "name"]),
                format!("namespace {} has no ResourceQuota in the scan", obj.id.name),
            ));
        }
    }
}
