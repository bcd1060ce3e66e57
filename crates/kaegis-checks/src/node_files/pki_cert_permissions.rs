//! KG929: Kubernetes PKI certificates must not be writable by others.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component;
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when a certificate under `/etc/kubernetes/pki` (role `pki-cert`)
    /// has permissions beyond 0644. The benchmark rates this recommendation
    /// Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// Certificates are public, but whoever can replace the CA certificate
    /// decides whom the components trust.
    ///
    /// ## How to fix
    /// Restrict the permissions:
    /// ```yaml
    /// # on the node
    /// # chmod 644 /etc/kubernetes/pki/*.crt
    /// apiVersion: node.kaegis.dev/v1
    /// kind: NodeFile
    /// spec:
    ///   role: pki-cert
    ///   mode: "0644"
    /// ```
    pub struct PkiCertPermissions {
        code: "KG929",
        slug: "pki-cert-permissions",
        title: "Kubernetes PKI certificates must not be writable by others",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["NodeFile"],
        profiles: CIS,
        references: &[cis("1.1.20")],
    }
}

impl PkiCertPermissions {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        component::require_mode(
            obj,
            out,
            &["pki-cert"],
            0o644,
            "others may replace a certificate the cluster trusts",
        );
    }
}
