//! KG126: /proc must stay masked, even in a user namespace.
use kaegis_core::{Area, Context, Object, PodSpecView, PssControl, PssLevel, Severity, Violation};

use super::{RESTRICTED, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// At the restricted level, `securityContext.procMount` must be unset or
    /// `Default` in every container, user namespace or not (v1.35 and later,
    /// where the baseline control relaxes for `hostUsers: false`).
    ///
    /// ## Why
    /// An unmasked `/proc` exposes kernel interfaces that the runtime hides on
    /// purpose. User namespaces reduce the damage; the restricted level does
    /// not rely on them alone.
    ///
    /// ## How to fix
    /// Remove `procMount`, or set it to `Default`:
    /// ```yaml
    /// securityContext:
    ///   procMount: Default
    /// ```
    pub struct ProcMountRestricted {
        code: "KG126",
        slug: "proc-mount-restricted",
        title: "/proc must stay masked, even in a user namespace",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: RESTRICTED,
        references: &[pss("/proc Mount Type")],
        pss: Some(PssControl { control: "/proc Mount Type (restricted)", level: PssLevel::Restricted, since: 35, overrides: &[("proc-mount", 35)] }),
    }
}

impl ProcMountRestricted {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        super::proc_mount::unmasked(&pod, out);
    }
}
