//! KG940: The kubelet's config file must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's config file (a `NodeFile` that `kaegis node`
    /// found, role `kubelet-config`) is not owned by user root and group
    /// root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it sets the kubelet's authentication, authorization
    /// and read-only port: whoever can change it can open the kubelet's API
    /// to everyone. Its owner can always change its permissions, so the owner
    /// must be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: kubelet-config
    ///   user: root
    ///   group: root
    /// ```
    pub struct KubeletConfigOwnership {
        code: "KG940",
        slug: "kubelet-config-ownership",
        title: "The kubelet's config file must be owned by root:root",
        severity: Severity::High,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("4.1.10")],
    }
}

impl KubeletConfigOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["kubelet-config"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
