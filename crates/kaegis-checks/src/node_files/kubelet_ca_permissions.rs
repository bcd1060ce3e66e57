//! KG937: The kubelet's client CA file must not be writable by others.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's client CA file (a `NodeFile` that `kaegis
    /// node` found, role `kubelet-ca`) has permissions beyond 0644. Files
    /// that do not exist pass. The benchmark rates this recommendation
    /// Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// It matters because the kubelet trusts every client certificate it
    /// signed: whoever can replace it can sign themselves a certificate the
    /// kubelet accepts. Only its owner (root, or etcd for etcd's data) needs
    /// access.
    ///
    /// ## How to fix
    /// Restrict the permissions on the node:
    /// ```yaml
    /// # on the node
    /// # chmod 644 <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: kubelet-ca
    ///   mode: "0644"
    /// ```
    pub struct KubeletCaPermissions {
        code: "KG937",
        slug: "kubelet-ca-permissions",
        title: "The kubelet's client CA file must not be writable by others",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("4.1.7")],
    }
}

impl KubeletCaPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["kubelet-ca"],
            0o644,
            "anyone on the node may change it",
        );
    }
}
