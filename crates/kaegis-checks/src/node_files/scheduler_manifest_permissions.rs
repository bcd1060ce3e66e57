//! KG914: The scheduler's static pod manifest must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the scheduler's static pod manifest (a `NodeFile` that
    /// `kaegis node` found, role `scheduler-manifest`) has permissions beyond
    /// 0600. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because the kubelet runs whatever it says as the scheduler,
    /// which decides where every pod runs. Only its owner (root, or etcd for
    /// etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: scheduler-manifest
    ///   mode: "0600"
    /// ```
    pub struct SchedulerManifestPermissions {
        code: "KG914",
        slug: "scheduler-manifest-permissions",
        title: "The scheduler's static pod manifest must be private to its owner",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.5")],
    }
}

impl SchedulerManifestPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["scheduler-manifest"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
