//! KG926: The controller manager's kubeconfig (controller-manager.conf) must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the controller manager's kubeconfig (controller-
    /// manager.conf) (a `NodeFile` that `kaegis node` found, role
    /// `controller-manager-kubeconfig`) has permissions beyond 0600. Files
    /// that do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the controller manager's client
    /// credentials, which may read and write most of the cluster. Only its
    /// owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: controller-manager-kubeconfig
    ///   mode: "0600"
    /// ```
    pub struct ControllerManagerKubeconfigPermissions {
        code: "KG926",
        slug: "controller-manager-kubeconfig-permissions",
        title: "The controller manager's kubeconfig (controller-manager.conf) must be private to its owner",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.17")],
    }
}

impl ControllerManagerKubeconfigPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["controller-manager-kubeconfig"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
