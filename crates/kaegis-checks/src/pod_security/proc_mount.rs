//! KG110: /proc must stay masked.
use kaegis_core::{
    Area, Context, Node, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};

use super::{BASELINE, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Containers must keep the default masking of `/proc`:
    /// `securityContext.procMount` must be unset or `Default`. From v1.35 a pod
    /// in its own user namespace (`hostUsers: false`) may use `Unmasked`.
    ///
    /// ## Why
    /// The runtime masks parts of `/proc` (kernel keys, timers, the sysrq
    /// trigger…) that leak host information or let a process act on the host
    /// kernel. Unmasking them is only safe when root in the container is not
    /// root on the node.
    ///
    /// ## How to fix
    /// Remove `procMount`, or run the pod in a user namespace:
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    /// ```
    pub struct ProcMount {
        code: "KG110",
        slug: "proc-mount",
        title: "/proc must stay masked",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("/proc Mount Type")],
        pss: Some(PssControl { control: "/proc Mount Type", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

/// Reports every container whose procMount is set to anything but `Default`.
pub(crate) fn unmasked(pod: &PodSpecView<'_>, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        let Some(pm) = c.sc("procMount").filter(|n| !n.is_null()) else {
            continue;
        };
        let v = pm.as_str().unwrap_or("");
        if v != "Default" {
            out.push(Violation::new(
                c.security_context_path("procMount"),
                format!("{} sets procMount {v:?}", c.describe()),
            ));
        }
    }
}

/// True when the pod runs in its own user namespace (`hostUsers: false`).
pub(crate) fn user_namespaced(pod: &PodSpecView<'_>) -> bool {
    pod.field("hostUsers").and_then(Node::as_bool) == Some(false)
}

impl ProcMount {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if super::relaxed_for_user_namespace(&pod, ctx) {
            return;
        }
        unmasked(&pod, out);
    }
}
