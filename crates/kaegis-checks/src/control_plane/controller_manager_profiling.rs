//! KG851: kube-controller-manager must not expose profiling endpoints.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-controller-manager runs with `--profiling=false`
    /// (the default is true).
    ///
    /// ## Why
    /// Profiling (`/debug/pprof`) shows the program's internals and lets a
    /// caller make it spend CPU and memory on demand; nothing in production
    /// needs it, and it widens what an attacker with access to kube-
    /// controller-manager's port can learn and do.
    ///
    /// ## How to fix
    /// Turn profiling off:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-controller-manager.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     command:
    ///     - kube-controller-manager
    ///     - --profiling=false
    /// ```
    pub struct ControllerManagerProfiling {
        code: "KG851",
        slug: "controller-manager-profiling",
        title: "kube-controller-manager must not expose profiling endpoints",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeControllerManager"],
        profiles: CIS_HARDENING,
        references: &[cis("1.3.2")],
    }
}

impl ControllerManagerProfiling {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeControllerManager") {
            return;
        }
        component::require_bool(
            obj,
            out,
            "profiling",
            true,
            false,
            "kube-controller-manager serves profiling data (/debug/pprof)",
        );
    }
}
