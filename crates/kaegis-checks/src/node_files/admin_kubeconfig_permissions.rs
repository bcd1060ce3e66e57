//! KG922: The administrator kubeconfigs (admin.conf, super-admin.conf) must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the administrator kubeconfigs (admin.conf, super-
    /// admin.conf) (a `NodeFile` that `kaegis node` found, role `admin-
    /// kubeconfig`, `super-admin-kubeconfig`) has permissions beyond 0600.
    /// Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because they hold client credentials with full control of
    /// the cluster (super-admin.conf is in system:masters, which RBAC cannot
    /// limit). Only its owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: admin-kubeconfig
    ///   mode: "0600"
    /// ```
    pub struct AdminKubeconfigPermissions {
        code: "KG922",
        slug: "admin-kubeconfig-permissions",
        title: "The administrator kubeconfigs (admin.conf, super-admin.conf) must be private to its owner",
        severity: Severity::Critical,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.13")],
    }
}

impl AdminKubeconfigPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["admin-kubeconfig", "super-admin-kubeconfig"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
