//! KG504: NetworkPolicy ingress rules must not admit every source.
use kaegis_core::inventory::NetworkPolicyInfo;
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{
    NETWORK_POLICIES_URL, describe_ports, k8s, list_is_unrestricted, mitre, nsa, open_peer,
    peer_path,
};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// An ingress rule of a NetworkPolicy must name who may connect. The
    /// check reports, in a policy that isolates ingress (`policyTypes` lists
    /// `Ingress`, or has no `policyTypes`):
    /// - a rule without `from` (or with `from: []`): it admits every source,
    ///   inside and outside the cluster;
    /// - a peer with an empty `namespaceSelector` (`{}`) and no
    ///   `podSelector`, or an empty one: every pod of every namespace;
    /// - a peer whose `ipBlock.cidr` has a prefix length of 0 (`0.0.0.0/0`,
    ///   `::/0`): every address. An `except` list does not change the
    ///   verdict: it carves out some ranges (usually the private ones) and
    ///   still admits the whole internet; the message says how many ranges
    ///   are excepted.
    ///
    /// Restricting the ports does not make a rule pass (the message names
    /// them): "anyone may reach port 8080" is still open to anyone. A peer
    /// that combines an empty `namespaceSelector` with a non-empty
    /// `podSelector` (these pods, in any namespace) passes, as does
    /// `podSelector: {}` alone (every pod of the policy's own namespace).
    /// Ingress rules of a policy that only isolates egress are ignored, as
    /// the API ignores them.
    ///
    /// ## Why
    /// A NetworkPolicy is read as a statement of who may connect; an
    /// "allow from anywhere" rule hidden in it makes the selected pods as
    /// reachable as if no policy existed, for every pod of the cluster and,
    /// through any route in, for the internet.
    ///
    /// Some workloads are meant to be reached by everyone: a public ingress
    /// controller or gateway, a public DNS server. Admission webhooks are
    /// another case: the API server that calls them is not a pod, so no
    /// selector can name it, and a rule open on the webhook port only is
    /// the portable way (an `ipBlock` of the control plane's addresses is
    /// the tighter one). Say so in the object, with a reason, and the
    /// finding goes away: `kaegis.dev/ignore: network-policy-open-ingress`
    /// and `kaegis.dev/ignore-reason: "public ingress controller"`.
    ///
    /// ## How to fix
    /// Name the sources:
    /// ```yaml
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   ingress:
    ///   - from:
    ///     - namespaceSelector:
    ///         matchLabels:
    ///           kubernetes.io/metadata.name: ingress-nginx
    ///       podSelector:
    ///         matchLabels:
    ///           app.kubernetes.io/name: ingress-nginx
    ///     ports:
    ///     - port: 8080
    /// ```
    pub struct NetworkPolicyOpenIngress {
        code: "KG504",
        slug: "network-policy-open-ingress",
        title: "NetworkPolicy ingress rules must not admit every source",
        severity: Severity::Medium,
        area: Area::Network,
        kinds: &["NetworkPolicy"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening: network policies"),
            mitre("T1190 Exploit Public-Facing Application"),
            k8s("NetworkPolicy ingress rules", NETWORK_POLICIES_URL),
        ],
    }
}

impl NetworkPolicyOpenIngress {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(info) = NetworkPolicyInfo::of(obj) else {
            return;
        };
        if !info.ingress {
            return;
        }
        let Some(rules) = obj.root.get_path(&["spec", "ingress"]) else {
            return;
        };
        let rules_path = JsonPath::root().keys(&["spec", "ingress"]);
        for (i, rule) in rules.items().iter().enumerate() {
            if !rule.is_map() && !rule.is_null() {
                continue;
            }
            let rule_path = rules_path.index(i);
            let from = rule.get("from");
            if list_is_unrestricted(from) {
                let (at, what) = if from.is_some() {
                    (rule_path.key("from"), "an empty `from`")
                } else {
                    (rule_path.clone(), "no `from`")
                };
                out.push(Violation::new(
                    at,
                    format!(
                        "ingress rule {i} has {what}: it admits every source, on {}",
                        describe_ports(rule)
                    ),
                ));
                continue;
            }
            for (j, peer) in from.map_or(&[][..], |f| f.items()).iter().enumerate() {
                if let Some((keys, words)) = open_peer(peer) {
                    out.push(Violation::new(
                        peer_path(&rule_path, "from", j, keys),
                        format!(
                            "ingress rule {i} admits {words}, on {}",
                            describe_ports(rule)
                        ),
                    ));
                }
            }
        }
    }
}
