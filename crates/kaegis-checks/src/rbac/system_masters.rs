//! KG415: Bindings must not name the system:masters group.
use kaegis_core::rbac::{Binding, Subject};
use kaegis_core::{Area, Context, Object, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, binding_reach, cis, is_kubernetes_default, k8s,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each subject of a RoleBinding or ClusterRoleBinding that is
    /// the group `system:masters`.
    ///
    /// It does not fire for Kubernetes' own `cluster-admin`
    /// ClusterRoleBinding (labelled `kubernetes.io/bootstrapping:
    /// rbac-defaults`), which the API server creates and keeps.
    ///
    /// ## Why
    /// Members of `system:masters` pass every authorization check without
    /// RBAC being asked, so a binding to that group grants nothing. Its
    /// presence is a sign that someone relies on the group: identities
    /// in it (usually client certificates) cannot be limited by RBAC nor
    /// revoked until their certificate expires, which is why the CIS
    /// Benchmark asks that no user or service be put in it, break-glass
    /// access aside.
    ///
    /// ## How to fix
    /// Remove the subject, and give administrators a group of your own
    /// bound to the role they need:
    /// ```yaml
    /// subjects:
    /// - kind: Group
    ///   name: platform-admins
    ///   apiGroup: rbac.authorization.k8s.io
    /// ```
    pub struct SystemMasters {
        code: "KG415",
        slug: "rbac-system-masters",
        title: "Bindings must not name the system:masters group",
        severity: Severity::Medium,
        area: Area::Rbac,
        kinds: &["RoleBinding", "ClusterRoleBinding"],
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.7"),
            k8s("RBAC good practices: system:masters", RBAC_GOOD_PRACTICES_URL),
        ],
    }
}

impl SystemMasters {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !matches!(obj.id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            return;
        }
        if is_kubernetes_default(obj) {
            return;
        }
        let Some(binding) = Binding::of(obj) else {
            return;
        };
        for (subject, path) in &binding.subjects {
            if !matches!(subject, Subject::Group(g) if g == "system:masters") {
                continue;
            }
            out.push(Violation::new(
                path.key("name"),
                format!(
                    "binds the {} {} {} to Group system:masters, which bypasses RBAC: the binding adds nothing and shows that someone relies on that group",
                    binding.role_kind.as_str(),
                    binding.role_name,
                    binding_reach(&binding)
                ),
            ));
        }
    }
}
