//! KG416: Bindings must reference a role that exists.
use kaegis_core::rbac::{Binding, RoleKind};
use kaegis_core::{Area, Context, JsonPath, Object, Scope, Severity, Violation};

use super::{HARDENING, RBAC_URL, is_default_role_name, k8s, list_subjects};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports a RoleBinding or ClusterRoleBinding, at `roleRef.name`, when
    /// the role it references is not in the scan and is not one of
    /// Kubernetes' defaults (`cluster-admin`, `admin`, `edit`, `view`, any
    /// `system:` role, or the `extension-apiserver-authentication-reader`
    /// Role of `kube-system`).
    ///
    /// A manifest scan rarely holds every role of a cluster, so the check
    /// speaks only when the scan can vouch for the absence:
    /// - for a ClusterRole, when the scan holds some ClusterRole of its own
    ///   (it is the set of ClusterRoles of that application) or is a whole
    ///   cluster (`kaegis cluster`);
    /// - for a Role, when the scan holds some Role in the binding's
    ///   namespace (or is a whole cluster). Objects whose namespace the
    ///   manifest leaves out are taken to go together, and a role of the
    ///   same name there counts as present.
    ///
    /// A binding without subjects, and a ClusterRoleBinding that references
    /// a Role (which the API server rejects), are not reported.
    ///
    /// ## Why
    /// A binding to a missing role grants nothing today, but its subjects
    /// get whatever a role of that name will hold once someone creates one,
    /// perhaps for another purpose and without knowing about the binding.
    /// It is also the mark of a typo or of a role renamed without its
    /// bindings, which leaves an application without the access it needs.
    ///
    /// ## How to fix
    /// Fix the reference, add the role, or delete the binding:
    /// ```yaml
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: shop-config-reader
    /// ```
    pub struct DanglingBinding {
        code: "KG416",
        slug: "rbac-dangling-binding",
        title: "Bindings must reference a role that exists",
        severity: Severity::Low,
        area: Area::Rbac,
        profiles: HARDENING,
        references: &[
            k8s("RBAC: RoleBinding and ClusterRoleBinding", RBAC_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

impl DanglingBinding {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if !matches!(obj.id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            return;
        }
        let Some(inventory) = ctx.inventory else {
            return;
        };
        let Some(binding) = Binding::of(obj) else {
            return;
        };
        if binding.subjects.is_empty()
            || is_default_role_name(&binding.role_name)
            || (binding.cluster && binding.role_kind == RoleKind::Role)
        {
            return;
        }
        let model = &inventory.rbac;
        if model.role_of(&binding).is_some() {
            return;
        }
        let ns = binding.namespace.as_deref().unwrap_or_default();
        let (covered, present) = match binding.role_kind {
            RoleKind::ClusterRole => (
                model
                    .roles
                    .iter()
                    .any(|r| r.kind == RoleKind::ClusterRole && !r.builtin),
                false,
            ),
            RoleKind::Role => {
                let roles = || model.roles.iter().filter(|r| r.kind == RoleKind::Role);
                (
                    roles().any(|r| r.namespace.as_deref() == Some(ns)),
                    // A namespace left to `kubectl -n` on either side.
                    roles().any(|r| {
                        r.name == binding.role_name
                            && (ns.is_empty() || r.namespace.as_deref() == Some(""))
                    }),
                )
            }
        };
        if present || !(covered || inventory.complete) {
            return;
        }
        let place = match binding.role_kind {
            RoleKind::ClusterRole => String::new(),
            RoleKind::Role if ns.is_empty() => " in its namespace".to_owned(),
            RoleKind::Role => format!(" in namespace {ns}"),
        };
        out.push(Violation::new(
            JsonPath::root().keys(&["roleRef", "name"]),
            format!(
                "references the {kind} {name}, which the scan does not define{place}: whoever later creates a {kind} named {name} grants its power to {}",
                list_subjects(binding.subjects.iter().map(|(s, _)| s)),
                kind = binding.role_kind.as_str(),
                name = binding.role_name,
            ),
        ));
    }
}
