//! KG915: The scheduler's static pod manifest must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the scheduler's static pod manifest (a `NodeFile` that
    /// `kaegis node` found, role `scheduler-manifest`) is not owned by user
    /// root and group root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because the kubelet runs whatever it says as the scheduler,
    /// which decides where every pod runs. Its owner can always change its
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
    ///   role: scheduler-manifest
    ///   user: root
    ///   group: root
    /// ```
    pub struct SchedulerManifestOwnership {
        code: "KG915",
        slug: "scheduler-manifest-ownership",
        title: "The scheduler's static pod manifest must be owned by root:root",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.6")],
    }
}

impl SchedulerManifestOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["scheduler-manifest"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
