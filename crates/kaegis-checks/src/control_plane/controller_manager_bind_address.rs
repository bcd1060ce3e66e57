//! KG856: The controller manager must listen on loopback only.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-controller-manager's `--bind-address` is not a
    /// loopback address (the default, 0.0.0.0, listens everywhere).
    ///
    /// ## Why
    /// The controller manager's port serves health, metrics and, with
    /// profiling on, debug endpoints. Nothing outside the node needs them; on
    /// all interfaces they are reachable from every pod and every network the
    /// node is on.
    ///
    /// ## How to fix
    /// Listen on loopback (kubeadm does):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-controller-manager.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     command:
    ///     - kube-controller-manager
    ///     - --bind-address=127.0.0.1
    /// ```
    pub struct ControllerManagerBindAddress {
        code: "KG856",
        slug: "controller-manager-bind-address",
        title: "The controller manager must listen on loopback only",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeControllerManager"],
        profiles: CIS_HARDENING,
        references: &[cis("1.3.7")],
    }
}

impl ControllerManagerBindAddress {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeControllerManager") {
            return;
        }
        component::require_loopback(
            obj,
            out,
            "bind-address",
            Some("0.0.0.0"),
            "the controller manager's port is reachable from other hosts",
        );
    }
}
