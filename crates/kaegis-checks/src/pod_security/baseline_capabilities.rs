//! KG104: Containers must not add capabilities beyond the default set.
use kaegis_core::{Area, Context, Object, PodSpecView, PssControl, PssLevel, Severity, Violation};

use super::{BASELINE, mitre, nsa, pss};
use crate::macros::declare_check;

/// Capabilities the baseline level allows a container to add: the container
/// runtime's historical default set.
pub const ALLOWED: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

declare_check! {
    /// ## What
    /// Containers may add only the capabilities of the container runtime's
    /// default set (`AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`,
    /// `KILL`, `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`,
    /// `SETUID`, `SYS_CHROOT`) to `securityContext.capabilities.add`. Names are
    /// compared exactly, as Kubernetes does: `chown` or `CAP_CHOWN` are not
    /// in the set.
    ///
    /// ## Why
    /// Capabilities such as `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE`,
    /// `SYS_MODULE` or `NET_RAW` each open a known path to the node: mounting
    /// file systems, reconfiguring the network, reading other processes'
    /// memory, loading kernel modules, spoofing traffic.
    ///
    /// ## How to fix
    /// Drop everything and add back only what the program needs:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]
    /// ```
    pub struct BaselineCapabilities {
        code: "KG104",
        slug: "baseline-capabilities",
        title: "Containers must not add capabilities beyond the default set",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("Capabilities"), nsa("Pod security: capabilities"), mitre("T1611 Escape to Host")],
        pss: Some(PssControl { control: "Capabilities", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

impl BaselineCapabilities {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for c in pod.containers() {
            let add = c
                .sc("capabilities")
                .and_then(|n| n.get("add"))
                .map_or(&[][..], |n| n.items());
            for (i, cap) in add.iter().enumerate() {
                let name = cap.as_str().unwrap_or("");
                if !ALLOWED.contains(&name) {
                    out.push(Violation::new(
                        c.security_context_path("capabilities").key("add").index(i),
                        format!(
                            "{} adds capability {name:?}, outside the baseline set",
                            c.describe()
                        ),
                    ));
                }
            }
        }
    }
}
