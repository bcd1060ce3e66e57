//! Checks of the `namespaces` area: how namespaces divide a cluster —
//! the default namespace, quotas and limit ranges, container resources, and
//! the Pod Security Admission labels that set each namespace's policy.

pub mod default_namespace;
pub mod memory_limit;
pub mod namespace_limit_range;
pub mod namespace_pod_security_labels;
pub mod namespace_pod_security_level;
pub mod namespace_privileged;
pub mod namespace_resource_quota;
pub mod resource_requests;

use kaegis_core::{Check, Node, Object};

pub use crate::refs::{CIS_HARDENING, HARDENING, PRODUCTION, cis, k8s, nsa};
pub(crate) use crate::reliability::controlled;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &default_namespace::DefaultNamespace,
    &namespace_resource_quota::NamespaceResourceQuota,
    &namespace_limit_range::NamespaceLimitRange,
    &resource_requests::ResourceRequests,
    &memory_limit::MemoryLimit,
    &namespace_pod_security_labels::NamespacePodSecurityLabels,
    &namespace_privileged::NamespacePrivileged,
    &namespace_pod_security_level::NamespacePodSecurityLevel,
];

/// The Pod Security Admission namespace labels.
pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// The Kubernetes Pod Security Admission page.
pub(crate) const PSA_DOC: kaegis_core::Reference = k8s(
    "Pod Security Admission",
    "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
);

/// Namespaces Kubernetes creates for itself.
pub(crate) const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// True for a core `v1` Namespace object.
pub(crate) fn is_namespace(obj: &Object) -> bool {
    obj.id.kind == "Namespace" && obj.group().is_empty()
}

/// `metadata.labels[key]` as text.
pub(crate) fn label<'a>(obj: &'a Object, key: &str) -> Option<&'a str> {
    obj.root
        .get_path(&["metadata", "labels", key])
        .and_then(Node::as_str)
}

/// For a Namespace object of the scan (not a system one), true when the
/// scan holds no object of `kind` in it and no unplaced one (without
/// `metadata.namespace`) that might be applied to it. `None` when the check
/// has nothing to say: not a Namespace, a system namespace, or no inventory.
pub(crate) fn namespace_lacks(
    obj: &Object,
    ctx: &kaegis_core::Context,
    kind: &str,
) -> Option<bool> {
    let inventory = ctx.inventory?;
    if !is_namespace(obj) || SYSTEM_NAMESPACES.contains(&obj.id.name.as_str()) {
        return None;
    }
    Some(!inventory.has_kind(&obj.id.name, kind) && !inventory.has_kind("", kind))
}

/// True when `resources.<which>.<resource>` is set in a `resources` owner
/// (a container, or the pod spec for pod-level resources).
pub(crate) fn has_resource(owner: &Node, which: &str, resource: &str) -> bool {
    owner
        .get_path(&["resources", which, resource])
        .is_some_and(|n| !n.is_null())
}
