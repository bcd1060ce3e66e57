//! KG601: Objects should not be placed in the default namespace.
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{CIS_HARDENING, cis, controlled, k8s};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// An object should not set `metadata.namespace: default`.
    ///
    /// A manifest without `metadata.namespace` is not reported: it goes to
    /// whatever namespace it is applied to (`kubectl -n`, Kustomize's
    /// `namespace:`, Helm's `--namespace`, an Argo CD Application), which a
    /// manifest cannot tell. Nor are the objects Kubernetes itself keeps in
    /// `default` (the `kubernetes` Service, Endpoints and EndpointSlice, the
    /// `default` ServiceAccount, the `kube-root-ca.crt` ConfigMap), objects
    /// that govern the namespace rather than run in it (Role, RoleBinding,
    /// NetworkPolicy, ResourceQuota, LimitRange: a monitoring Role for
    /// `default` or a quota on it must live there), built-in cluster-scoped
    /// kinds whose stray `metadata.namespace` the API server ignores
    /// (ClusterRoleBinding, StorageClass…), or objects controlled by another
    /// one (`ownerReferences` with `controller: true`): the finding belongs
    /// to the owner.
    ///
    /// ## Why
    /// The `default` namespace is where everything lands that nobody placed:
    /// it usually has no ResourceQuota, no LimitRange, no NetworkPolicy, no
    /// Pod Security label and the broadest RoleBindings, and it mixes
    /// unrelated applications. Giving each application its own namespace
    /// gives it its own access control, quota and policy boundary.
    ///
    /// ## How to fix
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// ```
    pub struct DefaultNamespace {
        code: "KG601",
        slug: "default-namespace",
        title: "Objects should not be placed in the default namespace",
        severity: Severity::Low,
        area: Area::Namespaces,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.7.4"),
            k8s(
                "Namespaces",
                "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
            ),
        ],
    }
}

impl DefaultNamespace {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.namespace.as_deref() != Some("default") {
            return;
        }
        let kind = obj.id.kind.as_str();
        let builtin = match (kind, obj.group()) {
            ("Service" | "Endpoints", "") | ("EndpointSlice", "discovery.k8s.io") => {
                obj.id.name == "kubernetes"
            }
            ("ServiceAccount", "") => obj.id.name == "default",
            ("ConfigMap", "") => obj.id.name == "kube-root-ca.crt",
            _ => false,
        };
        if builtin
            || GOVERNING_KINDS.contains(&kind)
            || obj.id.is_cluster_scoped()
            || controlled(obj)
        {
            return;
        }
        out.push(Violation::new(
            JsonPath::root().keys(&["metadata", "namespace"]),
            format!("{} is placed in the default namespace", obj.id.kind),
        ));
    }
}

/// Kinds that govern a namespace rather than run in it: placing them in
/// `default` protects or grants access to what is there.
const GOVERNING_KINDS: &[&str] = &[
    "Role",
    "RoleBinding",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
];
