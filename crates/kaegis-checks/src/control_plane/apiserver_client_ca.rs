//! KG834: The API server must authenticate client certificates.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--client-ca-file`.
    ///
    /// ## Why
    /// Without a client CA, no client certificate is accepted: kubelets, the
    /// controller manager and administrators using certificates cannot
    /// authenticate, and weaker methods take their place.
    ///
    /// ## How to fix
    /// Point the API server at the cluster CA:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --client-ca-file=/etc/kubernetes/pki/ca.crt
    /// ```
    pub struct ApiserverClientCa {
        code: "KG834",
        slug: "apiserver-client-ca",
        title: "The API server must authenticate client certificates",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.25")],
    }
}

impl ApiserverClientCa {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["client-ca-file"],
            "client certificates are not verified",
        );
    }
}
