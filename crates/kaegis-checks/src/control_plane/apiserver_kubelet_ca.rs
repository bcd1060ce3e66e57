//! KG814: The API server must verify kubelets' serving certificates.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--kubelet-certificate-
    /// authority`.
    ///
    /// ## Why
    /// Without a CA to verify them against, the API server accepts any
    /// certificate a kubelet presents: whoever can intercept or impersonate a
    /// node's port 10250 receives exec sessions and their credentials, and
    /// answers log and exec requests with anything.
    ///
    /// ## How to fix
    /// Give the API server the CA that signs kubelets' serving certificates
    /// (with `serverTLSBootstrap` on the kubelets, the cluster CA):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt
    /// ```
    pub struct ApiserverKubeletCa {
        code: "KG814",
        slug: "apiserver-kubelet-certificate-authority",
        title: "The API server must verify kubelets' serving certificates",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.5")],
    }
}

impl ApiserverKubeletCa {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["kubelet-certificate-authority"],
            "kubelets' serving certificates are not verified",
        );
    }
}
