//! KG109: SELinux type, user and role must not be customised.
use kaegis_core::{
    Area, Context, JsonPath, Node, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};

use super::{BASELINE, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// SELinux options must not give a container a custom identity: in
    /// `securityContext.seLinuxOptions` (pod and every container), `type` must
    /// be empty, `container_t`, `container_init_t`, `container_kvm_t` or (from
    /// v1.31) `container_engine_t`, and `user` and `role` must be empty.
    ///
    /// ## Why
    /// SELinux labels decide what a container process may access on the node.
    /// A custom type, user or role (for example `spc_t`, the "super privileged
    /// container" type) lifts that confinement.
    ///
    /// ## How to fix
    /// Remove `seLinuxOptions`, or keep only `level` (the MCS categories):
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     level: "s0:c123,c456"
    /// ```
    pub struct SeLinux {
        code: "KG109",
        slug: "selinux",
        title: "SELinux type, user and role must not be customised",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("SELinux")],
        pss: Some(PssControl { control: "SELinux", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

fn check_options(
    opts: Option<&Node>,
    base: JsonPath,
    who: &str,
    minor: u32,
    out: &mut Vec<Violation>,
) {
    let Some(opts) = opts.filter(|o| !o.is_null()) else {
        return;
    };
    let text = |k: &str| opts.get(k).and_then(Node::as_str).unwrap_or("");
    let t = text("type");
    let allowed = matches!(
        t,
        "" | "container_t" | "container_init_t" | "container_kvm_t"
    ) || (minor >= 31 && t == "container_engine_t");
    if !allowed {
        out.push(Violation::new(
            base.key("type"),
            format!("{who} sets SELinux type {t:?}"),
        ));
    }
    for field in ["user", "role"] {
        let v = text(field);
        if !v.is_empty() {
            out.push(Violation::new(
                base.key(field),
                format!("{who} sets SELinux {field} {v:?}"),
            ));
        }
    }
}

impl SeLinux {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        check_options(
            pod.sc("seLinuxOptions"),
            pod.security_context_path("seLinuxOptions"),
            "pod",
            ctx.pss_minor,
            out,
        );
        for c in pod.containers() {
            check_options(
                c.sc("seLinuxOptions"),
                c.security_context_path("seLinuxOptions"),
                &c.describe(),
                ctx.pss_minor,
                out,
            );
        }
    }
}
