//! Checks of the `network` area: NetworkPolicy coverage and openness, the
//! Services, Ingresses and Gateways that expose workloads, and the TLS
//! settings of the Istio service mesh.
//!
//! The helpers below are shared by the checks of this folder: what counts as
//! "every address", "every pod of every namespace" and "every port" in a
//! NetworkPolicy rule, and how TLS and Gateway host names match.

pub mod default_deny_egress;
pub mod default_deny_ingress;
pub mod gateway_listener_tls;
pub mod ingress_tls;
pub mod istio_destination_rule_tls;
pub mod istio_mtls_strict;
pub mod network_policy_open_egress;
pub mod network_policy_open_ingress;
pub mod service_external_ips;
pub mod service_load_balancer;
pub mod service_node_port;
pub mod workload_network_policy;

use std::net::IpAddr;

use kaegis_core::{Check, JsonPath, LabelSelector, Node, Reference};

pub use crate::refs::{cis, k8s, mitre, nsa};

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &default_deny_ingress::DefaultDenyIngress,
    &default_deny_egress::DefaultDenyEgress,
    &workload_network_policy::WorkloadNetworkPolicy,
    &network_policy_open_ingress::NetworkPolicyOpenIngress,
    &network_policy_open_egress::NetworkPolicyOpenEgress,
    &service_load_balancer::ServiceLoadBalancer,
    &service_node_port::ServiceNodePort,
    &ingress_tls::IngressTls,
    &service_external_ips::ServiceExternalIps,
    &istio_mtls_strict::IstioMtlsStrict,
    &istio_destination_rule_tls::IstioDestinationRuleTls,
    &gateway_listener_tls::GatewayListenerTls,
];

/// The Kubernetes NetworkPolicy documentation.
pub(crate) const NETWORK_POLICIES_URL: &str =
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/";

/// A reference to the Istio documentation.
pub(crate) const fn istio(id: &'static str, url: &'static str) -> Reference {
    Reference {
        source: "Istio",
        id,
        url: Some(url),
    }
}

/// A reference to the Gateway API specification.
pub(crate) const fn gateway_api(id: &'static str, url: &'static str) -> Reference {
    Reference {
        source: "Gateway API",
        id,
        url: Some(url),
    }
}

/// Namespaces Kubernetes creates and runs itself; the namespace-level
/// isolation checks leave them alone.
pub(crate) const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// True for a CIDR with a prefix length of 0 (`0.0.0.0/0`, `::/0`, or any
/// other spelling of them): every address of its family.
pub(crate) fn cidr_is_everything(cidr: &str) -> bool {
    let Some((addr, prefix)) = cidr.trim().split_once('/') else {
        return false;
    };
    prefix.parse::<u8>() == Ok(0) && addr.parse::<IpAddr>().is_ok()
}

/// Why one NetworkPolicy peer (an item of `from` or `to`) admits every
/// source or destination: the path below the peer to point at, and the
/// words for a message. `None` for a peer that restricts.
pub(crate) fn open_peer(peer: &Node) -> Option<(&'static [&'static str], String)> {
    if let Some(cidr) = peer
        .get_path(&["ipBlock", "cidr"])
        .and_then(Node::as_str)
        .filter(|c| cidr_is_everything(c))
    {
        let except = peer
            .get_path(&["ipBlock", "except"])
            .map_or(0, |e| e.items().len());
        let words = if except > 0 {
            format!("every address but {except} excepted range(s) (ipBlock {cidr})")
        } else {
            format!("every address (ipBlock {cidr})")
        };
        return Some((&["ipBlock", "cidr"], words));
    }
    if let Some(ns) = peer.get("namespaceSelector").filter(|n| n.is_map())
        && LabelSelector::selects_all(Some(ns))
        && LabelSelector::selects_all(peer.get("podSelector"))
    {
        return Some((
            &["namespaceSelector"],
            "every pod of every namespace (empty namespaceSelector)".to_owned(),
        ));
    }
    None
}

/// True when a rule's list of peers or ports is absent, null or empty: the
/// API reads that as "everything".
pub(crate) fn list_is_unrestricted(node: Option<&Node>) -> bool {
    node.is_none_or(|n| n.is_null() || (n.is_seq() && n.items().is_empty()))
}

/// "every port" or "ports 80/TCP, 53/UDP" for a NetworkPolicy rule.
pub(crate) fn describe_ports(rule: &Node) -> String {
    let ports = rule.get("ports");
    if list_is_unrestricted(ports) {
        return "every port".to_owned();
    }
    let list: Vec<String> = ports
        .map_or(&[][..], Node::items)
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Node::as_str).unwrap_or("*");
            let proto = p.get("protocol").and_then(Node::as_str).unwrap_or("TCP");
            match p.get("endPort").and_then(Node::as_str) {
                Some(end) => format!("{port}-{end}/{proto}"),
                None => format!("{port}/{proto}"),
            }
        })
        .collect();
    format!("port(s) {}", list.join(", "))
}

/// The path to a key under a peer: `<rule>.<list>[j].<keys…>`.
pub(crate) fn peer_path(rule: &JsonPath, list: &str, j: usize, keys: &[&str]) -> JsonPath {
    rule.key(list).index(j).keys(keys)
}

/// True when the TLS name `pattern` (a certificate or `tls.hosts` entry)
/// covers `host`: equal ignoring case, or a `*.` wildcard standing for
/// exactly one label, as certificate matching does (`*.example.com` covers
/// `a.example.com`, not `a.b.example.com` nor `example.com`).
pub(crate) fn tls_name_covers(pattern: &str, host: &str) -> bool {
    if pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    let Some(suffix) = pattern.strip_prefix("*.") else {
        return false;
    };
    match host.split_once('.') {
        Some((label, rest)) => {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(suffix)
        }
        None => false,
    }
}

/// True when a listener `hostname` (absent: every host) accepts every host
/// that `host` (absent: every host) stands for, with the Gateway API's
/// suffix semantics for `*.` wildcards (`*.example.com` accepts
/// `a.example.com` and `a.b.example.com`, not `example.com`).
pub(crate) fn gateway_hostname_covers(hostname: Option<&str>, host: Option<&str>) -> bool {
    let Some(hostname) = hostname else {
        return true;
    };
    let Some(host) = host else {
        return false;
    };
    if hostname.eq_ignore_ascii_case(host) {
        return true;
    }
    let Some(suffix) = hostname.strip_prefix('*') else {
        return false;
    };
    // `suffix` starts with the dot (`.example.com`); a host wildcard
    // (`*.a.example.com`) stands for names under its own suffix.
    let tail = host.strip_prefix('*').unwrap_or(host).as_bytes();
    let suffix = suffix.as_bytes();
    tail.len() > suffix.len() && tail[tail.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// For the default-deny checks: when `obj` is a Namespace of the scan (not
/// a system one) that runs workloads and no NetworkPolicy of it selects all
/// its pods in the direction `isolates` tests, the violation to report,
/// worded with `consequence`.
pub(crate) fn missing_default_deny(
    obj: &kaegis_core::Object,
    ctx: &kaegis_core::Context<'_>,
    direction: &str,
    isolates: impl Fn(&kaegis_core::inventory::NetworkPolicyInfo) -> bool,
    consequence: &str,
) -> Option<kaegis_core::Violation> {
    if obj.id.kind != "Namespace" || !obj.group().is_empty() {
        return None;
    }
    let inventory = ctx.inventory?;
    let ns = obj.id.name.as_str();
    if ns.is_empty() || SYSTEM_NAMESPACES.contains(&ns) {
        return None;
    }
    let workloads = inventory.workloads.get(ns).copied().unwrap_or(0);
    if workloads == 0 {
        return None;
    }
    let isolated = inventory
        .policies_in(ns)
        .any(|p| p.pod_selector.is_empty() && isolates(p));
    (!isolated).then(|| {
        kaegis_core::Violation::new(
            kaegis_core::JsonPath::root().keys(&["metadata", "name"]),
            format!(
                "namespace \"{ns}\" runs {workloads} workload(s) but no NetworkPolicy selects all of its pods for {direction}: {consequence}"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_that_mean_everything() {
        for c in ["0.0.0.0/0", "::/0", "0::/0", " 0.0.0.0/0 ", "10.0.0.0/0"] {
            assert!(cidr_is_everything(c), "{c}");
        }
        for c in ["0.0.0.0/1", "10.0.0.0/8", "0.0.0.0", "::/00x", "x/0", ""] {
            assert!(!cidr_is_everything(c), "{c}");
        }
    }

    #[test]
    fn tls_wildcards_cover_one_label() {
        assert!(tls_name_covers("*.example.com", "a.example.com"));
        assert!(tls_name_covers("*.example.com", "A.Example.com"));
        assert!(tls_name_covers("*.example.com", "*.example.com"));
        assert!(!tls_name_covers("*.example.com", "a.b.example.com"));
        assert!(!tls_name_covers("*.example.com", "example.com"));
        assert!(!tls_name_covers("*.example.com", ".example.com"));
        assert!(tls_name_covers("example.com", "EXAMPLE.com"));
        assert!(!tls_name_covers("example.com", "a.example.com"));
    }

    #[test]
    fn gateway_wildcards_are_suffixes() {
        let c = gateway_hostname_covers;
        assert!(c(None, None));
        assert!(c(None, Some("a.example.com")));
        assert!(!c(Some("a.example.com"), None));
        assert!(c(Some("*.example.com"), Some("a.example.com")));
        assert!(c(Some("*.example.com"), Some("a.b.example.com")));
        assert!(c(Some("*.example.com"), Some("*.example.com")));
        assert!(c(Some("*.example.com"), Some("*.a.example.com")));
        assert!(!c(Some("*.example.com"), Some("example.com")));
        assert!(!c(Some("*.a.example.com"), Some("*.example.com")));
        assert!(!c(Some("a.example.com"), Some("b.example.com")));
    }
}
