//! KG924: The scheduler's kubeconfig (scheduler.conf) must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the scheduler's kubeconfig (scheduler.conf) (a `NodeFile`
    /// that `kaegis node` found, role `scheduler-kubeconfig`) has permissions
    /// beyond 0600. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the scheduler's client credentials, which
    /// may bind any pod to any node. Only its owner (root, or etcd for etcd's
    /// data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: scheduler-kubeconfig
    ///   mode: "0600"
    /// ```
    pub struct SchedulerKubeconfigPermissions {
        code: "KG924",
        slug: "scheduler-kubeconfig-permissions",
        title: "The scheduler's kubeconfig (scheduler.conf) must be private to its owner",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.15")],
    }
}

impl SchedulerKubeconfigPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["scheduler-kubeconfig"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
