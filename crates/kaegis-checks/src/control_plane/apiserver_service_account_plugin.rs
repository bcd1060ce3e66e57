//! KG821: The API server must keep the ServiceAccount admission plugin.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when `ServiceAccount` is in kube-apiserver's `--disable-
    /// admission-plugins` (it is enabled by default).
    ///
    /// ## Why
    /// The ServiceAccount plugin is part of the API server's default
    /// protections: it gives every pod a ServiceAccount and enforces that the
    /// account exists: without it pods can name accounts that do not exist
    /// and tokens are not managed.
    ///
    /// ## How to fix
    /// Remove ServiceAccount from the disabled plugins:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --disable-admission-plugins=
    /// ```
    pub struct ApiserverServiceAccountPlugin {
        code: "KG821",
        slug: "apiserver-service-account-admission",
        title: "The API server must keep the ServiceAccount admission plugin",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.12")],
    }
}

impl ApiserverServiceAccountPlugin {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let (_, disabled) = component::admission_plugins(obj);
        if disabled.contains(&"ServiceAccount") {
            out.push(Violation::new(
                component::flag_or_flags(obj, "disable-admission-plugins"),
                "the ServiceAccount admission plugin is disabled",
            ));
        }
    }
}
