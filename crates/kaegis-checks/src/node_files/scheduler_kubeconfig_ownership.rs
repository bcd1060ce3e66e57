//! KG925: The scheduler's kubeconfig (scheduler.conf) must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the scheduler's kubeconfig (scheduler.conf) (a `NodeFile`
    /// that `kaegis node` found, role `scheduler-kubeconfig`) is not owned by
    /// user root and group root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the scheduler's client credentials, which
    /// may bind any pod to any node. Its owner can always change its
    /// permissions, so the owner must be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: scheduler-kubeconfig
    ///   user: root
    ///   group: root
    /// ```
    pub struct SchedulerKubeconfigOwnership {
        code: "KG925",
        slug: "scheduler-kubeconfig-ownership",
        title: "The scheduler's kubeconfig (scheduler.conf) must be owned by root:root",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.16")],
    }
}

impl SchedulerKubeconfigOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["scheduler-kubeconfig"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
