//! KG125: Containers must drop ALL capabilities and add at most NET_BIND_SERVICE.
use kaegis_core::{
    Area, Context, Fix, Node, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};
use serde_json::json;

use super::{RESTRICTED, mitre, nsa, pss, windows_exempt};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every container must drop all capabilities (`capabilities.drop`
    /// contains `ALL`) and may add back only `NET_BIND_SERVICE` (Pod Security
    /// Standards from v1.22; Windows pods exempt from v1.25).
    ///
    /// ## Why
    /// The runtime's default capability set still includes `NET_RAW` (packet
    /// spoofing), `DAC_OVERRIDE`, `SETUID` and others that an attacker uses to
    /// move on from a foothold. A service needs almost none of them.
    ///
    /// ## How to fix
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]   # only if it binds a port below 1024
    /// ```
    pub struct RestrictedCapabilities {
        code: "KG125",
        slug: "drop-all-capabilities",
        title: "Containers must drop ALL capabilities and add at most NET_BIND_SERVICE",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: RESTRICTED,
        references: &[pss("Capabilities (restricted)"), nsa("Pod security: capabilities"), mitre("T1611 Escape to Host")],
        pss: Some(PssControl { control: "Capabilities (restricted)", level: PssLevel::Restricted, since: 22, overrides: &[("baseline-capabilities", 22)] }),
    }
}

impl RestrictedCapabilities {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if windows_exempt(&pod, ctx.pss_minor) {
            return;
        }
        for c in pod.containers() {
            let caps = c.sc("capabilities");
            let list = |k: &str| caps.and_then(|n| n.get(k)).map_or(&[][..], Node::items);
            if !list("drop").iter().any(|d| d.as_str() == Some("ALL")) {
                let path = c.security_context_path("capabilities").key("drop");
                out.push(
                    Violation::new(
                        path.clone(),
                        format!("{} does not drop ALL capabilities", c.describe()),
                    )
                    .with_fix(Fix::append(
                        path,
                        json!("ALL"),
                        "drop ALL capabilities",
                    )),
                );
            }
            for (i, cap) in list("add").iter().enumerate() {
                let name = cap.as_str().unwrap_or("");
                if name != "NET_BIND_SERVICE" {
                    out.push(Violation::new(
                        c.security_context_path("capabilities").key("add").index(i),
                        format!(
                            "{} adds capability {name:?}; only NET_BIND_SERVICE is allowed",
                            c.describe()
                        ),
                    ));
                }
            }
        }
    }
}
