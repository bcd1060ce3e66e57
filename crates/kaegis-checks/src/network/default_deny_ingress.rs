//! KG501: Namespaces must isolate their pods' ingress by default.
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{NETWORK_POLICIES_URL, cis, k8s, missing_default_deny, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::CIS_HARDENING;

declare_check! {
    /// ## What
    /// Every namespace that runs workloads must have a NetworkPolicy that
    /// selects all of its pods (`podSelector: {}`) and isolates them for
    /// ingress (`policyTypes` lists `Ingress`, or the policy has no
    /// `policyTypes` at all, in which case the API makes it an ingress
    /// policy).
    ///
    /// The check reports a `Namespace` object of the scan when the scan also
    /// holds at least one workload (Pod, Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet, Job, CronJob, ReplicationController) in that namespace
    /// and none of the namespace's NetworkPolicies in the scan is such a
    /// policy. It does not fire:
    /// - for `kube-system`, `kube-public` and `kube-node-lease`;
    /// - for a namespace without workloads in the scan (nothing to isolate);
    /// - for workloads whose namespace the scan does not define (the scan
    ///   cannot know what else that namespace holds): no finding is ever
    ///   made up about a namespace the scan does not show.
    ///
    /// The classic default-deny policy (every pod, no ingress rule) passes.
    /// So does a policy that selects every pod, isolates ingress and lists
    /// some `ingress` rules ("allow from the same namespace", "allow from the
    /// ingress controller"): every pod is isolated and only what the rules
    /// name gets in. Rules that admit every source are reported by
    /// `network-policy-open-ingress` instead, so a namespace-wide "allow
    /// all" policy does not go unnoticed.
    ///
    /// ## Why
    /// Kubernetes lets every pod reach every other pod until a NetworkPolicy
    /// selects it. One compromised pod can then probe and attack every
    /// service of the cluster, databases and admin endpoints included.
    /// Isolating every pod by default, and then allowing the flows each
    /// application needs, turns that flat network into one where a new
    /// workload is unreachable until someone decides otherwise. (The policy
    /// only works when the cluster's network plugin enforces
    /// NetworkPolicies: Calico, Cilium, Antrea, most managed offerings.)
    ///
    /// ## How to fix
    /// Add a default-deny policy to the namespace, then policies that allow
    /// the traffic each application expects:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-ingress
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress]
    /// ```
    pub struct DefaultDenyIngress {
        code: "KG501",
        slug: "default-deny-ingress",
        title: "Namespaces must deny ingress by default",
        severity: Severity::Medium,
        area: Area::Network,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.3.2"),
            nsa("Network separation and hardening: network policies"),
            mitre("T1210 Exploitation of Remote Services"),
            k8s("Default deny all ingress traffic", NETWORK_POLICIES_URL),
        ],
        scope: Scope::Inventory,
        kinds: &["Namespace"],
    }
}

impl DefaultDenyIngress {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        out.extend(missing_default_deny(
            obj,
            ctx,
            "ingress",
            |p| p.ingress,
            "every pod accepts traffic from anywhere",
        ));
    }
}
