//! KG878: The kubelet must serve its API with a real certificate.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_bool, config_path, config_str};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet neither has a serving certificate and key
    /// (`tlsCertFile`, `tlsPrivateKeyFile`) nor requests one from the API
    /// server (`serverTLSBootstrap: true`, which also rotates it, as the
    /// RotateKubeletServerCertificate recommendation asks). Fails too when
    /// the `RotateKubeletServerCertificate` feature gate is turned off while
    /// bootstrapping is on.
    ///
    /// ## Why
    /// Without either, the kubelet makes itself a self-signed certificate
    /// that no client can verify: the API server's connections to it (logs,
    /// exec) can be intercepted by anyone who can reach the node's port 10250
    /// on the way.
    ///
    /// ## How to fix
    /// Let the kubelet request a serving certificate signed by the cluster's
    /// CA (approve its CSRs with a controller that checks them), or provision
    /// one:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// serverTLSBootstrap: true
    /// ```
    pub struct KubeletServingCertificate {
        code: "KG878",
        slug: "kubelet-serving-certificate",
        title: "The kubelet must serve its API with a real certificate",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.9"), cis("4.2.11")],
    }
}

impl KubeletServingCertificate {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let bootstrap = config_bool(obj, &["serverTLSBootstrap"]) == Some(true);
        let files = config_str(obj, &["tlsCertFile"]).is_some_and(|f| !f.trim().is_empty())
            && config_str(obj, &["tlsPrivateKeyFile"]).is_some_and(|f| !f.trim().is_empty());
        if !bootstrap && !files {
            out.push(Violation::new(
                config_path(&["serverTLSBootstrap"]),
                "the kubelet serves its API with a self-signed certificate: neither tlsCertFile and tlsPrivateKeyFile nor serverTLSBootstrap is set",
            ));
        }
        if bootstrap
            && config_bool(obj, &["featureGates", "RotateKubeletServerCertificate"]) == Some(false)
        {
            out.push(Violation::new(
                config_path(&["featureGates", "RotateKubeletServerCertificate"]),
                "serverTLSBootstrap is on but the RotateKubeletServerCertificate feature gate is off: the serving certificate is never renewed",
            ));
        }
    }
}
