//! KG857: kube-scheduler must not expose profiling endpoints.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-scheduler runs with `--profiling=false` (the default
    /// is true).
    ///
    /// ## Why
    /// Profiling (`/debug/pprof`) shows the program's internals and lets a
    /// caller make it spend CPU and memory on demand; nothing in production
    /// needs it, and it widens what an attacker with access to kube-
    /// scheduler's port can learn and do.
    ///
    /// ## How to fix
    /// Turn profiling off:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-scheduler.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-scheduler
    ///     command:
    ///     - kube-scheduler
    ///     - --profiling=false
    /// ```
    pub struct SchedulerProfiling {
        code: "KG857",
        slug: "scheduler-profiling",
        title: "kube-scheduler must not expose profiling endpoints",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeScheduler"],
        profiles: CIS_HARDENING,
        references: &[cis("1.4.1")],
    }
}

impl SchedulerProfiling {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeScheduler") {
            return;
        }
        component::require_bool(
            obj,
            out,
            "profiling",
            true,
            false,
            "kube-scheduler serves profiling data (/debug/pprof)",
        );
    }
}
