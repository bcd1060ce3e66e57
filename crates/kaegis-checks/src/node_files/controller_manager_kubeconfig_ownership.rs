//! KG927: The controller manager's kubeconfig (controller-manager.conf) must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the controller manager's kubeconfig (controller-
    /// manager.conf) (a `NodeFile` that `kaegis node` found, role
    /// `controller-manager-kubeconfig`) is not owned by user root and group
    /// root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the controller manager's client
    /// credentials, which may read and write most of the cluster. Its owner
    /// can always change its permissions, so the owner must be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: controller-manager-kubeconfig
    ///   user: root
    ///   group: root
    /// ```
    pub struct ControllerManagerKubeconfigOwnership {
        code: "KG927",
        slug: "controller-manager-kubeconfig-ownership",
        title: "The controller manager's kubeconfig (controller-manager.conf) must be owned by root:root",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.18")],
    }
}

impl ControllerManagerKubeconfigOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["controller-manager-kubeconfig"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
