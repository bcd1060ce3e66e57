//! KG858: The scheduler must listen on loopback only.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-scheduler's `--bind-address` is not a loopback address
    /// (the default, 0.0.0.0, listens everywhere).
    ///
    /// ## Why
    /// The scheduler's port serves health, metrics and, with profiling on,
    /// debug endpoints. Nothing outside the node needs them; on all
    /// interfaces they are reachable from every pod and every network the
    /// node is on.
    ///
    /// ## How to fix
    /// Listen on loopback (kubeadm does):
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-scheduler.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-scheduler
    ///     command:
    ///     - kube-scheduler
    ///     - --bind-address=127.0.0.1
    /// ```
    pub struct SchedulerBindAddress {
        code: "KG858",
        slug: "scheduler-bind-address",
        title: "The scheduler must listen on loopback only",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeScheduler"],
        profiles: CIS_HARDENING,
        references: &[cis("1.4.2")],
    }
}

impl SchedulerBindAddress {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeScheduler") {
            return;
        }
        component::require_loopback(
            obj,
            out,
            "bind-address",
            Some("0.0.0.0"),
            "the scheduler's port is reachable from other hosts",
        );
    }
}
