//! KG830: The API server must check that a token's ServiceAccount still exists.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-apiserver runs with `--service-account-lookup=false`
    /// (the default is true).
    ///
    /// ## Why
    /// Without the lookup, a service account token stays valid after its
    /// ServiceAccount (or the Secret holding a legacy token) is deleted:
    /// deleting the account no longer revokes the access.
    ///
    /// ## How to fix
    /// Leave the lookup on:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --service-account-lookup=true
    /// ```
    pub struct ApiserverServiceAccountLookup {
        code: "KG830",
        slug: "apiserver-service-account-lookup",
        title: "The API server must check that a token's ServiceAccount still exists",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.21")],
    }
}

impl ApiserverServiceAccountLookup {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_bool(
            obj,
            out,
            "service-account-lookup",
            true,
            true,
            "tokens of deleted ServiceAccounts are still accepted",
        );
    }
}
