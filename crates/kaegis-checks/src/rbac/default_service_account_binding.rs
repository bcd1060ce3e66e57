//! KG410: Bindings must not grant roles to a namespace's default ServiceAccount.
use kaegis_core::rbac::{Binding, Subject};
use kaegis_core::{Area, Context, Object, Severity, Violation};

use super::{CIS_HARDENING, binding_reach, cis, k8s, nsa};
use crate::macros::declare_check;

/// The service accounts configuration page.
const SERVICE_ACCOUNTS_URL: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/";

declare_check! {
    /// ## What
    /// Reports each subject of a RoleBinding or ClusterRoleBinding that is
    /// a ServiceAccount named `default` (in the subject's `namespace`, or
    /// the RoleBinding's own when the subject leaves it out).
    ///
    /// Every binding is reported, whatever the role, because what the
    /// default account holds is given to every pod of its namespace that
    /// names no service account. Bindings of other service accounts are
    /// not this check's concern.
    ///
    /// ## Why
    /// Each namespace has a `default` ServiceAccount, and a pod that does
    /// not set `serviceAccountName` runs as it. A permission granted to it
    /// therefore goes to every such pod, present and future, including
    /// ones whose authors never asked for it, and its token is mounted into
    /// them unless automounting is turned off. Giving each workload its
    /// own service account keeps each permission with the workload that
    /// needs it.
    ///
    /// ## How to fix
    /// Create a ServiceAccount for the workload, bind the role to it and
    /// set `serviceAccountName` in the pod spec:
    /// ```yaml
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: shop-api
    ///   namespace: shop
    /// ```
    pub struct DefaultServiceAccountBinding {
        code: "KG410",
        slug: "rbac-default-service-account-binding",
        title: "Roles must not be bound to a default ServiceAccount",
        severity: Severity::Medium,
        area: Area::Rbac,
        kinds: &["RoleBinding", "ClusterRoleBinding"],
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.5"),
            nsa("Authentication and authorization: service accounts"),
            k8s("Configure service accounts for pods", SERVICE_ACCOUNTS_URL),
        ],
    }
}

impl DefaultServiceAccountBinding {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !matches!(obj.id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            return;
        }
        let Some(binding) = Binding::of(obj) else {
            return;
        };
        for (subject, path) in &binding.subjects {
            let Subject::ServiceAccount(ns, name) = subject else {
                continue;
            };
            if name != "default" {
                continue;
            }
            let pods = if ns.is_empty() {
                "every pod of its namespace".to_owned()
            } else {
                format!("every pod of namespace {ns}")
            };
            out.push(Violation::new(
                path.key("name"),
                format!(
                    "grants the {} {} {} to {subject}: {pods} that sets no serviceAccountName gets it",
                    binding.role_kind.as_str(),
                    binding.role_name,
                    binding_reach(&binding)
                ),
            ));
        }
    }
}
