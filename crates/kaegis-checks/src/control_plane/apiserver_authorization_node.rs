//! KG816: The API server must use the Node authorizer.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver's `--authorization-mode` includes `Node`.
    ///
    /// ## Why
    /// The Node authorizer limits each kubelet to the objects of its own
    /// node's pods (their Secrets, ConfigMaps, volumes). Without it kubelets
    /// need broad RBAC rights, and one compromised node reads every Secret of
    /// the cluster.
    ///
    /// ## How to fix
    /// Add Node to the authorization modes (before RBAC):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --authorization-mode=Node,RBAC
    /// ```
    pub struct ApiserverAuthorizationNode {
        code: "KG816",
        slug: "apiserver-authorization-node",
        title: "The API server must use the Node authorizer",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.7")],
    }
}

impl ApiserverAuthorizationNode {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let Some((modes, path)) = component::authorization_modes(obj, out) else {
            return;
        };
        if !modes.contains(&"Node") {
            out.push(Violation::new(path, "the Node authorizer is not used: kubelets are not limited to their own node's objects"));
        }
    }
}
