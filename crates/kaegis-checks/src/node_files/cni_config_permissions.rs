//! KG918: The container network's (CNI) configuration files must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when the container network's (CNI) configuration files (a
    /// `NodeFile` that `kaegis node` found, role `cni-config`) has
    /// permissions beyond 0600. Files that do not exist pass. The benchmark
    /// rates this recommendation Manual: the check runs in the `cis` profile
    /// only.
    ///
    /// ## Why
    /// It matters because they decide how every pod on the node is connected:
    /// whoever can change them can reroute or sniff pod traffic. Only its
    /// owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: cni-config
    ///   mode: "0600"
    /// ```
    pub struct CniConfigPermissions {
        code: "KG918",
        slug: "cni-config-permissions",
        title: "The container network's (CNI) configuration files must be private to its owner",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("1.1.9")],
    }
}

impl CniConfigPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["cni-config"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
