//! KG934: Kube-proxy's kubeconfig must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when kube-proxy's kubeconfig (a `NodeFile` that `kaegis node`
    /// found, role `proxy-kubeconfig`) is not owned by user root and group
    /// root. Files that do not exist pass. The benchmark rates this
    /// recommendation Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// It matters because it holds kube-proxy's credentials, which may read
    /// every Service and endpoint of the cluster. Its owner can always change
    /// its permissions, so the owner must be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: proxy-kubeconfig
    ///   user: root
    ///   group: root
    /// ```
    pub struct ProxyKubeconfigOwnership {
        code: "KG934",
        slug: "proxy-kubeconfig-ownership",
        title: "Kube-proxy's kubeconfig must be owned by root:root",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("4.1.4")],
    }
}

impl ProxyKubeconfigOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["proxy-kubeconfig"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
