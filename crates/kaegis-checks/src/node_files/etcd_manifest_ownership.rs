//! KG917: Etcd's static pod manifest must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd's static pod manifest (a `NodeFile` that `kaegis node`
    /// found, role `etcd-manifest`) is not owned by user root and group root.
    /// Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because the kubelet runs whatever it says as etcd: whoever
    /// can change it can turn off etcd's TLS and client authentication. Its
    /// owner can always change its permissions, so the owner must be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: etcd-manifest
    ///   user: root
    ///   group: root
    /// ```
    pub struct EtcdManifestOwnership {
        code: "KG917",
        slug: "etcd-manifest-ownership",
        title: "Etcd's static pod manifest must be owned by root:root",
        severity: Severity::High,
        area: Area::Etcd,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.8")],
    }
}

impl EtcdManifestOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["etcd-manifest"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
