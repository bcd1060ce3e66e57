//! KG833: The API server must serve with its own certificate.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with both `--tls-cert-file` and
    /// `--tls-private-key-file`.
    ///
    /// ## Why
    /// Without them the API server generates a self-signed certificate that
    /// clients cannot verify, which trains them to skip verification and
    /// exposes every token they send.
    ///
    /// ## How to fix
    /// Serve with a certificate signed by the cluster CA:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
    ///     - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key
    /// ```
    pub struct ApiserverTls {
        code: "KG833",
        slug: "apiserver-tls",
        title: "The API server must serve with its own certificate",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.24")],
    }
}

impl ApiserverTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["tls-cert-file", "tls-private-key-file"],
            "the API server serves a self-signed certificate",
        );
    }
}
