//! KG839: People should sign in through an external identity provider.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Reports, for information, when kube-apiserver has no external
    /// authentication configured: no OIDC issuer (`--oidc-issuer-url`), no
    /// AuthenticationConfiguration (`--authentication-config`) and no token
    /// webhook (`--authentication-token-webhook-config-file`). The benchmark
    /// rates this recommendation Manual: the check runs in the `cis` profile
    /// only.
    ///
    /// ## Why
    /// Without an identity provider, people authenticate with client
    /// certificates, which cannot be revoked, or with shared credentials. An
    /// external provider gives per-person identities, group memberships,
    /// short sessions and offboarding in one place.
    ///
    /// ## How to fix
    /// Configure an OIDC issuer (or an AuthenticationConfiguration with JWT
    /// authenticators, 1.30+):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --oidc-issuer-url=https://login.example.com
    ///     - --oidc-client-id=kubernetes
    ///     - --oidc-username-claim=email
    ///     - --oidc-groups-claim=groups
    /// ```
    pub struct ApiserverExternalAuthentication {
        code: "KG839",
        slug: "apiserver-external-authentication",
        title: "People should sign in through an external identity provider",
        severity: Severity::Info,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("3.1.1")],
    }
}

impl ApiserverExternalAuthentication {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        if ![
            "oidc-issuer-url",
            "authentication-config",
            "authentication-token-webhook-config-file",
        ]
        .iter()
        .any(|f| component::is_set(obj, f))
        {
            out.push(Violation::new(
                component::flags_path(),
                "no external authentication is configured (OIDC, AuthenticationConfiguration or a token webhook): people sign in with certificates or shared credentials",
            ));
        }
    }
}
