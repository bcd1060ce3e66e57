//! KG811: The API server must not authenticate with a static token file.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-apiserver runs with `--token-auth-file`.
    ///
    /// ## Why
    /// Static tokens live in a plain-text file on the control-plane node,
    /// never expire, and can only be changed by restarting the API server: a
    /// leaked one is valid until someone notices and restarts every API
    /// server.
    ///
    /// ## How to fix
    /// Remove `--token-auth-file` and authenticate people through OIDC or
    /// client certificates, and workloads through service account tokens.
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --oidc-issuer-url=https://login.example.com
    /// ```
    pub struct ApiserverTokenAuthFile {
        code: "KG811",
        slug: "apiserver-token-auth-file",
        title: "The API server must not authenticate with a static token file",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.2")],
    }
}

impl ApiserverTokenAuthFile {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        if let Some(f) = component::flag(obj, "token-auth-file") {
            out.push(Violation::new(
                f.path,
                format!("static, never-expiring tokens are read from {}", f.value),
            ));
        }
    }
}
