//! KG913: The controller manager's static pod manifest must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the controller manager's static pod manifest (a `NodeFile`
    /// that `kaegis node` found, role `controller-manager-manifest`) is not
    /// owned by user root and group root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because the kubelet runs whatever it says as the controller
    /// manager, which holds the service account signing key and acts cluster-
    /// wide. Its owner can always change its permissions, so the owner must
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
    ///   role: controller-manager-manifest
    ///   user: root
    ///   group: root
    /// ```
    pub struct ControllerManagerManifestOwnership {
        code: "KG913",
        slug: "controller-manager-manifest-ownership",
        title: "The controller manager's static pod manifest must be owned by root:root",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.4")],
    }
}

impl ControllerManagerManifestOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["controller-manager-manifest"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
