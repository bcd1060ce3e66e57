//! KG813: The API server must authenticate to kubelets with a client certificate.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with both `--kubelet-client-
    /// certificate` and `--kubelet-client-key`.
    ///
    /// ## Why
    /// The API server calls each kubelet for logs, exec, attach and port-
    /// forward. Without a client certificate those calls carry no identity,
    /// so kubelets must either allow anonymous requests or refuse the API
    /// server.
    ///
    /// ## How to fix
    /// Give the API server a client certificate for kubelets (kubeadm:
    /// apiserver-kubelet-client):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt
    ///     - --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key
    /// ```
    pub struct ApiserverKubeletClientCert {
        code: "KG813",
        slug: "apiserver-kubelet-client-certificate",
        title: "The API server must authenticate to kubelets with a client certificate",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.4")],
    }
}

impl ApiserverKubeletClientCert {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["kubelet-client-certificate", "kubelet-client-key"],
            "the API server calls kubelets without a client certificate",
        );
    }
}
