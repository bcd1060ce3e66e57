//! KG879: The kubelet must offer only strong TLS cipher suites.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config, config_path};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `tlsCipherSuites` is unset (Go's
    /// defaults then include CBC-mode suites for TLS 1.2 clients) or names a
    /// suite that uses CBC mode, 3DES, RC4 or RSA key exchange.
    ///
    /// ## Why
    /// Suites without forward secrecy (RSA key exchange) let a recorded
    /// session be decrypted once the key leaks; CBC-mode, 3DES and RC4 suites
    /// have practical attacks. The kubelet's API carries exec sessions and
    /// logs.
    ///
    /// ## How to fix
    /// List only AEAD suites with ECDHE key exchange (TLS 1.3 suites are not
    /// configurable and always strong):
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// tlsCipherSuites:
    /// - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    /// - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    /// - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    /// - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    /// - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    /// - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
    /// ```
    pub struct KubeletTlsCipherSuites {
        code: "KG879",
        slug: "kubelet-tls-cipher-suites",
        title: "The kubelet must offer only strong TLS cipher suites",
        severity: Severity::Low,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.12")],
    }
}

impl KubeletTlsCipherSuites {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["tlsCipherSuites"];
        let Some(suites) = config(obj, &field).filter(|n| !n.items().is_empty()) else {
            out.push(Violation::new(
                config_path(&field),
                "the kubelet's TLS cipher suites are not set: Go's defaults include CBC-mode suites",
            ));
            return;
        };
        for (i, s) in suites.items().iter().enumerate() {
            if let Some(name) = s.as_str()
                && component::is_weak_cipher(name)
            {
                out.push(Violation::new(
                    config_path(&field).index(i),
                    format!("the kubelet offers the weak TLS cipher suite {name}"),
                ));
            }
        }
    }
}
