//! KG921: Etcd's data directory must be owned by etcd:etcd.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd's data directory (a `NodeFile` that `kaegis node`
    /// found, role `etcd-data-dir`) is not owned by user etcd and group etcd.
    /// Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it holds the whole cluster state, every Secret
    /// included (in clear text unless encryption at rest is configured). Its
    /// owner can always change its permissions, so the owner must be etcd.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown etcd:etcd <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: etcd-data-dir
    ///   user: etcd
    ///   group: etcd
    /// ```
    pub struct EtcdDataDirOwnership {
        code: "KG921",
        slug: "etcd-data-dir-ownership",
        title: "Etcd's data directory must be owned by etcd:etcd",
        severity: Severity::Critical,
        area: Area::Etcd,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.12")],
    }
}

impl EtcdDataDirOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["etcd-data-dir"],
            "etcd",
            "etcd",
            "its owner can change its permissions and contents",
        );
    }
}
