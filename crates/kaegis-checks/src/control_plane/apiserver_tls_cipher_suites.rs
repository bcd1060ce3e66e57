//! KG837: The API server must offer only strong TLS cipher suites.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when kube-apiserver's `--tls-cipher-suites` is unset (Go's
    /// defaults then include CBC-mode suites for TLS 1.2 clients) or names a
    /// suite that uses CBC mode, 3DES, RC4 or RSA key exchange. The benchmark
    /// rates this recommendation Manual: the check runs in the `cis` profile
    /// only.
    ///
    /// ## Why
    /// Suites without forward secrecy let a recorded session be decrypted
    /// once the key leaks; CBC-mode, 3DES and RC4 suites have practical
    /// attacks. Every token and Secret crosses the API server's TLS.
    ///
    /// ## How to fix
    /// List only AEAD suites with ECDHE key exchange:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    /// ```
    pub struct ApiserverTlsCipherSuites {
        code: "KG837",
        slug: "apiserver-tls-cipher-suites",
        title: "The API server must offer only strong TLS cipher suites",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("1.2.29")],
    }
}

impl ApiserverTlsCipherSuites {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_strong_ciphers(obj, out, "the API server");
    }
}
