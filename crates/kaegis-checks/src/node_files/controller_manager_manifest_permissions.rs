//! KG912: The controller manager's static pod manifest must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the controller manager's static pod manifest (a `NodeFile`
    /// that `kaegis node` found, role `controller-manager-manifest`) has
    /// permissions beyond 0600. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because the kubelet runs whatever it says as the controller
    /// manager, which holds the service account signing key and acts cluster-
    /// wide. Only its owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: controller-manager-manifest
    ///   mode: "0600"
    /// ```
    pub struct ControllerManagerManifestPermissions {
        code: "KG912",
        slug: "controller-manager-manifest-permissions",
        title: "The controller manager's static pod manifest must be private to its owner",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.3")],
    }
}

impl ControllerManagerManifestPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["controller-manager-manifest"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
