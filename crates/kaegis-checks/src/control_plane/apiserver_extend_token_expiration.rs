//! KG838: The API server must not extend service account token lifetimes.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--service-account-extend-token-
    /// expiration=false` (the default is true).
    ///
    /// ## Why
    /// The extension lets projected tokens that ask for one hour stay valid
    /// for a year, to ease migrating old clients; a stolen token then works
    /// for a year instead of an hour.
    ///
    /// ## How to fix
    /// Turn the extension off once clients reload their tokens (every
    /// supported client library does):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --service-account-extend-token-expiration=false
    /// ```
    pub struct ApiserverExtendTokenExpiration {
        code: "KG838",
        slug: "apiserver-extend-token-expiration",
        title: "The API server must not extend service account token lifetimes",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.30")],
    }
}

impl ApiserverExtendTokenExpiration {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_bool(
            obj,
            out,
            "service-account-extend-token-expiration",
            true,
            false,
            "service account tokens stay valid for up to a year",
        );
    }
}
