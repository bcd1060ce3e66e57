//! KG855: Kubelet serving certificate rotation must stay on.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-controller-manager's `--feature-gates` turns
    /// `RotateKubeletServerCertificate` off (it is on by default).
    ///
    /// ## Why
    /// The feature lets kubelets request and renew serving certificates
    /// signed by the cluster CA, so the API server can verify them; turned
    /// off, kubelets keep self-signed or expiring certificates.
    ///
    /// ## How to fix
    /// Remove `RotateKubeletServerCertificate=false` from the feature gates:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-controller-manager.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     command:
    ///     - kube-controller-manager
    ///     - --feature-gates=RotateKubeletServerCertificate=true
    /// ```
    pub struct ControllerManagerRotateServerCert {
        code: "KG855",
        slug: "controller-manager-rotate-kubelet-server-certificate",
        title: "Kubelet serving certificate rotation must stay on",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeControllerManager"],
        profiles: CIS_HARDENING,
        references: &[cis("1.3.6")],
    }
}

impl ControllerManagerRotateServerCert {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeControllerManager") {
            return;
        }
        if component::feature_gate(obj, "RotateKubeletServerCertificate") == Some(false) {
            out.push(Violation::new(
                component::flag_or_flags(obj, "feature-gates"),
                "the RotateKubeletServerCertificate feature gate is off: kubelet serving certificates are not rotated",
            ));
        }
    }
}
