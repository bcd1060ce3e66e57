//! KG933: Kube-proxy's kubeconfig must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when kube-proxy's kubeconfig (a `NodeFile` that `kaegis node`
    /// found, role `proxy-kubeconfig`) has permissions beyond 0600. Files
    /// that do not exist pass. The benchmark rates this recommendation
    /// Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// It matters because it holds kube-proxy's credentials, which may read
    /// every Service and endpoint of the cluster. Only its owner (root, or
    /// etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: proxy-kubeconfig
    ///   mode: "0600"
    /// ```
    pub struct ProxyKubeconfigPermissions {
        code: "KG933",
        slug: "proxy-kubeconfig-permissions",
        title: "Kube-proxy's kubeconfig must be private to its owner",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("4.1.3")],
    }
}

impl ProxyKubeconfigPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["proxy-kubeconfig"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
