//! KG919: The container network's (CNI) configuration files must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when the container network's (CNI) configuration files (a
    /// `NodeFile` that `kaegis node` found, role `cni-config`) is not owned
    /// by user root and group root. Files that do not exist pass. The
    /// benchmark rates this recommendation Manual: the check runs in the
    /// `cis` profile only.
    ///
    /// ## Why
    /// It matters because they decide how every pod on the node is connected:
    /// whoever can change them can reroute or sniff pod traffic. Its owner
    /// can always change its permissions, so the owner must be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: cni-config
    ///   user: root
    ///   group: root
    /// ```
    pub struct CniConfigOwnership {
        code: "KG919",
        slug: "cni-config-ownership",
        title: "The container network's (CNI) configuration files must be owned by root:root",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("1.1.10")],
    }
}

impl CniConfigOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["cni-config"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
