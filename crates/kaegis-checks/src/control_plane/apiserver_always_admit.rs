//! KG819: The API server must not enable the AlwaysAdmit admission plugin.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when `AlwaysAdmit` is in kube-apiserver's `--enable-admission-
    /// plugins`.
    ///
    /// ## Why
    /// AlwaysAdmit admits every request whatever the other admission plugins
    /// would say; it exists for testing and disables admission control's
    /// protections.
    ///
    /// ## How to fix
    /// Remove AlwaysAdmit from the enabled plugins:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --enable-admission-plugins=NodeRestriction
    /// ```
    pub struct ApiserverAlwaysAdmit {
        code: "KG819",
        slug: "apiserver-always-admit",
        title: "The API server must not enable the AlwaysAdmit admission plugin",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.10")],
    }
}

impl ApiserverAlwaysAdmit {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let (enabled, _) = component::admission_plugins(obj);
        if enabled.contains(&"AlwaysAdmit") {
            out.push(Violation::new(
                component::flag_or_flags(obj, "enable-admission-plugins"),
                "the AlwaysAdmit admission plugin admits every request",
            ));
        }
    }
}
