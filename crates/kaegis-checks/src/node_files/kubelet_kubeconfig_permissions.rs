//! KG935: The kubelet's kubeconfig (kubelet.conf) must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's kubeconfig (kubelet.conf) (a `NodeFile` that
    /// `kaegis node` found, role `kubelet-kubeconfig`) has permissions beyond
    /// 0600. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the node's credentials: whoever reads it
    /// can act as the node, read the Secrets of its pods and report false
    /// status. Only its owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: kubelet-kubeconfig
    ///   mode: "0600"
    /// ```
    pub struct KubeletKubeconfigPermissions {
        code: "KG935",
        slug: "kubelet-kubeconfig-permissions",
        title: "The kubelet's kubeconfig (kubelet.conf) must be private to its owner",
        severity: Severity::High,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("4.1.5")],
    }
}

impl KubeletKubeconfigPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["kubelet-kubeconfig"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
