//! KG923: The administrator kubeconfigs (admin.conf, super-admin.conf) must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the administrator kubeconfigs (admin.conf, super-
    /// admin.conf) (a `NodeFile` that `kaegis node` found, role `admin-
    /// kubeconfig`, `super-admin-kubeconfig`) is not owned by user root and
    /// group root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because they hold client credentials with full control of
    /// the cluster (super-admin.conf is in system:masters, which RBAC cannot
    /// limit). Its owner can always change its permissions, so the owner must
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
    ///   role: admin-kubeconfig
    ///   user: root
    ///   group: root
    /// ```
    pub struct AdminKubeconfigOwnership {
        code: "KG923",
        slug: "admin-kubeconfig-ownership",
        title: "The administrator kubeconfigs (admin.conf, super-admin.conf) must be owned by root:root",
        severity: Severity::Critical,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.14")],
    }
}

impl AdminKubeconfigOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["admin-kubeconfig", "super-admin-kubeconfig"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
