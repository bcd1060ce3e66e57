//! KG112: Pods must set only safe sysctls.
use kaegis_core::{
    Area, Context, Node, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};

use super::{BASELINE, pss};
use crate::macros::declare_check;

/// The safe sysctls, each with the policy version that first allows it.
pub const SAFE_SYSCTLS: [(&str, u32); 14] = [
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

declare_check! {
    /// ## What
    /// Pods may set only the namespaced, safe sysctls in
    /// `securityContext.sysctls`: `kernel.shm_rmid_forced`,
    /// `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
    /// `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`;
    /// from v1.27 `net.ipv4.ip_local_reserved_ports`; from v1.29
    /// `net.ipv4.tcp_keepalive_time`, `tcp_fin_timeout`, `tcp_keepalive_intvl`,
    /// `tcp_keepalive_probes`; from v1.32 `net.ipv4.tcp_rmem`, `tcp_wmem`; from
    /// v1.37 `net.ipv4.tcp_slow_start_after_idle`, `tcp_notsent_lowat`.
    ///
    /// ## Why
    /// Other sysctls either are not isolated per pod (they change the whole
    /// node's kernel) or let one pod starve or destabilise its neighbours.
    ///
    /// ## How to fix
    /// Remove the sysctl, or set it on the nodes through their configuration
    /// rather than from a pod.
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///   - name: net.ipv4.ip_local_port_range
    ///     value: "1024 65535"
    /// ```
    pub struct Sysctls {
        code: "KG112",
        slug: "unsafe-sysctls",
        title: "Pods must set only safe sysctls",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("Sysctls")],
        pss: Some(PssControl { control: "Sysctls", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

impl Sysctls {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let list = pod.sc("sysctls").map_or(&[][..], Node::items);
        for (i, s) in list.iter().enumerate() {
            let name = s.get("name").and_then(Node::as_str).unwrap_or("");
            let safe = SAFE_SYSCTLS
                .iter()
                .any(|(n, since)| *n == name && *since <= ctx.pss_minor);
            if !safe {
                out.push(Violation::new(
                    pod.security_context_path("sysctls").index(i).key("name"),
                    format!(
                        "pod sets sysctl {name:?}, which is not safe at v1.{}",
                        ctx.pss_minor
                    ),
                ));
            }
        }
    }
}
