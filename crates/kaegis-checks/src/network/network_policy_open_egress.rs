//! KG505: NetworkPolicy egress rules must not allow every destination on
//! every port.
use kaegis_core::inventory::NetworkPolicyInfo;
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{NETWORK_POLICIES_URL, cidr_is_everything, k8s, list_is_unrestricted, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// An egress rule of a NetworkPolicy must not allow every destination
    /// on every port. In a policy that isolates egress (`policyTypes` lists
    /// `Egress`, or has no `policyTypes` and has `egress` rules), the check
    /// reports a rule that has no `ports` (or `ports: []`) and either:
    /// - no `to` (or `to: []`): every destination; or
    /// - a peer whose `ipBlock.cidr` has a prefix length of 0 (`0.0.0.0/0`,
    ///   `::/0`), with or without `except` (excepting the private ranges
    ///   still allows the whole internet; the message says how many ranges
    ///   are excepted).
    ///
    /// Rules limited to ports pass, whatever their destinations: the usual
    /// DNS allowance (`ports: [{port: 53, protocol: UDP}, {port: 53,
    /// protocol: TCP}]` with no `to`) and "HTTPS to anywhere" (`port: 443`)
    /// are deliberate, bounded choices. So do rules to named pods or
    /// namespaces, including an empty `namespaceSelector` (every pod of the
    /// cluster, but not the internet).
    ///
    /// ## Why
    /// An egress rule to everywhere on every port undoes the egress
    /// isolation of the pods it applies to: a compromised pod can again
    /// reach the cloud metadata endpoint, every service of the cluster and
    /// any server on the internet, on any protocol, to fetch tools or
    /// exfiltrate data.
    ///
    /// ## How to fix
    /// Name the destinations, or at least the ports:
    /// ```yaml
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to:
    ///     - podSelector:
    ///         matchLabels:
    ///           app: postgres
    ///     ports:
    ///     - port: 5432
    ///   - ports:
    ///     - {port: 53, protocol: UDP}
    ///     - {port: 53, protocol: TCP}
    /// ```
    pub struct NetworkPolicyOpenEgress {
        code: "KG505",
        slug: "network-policy-open-egress",
        title: "NetworkPolicy egress rules must not allow everything",
        severity: Severity::Low,
        area: Area::Network,
        kinds: &["NetworkPolicy"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening: network policies"),
            mitre("T1041 Exfiltration Over C2 Channel"),
            k8s("NetworkPolicy egress rules", NETWORK_POLICIES_URL),
        ],
    }
}

impl NetworkPolicyOpenEgress {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(info) = NetworkPolicyInfo::of(obj) else {
            return;
        };
        if !info.egress {
            return;
        }
        let Some(rules) = obj.root.get_path(&["spec", "egress"]) else {
            return;
        };
        let rules_path = JsonPath::root().keys(&["spec", "egress"]);
        for (i, rule) in rules.items().iter().enumerate() {
            if !rule.is_map() && !rule.is_null() {
                continue;
            }
            if !list_is_unrestricted(rule.get("ports")) {
                continue;
            }
            let rule_path = rules_path.index(i);
            let to = rule.get("to");
            if list_is_unrestricted(to) {
                let at = if to.is_some() {
                    rule_path.key("to")
                } else {
                    rule_path.clone()
                };
                out.push(Violation::new(
                    at,
                    format!(
                        "egress rule {i} has neither `to` nor `ports`: it allows every destination on every port"
                    ),
                ));
                continue;
            }
            for (j, peer) in to.map_or(&[][..], |t| t.items()).iter().enumerate() {
                let Some(cidr) = peer
                    .get_path(&["ipBlock", "cidr"])
                    .and_then(|c| c.as_str())
                    .filter(|c| cidr_is_everything(c))
                else {
                    continue;
                };
                let except = peer
                    .get_path(&["ipBlock", "except"])
                    .map_or(0, |e| e.items().len());
                let but = if except > 0 {
                    format!(" but {except} excepted range(s)")
                } else {
                    String::new()
                };
                out.push(Violation::new(
                    rule_path.key("to").index(j).keys(&["ipBlock", "cidr"]),
                    format!(
                        "egress rule {i} allows every address{but} (ipBlock {cidr}) on every port"
                    ),
                ));
            }
        }
    }
}
