//! KG938: The kubelet's client CA file must be owned by root:root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's client CA file (a `NodeFile` that `kaegis
    /// node` found, role `kubelet-ca`) is not owned by user root and group
    /// root. Files that do not exist pass. The benchmark rates this
    /// recommendation Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// It matters because the kubelet trusts every client certificate it
    /// signed: whoever can replace it can sign themselves a certificate the
    /// kubelet accepts. Its owner can always change its permissions, so the
    /// owner must be root.
    ///
    /// ## How to fix
    /// Give the file back to its owner on the node:
    /// ```yaml
    /// # on the node
    /// # chown root:root <file>
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: kubelet-ca
    ///   user: root
    ///   group: root
    /// ```
    pub struct KubeletCaOwnership {
        code: "KG938",
        slug: "kubelet-ca-ownership",
        title: "The kubelet's client CA file must be owned by root:root",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("4.1.8")],
    }
}

impl KubeletCaOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["kubelet-ca"],
            "root",
            "root",
            "its owner can change its permissions and contents",
        );
    }
}
