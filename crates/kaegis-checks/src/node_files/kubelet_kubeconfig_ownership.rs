//! KG936: The kubelet's kubeconfig (kubelet.conf) must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's kubeconfig (kubelet.conf) (a `NodeFile` that
    /// `kaegis node` found, role `kubelet-kubeconfig`) is not owned by user
    /// root and group root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the node's credentials: whoever reads it
    /// can act as the node, read the Secrets of its pods and report false
    /// status. Its owner can always change its permissions, so the owner must
    /// be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: kubelet-kubeconfig
    ///   user: root
    ///   group: root
    /// ```
    pub struct KubeletKubeconfigOwnership {
        code: "KG936",
        slug: "kubelet-kubeconfig-ownership",
        title: "The kubelet's kubeconfig (kubelet.conf) must be owned by root:root",
        severity: Severity::High,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("4.1.6")],
    }
}

impl KubeletKubeconfigOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["kubelet-kubeconfig"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
