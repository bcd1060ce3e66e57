//! KG822: The API server must keep the NamespaceLifecycle admission plugin.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when `NamespaceLifecycle` is in kube-apiserver's `--disable-
    /// admission-plugins` (it is enabled by default).
    ///
    /// ## Why
    /// The NamespaceLifecycle plugin is part of the API server's default
    /// protections: it refuses objects in namespaces that do not exist or are
    /// being deleted, and protects the system namespaces from deletion.
    ///
    /// ## How to fix
    /// Remove NamespaceLifecycle from the disabled plugins:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --disable-admission-plugins=
    /// ```
    pub struct ApiserverNamespaceLifecycle {
        code: "KG822",
        slug: "apiserver-namespace-lifecycle",
        title: "The API server must keep the NamespaceLifecycle admission plugin",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.13")],
    }
}

impl ApiserverNamespaceLifecycle {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let (_, disabled) = component::admission_plugins(obj);
        if disabled.contains(&"NamespaceLifecycle") {
            out.push(Violation::new(
                component::flag_or_flags(obj, "disable-admission-plugins"),
                "the NamespaceLifecycle admission plugin is disabled",
            ));
        }
    }
}
