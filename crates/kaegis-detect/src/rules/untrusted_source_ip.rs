//! KD505: an API request from outside the trusted networks.
use kaegis_core::Severity;

use crate::event::Event;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::rules::exec_outside_cluster::is_loopback;
use crate::settings::in_networks;

declare_rule! {
    /// ## What
    /// When `settings.trustedCidrs` lists the networks API clients are
    /// expected to come from, alerts on a successful request whose client
    /// address (the first of the event's `sourceIPs`) is outside all of
    /// them. Loopback addresses (the API server's own clients) count as
    /// inside. One alert per identity and address within the
    /// deduplication window. With no `trustedCidrs`, the rule is off.
    /// Refused requests are left to KD502 (auth-brute-force): on an
    /// exposed API server they are constant background noise.
    ///
    /// ## Why
    /// A credential that works from an address nobody uses is the clearest
    /// sign it was stolen: kubeconfigs and ServiceAccount tokens leak
    /// through laptops, CI logs and compromised pods, and are replayed
    /// from the attacker's own infrastructure. Where the API server is
    /// reachable only through known networks (offices, VPN, CI runners,
    /// the nodes), any other source deserves an explanation.
    ///
    /// ## How to respond
    /// Identify the address (VPN change, new CI runner, a cloud provider's
    /// range) and either add its network to `trustedCidrs` or treat the
    /// identity as compromised: revoke its credentials and review what it
    /// did from that address. Restrict who can reach the API server at the
    /// network level as well:
    /// ```yaml
    /// # kaegis config
    /// detect:
    ///   trustedCidrs: [10.0.0.0/8, 198.51.100.0/24]
    /// ```
    pub struct UntrustedSourceIp {
        code: "KD505",
        slug: "untrusted-source-ip",
        title: "An API request succeeded from outside the trusted networks",
        severity: Severity::Medium,
        tactic: "Initial Access",
        mitre: &[
            Technique { id: "T1078", name: "Valid Accounts" },
            Technique { id: "T1133", name: "External Remote Services" },
        ],
        needs: &[Need { group: "*", resources: &["*"], verbs: &[], level: Level::Metadata }],
    }
}

impl UntrustedSourceIp {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let nets = &cx.settings.trusted_cidrs;
        if nets.is_empty() || !ev.succeeded() {
            return;
        }
        let ip = ev.source_ip();
        if ip.is_empty() || in_networks(nets, ip) || is_loopback(ip) {
            return;
        }
        out.push(Hit::new(
            format!(
                "{} made a request from {ip}, outside the trusted networks: {} {}",
                ev.acting_user().username,
                ev.verb,
                ev.request_uri
                    .split_once('?')
                    .map_or(&*ev.request_uri, |(p, _)| p)
            ),
            ip.to_owned(),
        ));
    }
}
