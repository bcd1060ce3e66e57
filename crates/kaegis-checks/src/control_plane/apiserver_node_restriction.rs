//! KG823: The API server must restrict what kubelets may change.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless the `NodeRestriction` admission plugin is in `--enable-
    /// admission-plugins`.
    ///
    /// ## Why
    /// NodeRestriction limits each kubelet to changing its own Node object
    /// and the pods bound to it, and forbids it from setting labels that
    /// steer workloads (`node-restriction.kubernetes.io/`). Without it a
    /// compromised node can relabel itself or other nodes to attract
    /// sensitive pods.
    ///
    /// ## How to fix
    /// Enable the plugin (with the Node authorizer):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --enable-admission-plugins=NodeRestriction
    /// ```
    pub struct ApiserverNodeRestriction {
        code: "KG823",
        slug: "apiserver-node-restriction",
        title: "The API server must restrict what kubelets may change",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.14")],
    }
}

impl ApiserverNodeRestriction {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        let (enabled, _) = component::admission_plugins(obj);
        if !enabled.contains(&"NodeRestriction") {
            out.push(Violation::new(
                component::flag_or_flags(obj, "enable-admission-plugins"),
                "the NodeRestriction admission plugin is not enabled: kubelets may modify other nodes and their pods",
            ));
        }
    }
}
