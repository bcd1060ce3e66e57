//! KG872: The kubelet must verify client certificates against a CA.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_path, config_str};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `authentication.x509.clientCAFile`
    /// is empty or unset.
    ///
    /// ## Why
    /// The API server calls the kubelet (logs, exec, port-forward) with a
    /// client certificate. Without a client CA the kubelet cannot
    /// authenticate that certificate, so those calls are either anonymous or
    /// refused, and clients cannot prove who they are.
    ///
    /// ## How to fix
    /// Point the kubelet at the cluster's CA (kubeadm:
    /// `/etc/kubernetes/pki/ca.crt`):
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   x509:
    ///     clientCAFile: /etc/kubernetes/pki/ca.crt
    /// ```
    pub struct KubeletClientCa {
        code: "KG872",
        slug: "kubelet-client-ca",
        title: "The kubelet must verify client certificates against a CA",
        severity: Severity::High,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.3")],
    }
}

impl KubeletClientCa {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["authentication", "x509", "clientCAFile"];
        if config_str(obj, &field).is_none_or(|f| f.trim().is_empty()) {
            out.push(Violation::new(
                config_path(&field),
                "the kubelet has no client CA file: it cannot authenticate the API server's (or anyone's) client certificates",
            ));
        }
    }
}
