//! KG916: Etcd's static pod manifest must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd's static pod manifest (a `NodeFile` that `kaegis node`
    /// found, role `etcd-manifest`) has permissions beyond 0600. Files that
    /// do not exist pass.
    ///
    /// ## Why
    /// It matters because the kubelet runs whatever it says as etcd: whoever
    /// can change it can turn off etcd's TLS and client authentication. Only
    /// its owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: etcd-manifest
    ///   mode: "0600"
    /// ```
    pub struct EtcdManifestPermissions {
        code: "KG916",
        slug: "etcd-manifest-permissions",
        title: "Etcd's static pod manifest must be private to its owner",
        severity: Severity::High,
        area: Area::Etcd,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.7")],
    }
}

impl EtcdManifestPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["etcd-manifest"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
