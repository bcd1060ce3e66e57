//! KD105: `kubectl exec` or `kubectl cp` from outside the cluster's network.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::settings::in_networks;

declare_rule! {
    /// ## What
    /// When `settings.clusterCidrs` names the cluster's own networks
    /// (nodes, pods, the administrators' bastion), alerts on every
    /// successful `pods/exec` whose client address is outside them. When
    /// the command is `tar` (what `kubectl cp` runs in the container:
    /// `tar cf - PATH` to copy files out, `tar xmf -` to copy them in), the
    /// alert says `kubectl cp` and the direction; a copy out of the pod is
    /// high severity. Loopback addresses (a client on a control-plane
    /// node) count as inside. With no `clusterCidrs`, the rule is off.
    ///
    /// ## Why
    /// In a cluster whose operators work from inside (a bastion, a CI
    /// runner, a VPN range listed in `clusterCidrs`), an exec from any
    /// other address is a credential used from somewhere it should not
    /// be — typically a kubeconfig or token stolen and replayed from the
    /// attacker's machine. `kubectl cp` out of a pod is also how files,
    /// database dumps and mounted Secrets leave the cluster.
    ///
    /// ## How to respond
    /// Find who holds the address. If it is an operator outside the
    /// expected networks, ask them and consider adding their range. If
    /// not, revoke the credential, check what the session ran (the
    /// `command` parameters in the alert's request URI) and what a copy
    /// took. Restrict where the API server can be reached from, e.g. the
    /// control plane's security group or firewall, or on a managed
    /// cluster its authorized networks:
    /// ```yaml
    /// # kaegis config: the networks exec may come from
    /// detect:
    ///   clusterCidrs: [10.0.0.0/8, 192.168.10.0/24]
    /// ```
    pub struct ExecOutsideCluster {
        code: "KD105",
        slug: "exec-outside-cluster",
        title: "kubectl exec or cp from outside the cluster's network",
        severity: Severity::Medium,
        tactic: "Execution",
        mitre: &[Technique { id: "T1609", name: "Container Administration Command" }],
        needs: &[Need { group: "", resources: &["pods/exec"], verbs: &["create", "get"], level: Level::Metadata }],
    }
}

/// True for 127.0.0.0/8 and ::1.
pub(crate) fn is_loopback(ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>()
        .is_ok_and(|a| a.is_loopback())
}

impl ExecOutsideCluster {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let nets = &cx.settings.cluster_cidrs;
        if nets.is_empty() || !ev.is("pods", "exec") || !ev.succeeded() {
            return;
        }
        let ip = ev.source_ip();
        if ip.is_empty() || in_networks(nets, ip) || is_loopback(ip) {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let (ns, name) = (ev.namespace(), ev.name());
        let command = ev.query_values("command");
        let is_tar = command
            .first()
            .is_some_and(|c| c == "tar" || c.ends_with("/tar"));
        let flags = command.get(1).map_or("", String::as_str);
        let user = &ev.acting_user().username;
        let hit = if is_tar && flags.starts_with('c') {
            Hit::new(
                format!("{user} copied files out of pod {ns}/{name} (kubectl cp) from {ip}, outside the cluster networks"),
                format!("{ns}/{name}"),
            )
            .severity(Severity::High)
        } else if is_tar && flags.starts_with('x') {
            Hit::new(
                format!(
                    "{user} copied files into pod {ns}/{name} (kubectl cp) from {ip}, outside the cluster networks"
                ),
                format!("{ns}/{name}"),
            )
        } else {
            let shown = if command.is_empty() {
                String::new()
            } else {
                format!(" `{}`", command.join(" "))
            };
            Hit::new(
                format!(
                    "{user} ran{shown} in pod {ns}/{name} from {ip}, outside the cluster networks"
                ),
                format!("{ns}/{name}"),
            )
        };
        out.push(hit);
    }
}
