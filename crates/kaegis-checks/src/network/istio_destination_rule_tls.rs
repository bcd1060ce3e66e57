//! KG511: Istio DestinationRules must not disable TLS.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::{istio, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// An Istio `DestinationRule` (`networking.istio.io`) must not turn TLS
    /// off for the traffic it governs. The check reports `tls.mode: DISABLE`
    /// wherever a traffic policy sets it:
    /// - `spec.trafficPolicy.tls`;
    /// - `spec.trafficPolicy.portLevelSettings[].tls`;
    /// - `spec.subsets[].trafficPolicy.tls` and
    ///   `spec.subsets[].trafficPolicy.portLevelSettings[].tls`.
    ///
    /// `ISTIO_MUTUAL`, `MUTUAL` and `SIMPLE` pass; so does a rule without
    /// `tls`, which lets Istio use mutual TLS automatically between
    /// sidecars. A plaintext destination outside the mesh that cannot speak
    /// TLS (a legacy service, a node-local agent) is a deliberate exception:
    /// waive it on the object with a reason.
    ///
    /// ## Why
    /// `DISABLE` makes the client sidecars send plaintext to the host, even
    /// when the server could do mutual TLS: the traffic can be read and
    /// changed on the wire, the server cannot prove who is calling, and a
    /// STRICT PeerAuthentication on the server side then rejects the calls,
    /// a classic reason to weaken it in turn.
    ///
    /// ## How to fix
    /// Remove the `tls` block (automatic mutual TLS) or ask for it
    /// explicitly:
    /// ```yaml
    /// apiVersion: networking.istio.io/v1
    /// kind: DestinationRule
    /// metadata:
    ///   name: reviews
    /// spec:
    ///   host: reviews.shop.svc.cluster.local
    ///   trafficPolicy:
    ///     tls:
    ///       mode: ISTIO_MUTUAL
    /// ```
    pub struct IstioDestinationRuleTls {
        code: "KG511",
        slug: "istio-destination-rule-tls",
        title: "Istio DestinationRules must not disable TLS",
        severity: Severity::Medium,
        area: Area::Network,
        kinds: &["DestinationRule"],
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening"),
            mitre("T1040 Network Sniffing"),
            istio(
                "DestinationRule ClientTLSSettings",
                "https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings"
            ),
        ],
    }
}

/// Reports `tls.mode: DISABLE` in one traffic policy and its port-level
/// settings.
fn check_policy(policy: &Node, path: &JsonPath, whose: &str, host: &str, out: &mut Vec<Violation>) {
    if is_disabled(policy) {
        out.push(Violation::new(
            path.keys(&["tls", "mode"]),
            format!("{whose} traffic policy sets tls.mode: DISABLE: traffic to {host} is sent in plaintext"),
        ));
    }
    let settings = policy.get("portLevelSettings").map_or(&[][..], Node::items);
    for (i, setting) in settings.iter().enumerate() {
        if is_disabled(setting) {
            let port = setting
                .get_path(&["port", "number"])
                .and_then(Node::as_str)
                .unwrap_or("?");
            out.push(Violation::new(
                path.key("portLevelSettings").index(i).keys(&["tls", "mode"]),
                format!("{whose} traffic policy sets tls.mode: DISABLE for port {port}: traffic to {host}:{port} is sent in plaintext"),
            ));
        }
    }
}

fn is_disabled(node: &Node) -> bool {
    node.get_path(&["tls", "mode"])
        .and_then(Node::as_str)
        .is_some_and(|m| m.eq_ignore_ascii_case("DISABLE"))
}

impl IstioDestinationRuleTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "DestinationRule" || obj.group() != "networking.istio.io" {
            return;
        }
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        let host = spec
            .get("host")
            .and_then(Node::as_str)
            .unwrap_or("its host");
        let spec_path = JsonPath::root().key("spec");
        if let Some(policy) = spec.get("trafficPolicy") {
            check_policy(policy, &spec_path.key("trafficPolicy"), "the", host, out);
        }
        let subsets = spec.get("subsets").map_or(&[][..], Node::items);
        for (i, subset) in subsets.iter().enumerate() {
            if let Some(policy) = subset.get("trafficPolicy") {
                let name = subset.get("name").and_then(Node::as_str).unwrap_or("");
                check_policy(
                    policy,
                    &spec_path.key("subsets").index(i).key("trafficPolicy"),
                    &format!("subset \"{name}\""),
                    host,
                    out,
                );
            }
        }
    }
}
