//! KG930: Kubernetes PKI keys must be private to root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when a key under `/etc/kubernetes/pki` (role `pki-key`) has
    /// permissions beyond 0600. The benchmark rates this recommendation
    /// Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// The keys sign every identity of the cluster (CA), every service
    /// account token (sa.key) and etcd's certificates: whoever reads one can
    /// impersonate anyone, cluster-admin included.
    ///
    /// ## How to fix
    /// Restrict the permissions:
    /// ```yaml
    /// # on the node
    /// # chmod 600 /etc/kubernetes/pki/*.key
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: pki-key
    ///   mode: "0600"
    /// ```
    pub struct PkiKeyPermissions {
        code: "KG930",
        slug: "pki-key-permissions",
        title: "Kubernetes PKI keys must be private to root",
        severity: Severity::Critical,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("1.1.21")],
    }
}

impl PkiKeyPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["pki-key"],
            0o600,
            "anyone on the node may read a key that signs the cluster's identities",
        );
    }
}
