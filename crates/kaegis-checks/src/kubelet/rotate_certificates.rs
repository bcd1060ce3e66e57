//! KG876: The kubelet must rotate its client certificate.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_bool, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `rotateCertificates` is false:
    /// explicitly, or by default (the KubeletConfiguration default is false;
    /// kubeadm turns it on).
    ///
    /// ## Why
    /// The kubelet's client certificate is its identity towards the API
    /// server. Without rotation it expires (and the node goes NotReady) or is
    /// replaced by hand with a long-lived one, and a stolen certificate stays
    /// valid for its whole, long life.
    ///
    /// ## How to fix
    /// Let the kubelet request new client certificates from the API server
    /// before the current one expires:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// rotateCertificates: true
    /// ```
    pub struct KubeletRotateCertificates {
        code: "KG876",
        slug: "kubelet-rotate-certificates",
        title: "The kubelet must rotate its client certificate",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.10")],
    }
}

impl KubeletRotateCertificates {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["rotateCertificates"];
        if config_bool(obj, &field) != Some(true) {
            out.push(Violation::new(
                config_path(&field),
                format!(
                    "the kubelet does not rotate its client certificate ({})",
                    config_source(obj, "rotateCertificates")
                ),
            ));
        }
    }
}
