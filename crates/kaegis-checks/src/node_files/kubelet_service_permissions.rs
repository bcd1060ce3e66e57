//! KG931: The kubelet's systemd unit drop-in must be private to its owner.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's systemd unit drop-in (a `NodeFile` that
    /// `kaegis node` found, role `kubelet-service`) has permissions beyond
    /// 0600. Files that do not exist pass.
    ///
    /// ## Why
    /// It matters because it sets the kubelet's command line: whoever can
    /// change it can turn off the kubelet's authentication and authorization.
    /// Only its owner (root, or etcd for etcd's data) needs access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 600 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: kubelet-service
    ///   mode: "0600"
    /// ```
    pub struct KubeletServicePermissions {
        code: "KG931",
        slug: "kubelet-service-permissions",
        title: "The kubelet's systemd unit drop-in must be private to its owner",
        severity: Severity::High,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("4.1.1")],
    }
}

impl KubeletServicePermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["kubelet-service"],
            0o600,
            "anyone on the node may read it",
        );
    }
}
