//! KG401: The cluster-admin ClusterRole must be bound only where required.
use kaegis_core::rbac::{Binding, RoleKind, Subject};
use kaegis_core::{Area, Context, Object, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, binding_reach, cis, k8s, list_subjects, mitre, nsa,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports a RoleBinding or ClusterRoleBinding whose `roleRef` is the
    /// ClusterRole `cluster-admin`, at `roleRef.name`, listing the subjects
    /// that get it. Through a ClusterRoleBinding they can do anything to
    /// any object of the cluster; through a RoleBinding, anything inside
    /// that namespace, including reading every Secret and rewriting its
    /// RBAC.
    ///
    /// It does not fire for:
    /// - a binding whose only subject is the group `system:masters`, such as
    ///   Kubernetes' own `cluster-admin` ClusterRoleBinding: that group
    ///   bypasses authorization anyway, so the binding adds nothing
    ///   (`rbac-system-masters` reports user-made ones);
    /// - a binding without subjects, which grants nothing.
    ///
    /// Severity is High for every such binding. It is worst when a subject is
    /// a ServiceAccount (any pod that runs as it, or anyone who can read
    /// its token, owns the cluster) or a group (its members are decided
    /// outside the cluster, by the identity provider); the message names
    /// the subjects so the reader can tell.
    ///
    /// ## Why
    /// `cluster-admin` is the super-user role: every verb on every resource
    /// and non-resource URL. A binding to it makes its subjects
    /// full administrators, so a leaked token, a compromised workload or a
    /// member added to a group becomes a full compromise of the cluster. Day
    /// to day work (deploying, reading logs, operating a controller) never
    /// needs it; a role written for the job does.
    ///
    /// ## How to fix
    /// Bind a role that grants only what the subject needs, in the
    /// namespaces where it needs it; keep cluster-admin for break-glass
    /// accounts:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: deployer
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: edit
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: deployer
    ///   namespace: ci
    /// ```
    pub struct ClusterAdminBinding {
        code: "KG401",
        slug: "cluster-admin-binding",
        title: "cluster-admin must be bound only where required",
        severity: Severity::High,
        area: Area::Rbac,
        kinds: &["RoleBinding", "ClusterRoleBinding"],
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.1"),
            nsa("Authentication and authorization: least privilege"),
            mitre("T1078 Valid Accounts"),
            k8s("RBAC good practices: least privilege", RBAC_GOOD_PRACTICES_URL),
        ],
    }
}

impl ClusterAdminBinding {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !matches!(obj.id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            return;
        }
        let Some(binding) = Binding::of(obj) else {
            return;
        };
        if binding.role_kind != RoleKind::ClusterRole
            || binding.role_name != "cluster-admin"
            || binding.subjects.is_empty()
        {
            return;
        }
        let only_masters = binding
            .subjects
            .iter()
            .all(|(s, _)| matches!(s, Subject::Group(g) if g == "system:masters"));
        if only_masters {
            return;
        }
        let what = if binding.cluster {
            "full control of the whole cluster"
        } else {
            "full control of the namespace, its Secrets and RBAC included"
        };
        out.push(Violation::new(
            kaegis_core::JsonPath::root().keys(&["roleRef", "name"]),
            format!(
                "binds cluster-admin {} to {}: {what}",
                binding_reach(&binding),
                list_subjects(binding.subjects.iter().map(|(s, _)| s)),
            ),
        ));
    }
}
