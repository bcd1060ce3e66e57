//! KG824: kube-apiserver must not expose profiling endpoints.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--profiling=false` (the default
    /// is true).
    ///
    /// ## Why
    /// Profiling (`/debug/pprof`) shows the program's internals and lets a
    /// caller make it spend CPU and memory on demand; nothing in production
    /// needs it, and it widens what an attacker with access to kube-
    /// apiserver's port can learn and do.
    ///
    /// ## How to fix
    /// Turn profiling off:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --profiling=false
    /// ```
    pub struct ApiserverProfiling {
        code: "KG824",
        slug: "apiserver-profiling",
        title: "kube-apiserver must not expose profiling endpoints",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.15")],
    }
}

impl ApiserverProfiling {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        component::require_bool(
            obj,
            out,
            "profiling",
            true,
            false,
            "kube-apiserver serves profiling data (/debug/pprof)",
        );
    }
}
