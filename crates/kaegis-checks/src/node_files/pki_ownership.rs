//! KG928: The Kubernetes PKI directory and files must be owned by root.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when `/etc/kubernetes/pki` or a certificate or key under it
    /// (roles `pki-dir`, `pki-cert`, `pki-key`) is not owned by root:root.
    ///
    /// ## Why
    /// The PKI holds the cluster CA's key, etcd's CA key and the service
    /// account signing key: whoever owns one can read or replace it and mint
    /// any identity in the cluster.
    ///
    /// ## How to fix
    /// Give the directory and its files to root:
    /// ```yaml
    /// # on the node
    /// # chown -R root:root /etc/kubernetes/pki
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: pki-key
    ///   user: root
    ///   group: root
    /// ```
    pub struct PkiOwnership {
        code: "KG928",
        slug: "pki-ownership",
        title: "The Kubernetes PKI directory and files must be owned by root",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS_HARDENING,
        references: &[cis("1.1.19")],
    }
}

impl PkiOwnership {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_owner(
            obj,
            out,
            &["pki-dir", "pki-cert", "pki-key"],
            "root",
            "root",
            "its owner can read or replace the cluster's keys and certificates",
        );
    }
}
