//! KG810: The API server must refuse anonymous requests.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--anonymous-auth=false` (the
    /// default is true). When authentication is configured by an
    /// AuthenticationConfiguration file (`--authentication-config`),
    /// anonymous access is decided there and this check says it could not
    /// tell. The benchmark rates this recommendation Manual: the check runs
    /// in the `cis` profile only.
    ///
    /// ## Why
    /// With anonymous authentication on, every request without credentials is
    /// served as `system:anonymous`, and only authorization stands between it
    /// and the API. One careless binding to `system:unauthenticated` or
    /// `system:anonymous` then opens the cluster to anyone who reaches it.
    /// (`kaegis cluster` probes what anonymous requests can actually read.)
    ///
    /// ## How to fix
    /// Turn anonymous authentication off; if load balancers need
    /// unauthenticated health checks, allow anonymous requests on the health
    /// endpoints only, through an AuthenticationConfiguration (1.32+):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --anonymous-auth=false
    /// ```
    pub struct ApiserverAnonymousAuth {
        code: "KG810",
        slug: "apiserver-anonymous-auth",
        title: "The API server must refuse anonymous requests",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("1.2.1")],
    }
}

impl ApiserverAnonymousAuth {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        if component::is_set(obj, "authentication-config")
            && component::flag(obj, "anonymous-auth").is_none()
        {
            out.push(Violation::new(
                component::flag_or_flags(obj, "authentication-config"),
                "could not check: anonymous authentication is configured in the --authentication-config file, which kaegis does not read yet",
            ));
            return;
        }
        component::require_bool(
            obj,
            out,
            "anonymous-auth",
            true,
            false,
            "requests without credentials are served as system:anonymous",
        );
    }
}
