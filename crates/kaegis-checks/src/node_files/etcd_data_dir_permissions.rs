//! KG920: Etcd's data directory must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd's data directory (a `NodeFile` that `kaegis node`
    /// found, role `etcd-data-dir`) has permissions beyond 0700. Files that
    /// do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the whole cluster state, every Secret
    /// included (in clear text unless encryption at rest is configured). Only
    /// its owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 700 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: etcd-data-dir
    ///   mode: "0700"
    /// ```
    pub struct EtcdDataDirPermissions {
        code: "KG920",
        slug: "etcd-data-dir-permissions",
        title: "Etcd's data directory must be private to its owner",
        severity: Severity::Critical,
        area: Area::Etcd,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.11")],
    }
}

impl EtcdDataDirPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["etcd-data-dir"],
            0o700,
            "anyone on the node may read it",
        );
    }
}
