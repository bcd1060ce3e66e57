//! KG815: The API server must not authorize every request.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-apiserver's `--authorization-mode` includes
    /// `AlwaysAllow`, or is not set (its default is `AlwaysAllow`).
    ///
    /// ## Why
    /// With `AlwaysAllow`, every authenticated request is allowed: RBAC, Node
    /// authorization and every binding are ignored, and any service account
    /// token is cluster-admin.
    ///
    /// ## How to fix
    /// Authorize with the Node and RBAC authorizers:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --authorization-mode=Node,RBAC
    /// ```
    pub struct ApiserverAuthorizationAlwaysAllow {
        code: "KG815",
        slug: "apiserver-authorization-always-allow",
        title: "The API server must not authorize every request",
        severity: Severity::Critical,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.6")],
    }
}

impl ApiserverAuthorizationAlwaysAllow {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let Some((modes, path)) = component::authorization_modes(obj, out) else {
            return;
        };
        if modes.contains(&"AlwaysAllow") {
            out.push(Violation::new(path, "the API server allows every authenticated request (authorization mode AlwaysAllow)"));
        }
    }
}
