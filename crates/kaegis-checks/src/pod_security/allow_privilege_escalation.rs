//! KG121: Containers must set allowPrivilegeEscalation: false.
use kaegis_core::{
    Area, Context, Fix, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};
use serde_json::json;

use super::{RESTRICTED, mitre, nsa, pss, windows_exempt};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every container must set `securityContext.allowPrivilegeEscalation: false`
    /// explicitly (unset means allowed). Windows pods are exempt from v1.25.
    ///
    /// ## Why
    /// Without it, a process can gain more privileges than its parent through
    /// setuid binaries or file capabilities (the kernel's `no_new_privs` flag
    /// stays off): a low-privileged foothold becomes root in the container.
    ///
    /// ## How to fix
    /// ```yaml
    /// securityContext:
    ///   allowPrivilegeEscalation: false
    /// ```
    pub struct AllowPrivilegeEscalation {
        code: "KG121",
        slug: "allow-privilege-escalation",
        title: "Containers must set allowPrivilegeEscalation: false",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: RESTRICTED,
        references: &[pss("Privilege Escalation"), nsa("Pod security: privilege escalation"), mitre("T1548 Abuse Elevation Control Mechanism")],
        pss: Some(PssControl { control: "Privilege Escalation", level: PssLevel::Restricted, since: 8, overrides: &[] }),
    }
}

impl AllowPrivilegeEscalation {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if windows_exempt(&pod, ctx.pss_minor) {
            return;
        }
        for c in pod.containers() {
            let path = c.security_context_path("allowPrivilegeEscalation");
            let message = match c.sc("allowPrivilegeEscalation").and_then(|n| n.as_bool()) {
                Some(false) => continue,
                Some(true) => format!("{} allows privilege escalation", c.describe()),
                None => format!(
                    "{} does not set allowPrivilegeEscalation: false",
                    c.describe()
                ),
            };
            let fix = Fix::set(
                path.clone(),
                json!(false),
                "set allowPrivilegeEscalation: false",
            );
            out.push(Violation::new(path, message).with_fix(fix));
        }
    }
}
