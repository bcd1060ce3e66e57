//! KG829: The API server must time out requests.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails when kube-apiserver's `--request-timeout` is zero or negative
    /// (the default, 1m0s, passes). The benchmark rates this recommendation
    /// Manual: the check runs in the `cis` profile only.
    ///
    /// ## Why
    /// Without a timeout, slow or stuck requests hold the API server's
    /// resources forever; a client that opens many can exhaust it.
    ///
    /// ## How to fix
    /// Leave the default or set a bounded timeout:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --request-timeout=60s
    /// ```
    pub struct ApiserverRequestTimeout {
        code: "KG829",
        slug: "apiserver-request-timeout",
        title: "The API server must time out requests",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS,
        references: &[cis("1.2.20")],
    }
}

impl ApiserverRequestTimeout {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        if let Some(f) = component::flag(obj, "request-timeout")
            && (component::is_zero_duration(f.value) || f.value.trim_start().starts_with('-'))
        {
            out.push(Violation::new(
                f.path,
                format!("--request-timeout={}: requests never time out", f.value),
            ));
        }
    }
}
