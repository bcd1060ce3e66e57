//! KG831: The API server must verify service account tokens with explicit keys.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--service-account-key-file`.
    ///
    /// ## Why
    /// The key file lists the public keys that verify service account tokens;
    /// with it set explicitly, keys can be rotated (old and new listed
    /// together) instead of tokens depending on the serving key.
    ///
    /// ## How to fix
    /// Give the API server the public half of the key the controller manager
    /// signs tokens with:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --service-account-key-file=/etc/kubernetes/pki/sa.pub
    /// ```
    pub struct ApiserverServiceAccountKey {
        code: "KG831",
        slug: "apiserver-service-account-key-file",
        title: "The API server must verify service account tokens with explicit keys",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.22")],
    }
}

impl ApiserverServiceAccountKey {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["service-account-key-file"],
            "service account tokens are verified with the serving key and cannot be rotated",
        );
    }
}
