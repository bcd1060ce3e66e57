//! KG817: The API server must use the RBAC authorizer.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver's `--authorization-mode` includes `RBAC`.
    ///
    /// ## Why
    /// RBAC is how Kubernetes grants least privilege: Roles, ClusterRoles and
    /// their bindings. Without it, permissions come from a coarser authorizer
    /// or from none at all.
    ///
    /// ## How to fix
    /// Add RBAC to the authorization modes:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --authorization-mode=Node,RBAC
    /// ```
    pub struct ApiserverAuthorizationRbac {
        code: "KG817",
        slug: "apiserver-authorization-rbac",
        title: "The API server must use the RBAC authorizer",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.8")],
    }
}

impl ApiserverAuthorizationRbac {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let Some((modes, path)) = component::authorization_modes(obj, out) else {
            return;
        };
        if !modes.contains(&"RBAC") {
            out.push(Violation::new(
                path,
                "the RBAC authorizer is not used: Roles and bindings grant nothing",
            ));
        }
    }
}
