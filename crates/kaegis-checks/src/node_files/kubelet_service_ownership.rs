//! KG932: The kubelet's systemd unit drop-in must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's systemd unit drop-in (a `NodeFile` that
    /// `kaegis node` found, role `kubelet-service`) is not owned by user root
    /// and group root. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it sets the kubelet's command line: whoever can
    /// change it can turn off the kubelet's authentication and authorization.
    /// Its owner can always change its permissions, so the owner must be
    /// root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: kubelet-service
    ///   user: root
    ///   group: root
    /// ```
    pub struct KubeletServiceOwnership {
        code: "KG932",
        slug: "kubelet-service-ownership",
        title: "The kubelet's systemd unit drop-in must be owned by root:root",
        severity: Severity::High,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("4.1.2")],
    }
}

impl KubeletServiceOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["kubelet-service"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
