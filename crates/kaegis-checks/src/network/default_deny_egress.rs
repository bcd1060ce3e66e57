//! KG502: Namespaces must isolate their pods' egress by default.
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{NETWORK_POLICIES_URL, k8s, missing_default_deny, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// Every namespace that runs workloads must have a NetworkPolicy that
    /// selects all of its pods (`podSelector: {}`) and isolates them for
    /// egress: `policyTypes` lists `Egress` (or, without `policyTypes`, the
    /// policy has `egress` rules, which the API reads the same way).
    ///
    /// The check reports a `Namespace` object of the scan when the scan also
    /// holds at least one workload in that namespace and none of the
    /// namespace's NetworkPolicies in the scan is such a policy. It does not
    /// fire for `kube-system`, `kube-public` and `kube-node-lease`, for a
    /// namespace without workloads in the scan, or about a namespace the
    /// scan does not define.
    ///
    /// Pods almost always need DNS, so the usual shape is a default-deny
    /// egress policy plus an allowance for port 53, either as a second
    /// policy or as a rule of the same one. Both pass: a policy that selects
    /// every pod and isolates egress counts whatever rules it lists (an
    /// `egress` rule to every destination on every port is reported by
    /// `network-policy-open-egress`).
    ///
    /// ## Why
    /// Without egress isolation a compromised pod can reach every service of
    /// the cluster, the cloud metadata endpoint (and the node credentials
    /// behind it) and any host on the internet: the attacker's command and
    /// control server, or a bucket to exfiltrate data to. Denying egress by
    /// default limits each workload to the destinations it was meant to
    /// talk to.
    ///
    /// ## How to fix
    /// Deny egress by default and allow DNS; then allow what each
    /// application needs:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-egress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to:
    ///     - namespaceSelector:
    ///         matchLabels:
    ///           kubernetes.io/metadata.name: kube-system
    ///       podSelector:
    ///         matchLabels:
    ///           k8s-app: kube-dns
    ///     ports:
    ///     - {port: 53, protocol: UDP}
    ///     - {port: 53, protocol: TCP}
    /// ```
    pub struct DefaultDenyEgress {
        code: "KG502",
        slug: "default-deny-egress",
        title: "Namespaces must deny egress by default",
        severity: Severity::Low,
        area: Area::Network,
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening: network policies"),
            mitre("T1041 Exfiltration Over C2 Channel"),
            k8s("Default deny all egress traffic", NETWORK_POLICIES_URL),
        ],
        scope: Scope::Inventory,
        kinds: &["Namespace"],
    }
}

impl DefaultDenyEgress {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        out.extend(missing_default_deny(
            obj,
            ctx,
            "egress",
            |p| p.egress,
            "every pod can connect anywhere",
        ));
    }
}
