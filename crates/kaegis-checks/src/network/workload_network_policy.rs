//! KG503: Every workload's pods must be selected by an ingress NetworkPolicy.
use kaegis_core::{
    Area, Context, Node, Object, PodSpecView, Scope, Severity, Violation, namespace_key,
};

use super::{NETWORK_POLICIES_URL, k8s, mitre, nsa};
use crate::macros::declare_check;
use crate::refs::HARDENING;

declare_check! {
    /// ## What
    /// The pods of every workload (Pod, Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet, Job, CronJob, ReplicationController, PodTemplate) must be
    /// selected by at least one NetworkPolicy of their namespace that
    /// isolates ingress. A policy selects the pods when its `podSelector`
    /// matches the labels of the pod template (an empty `podSelector`
    /// matches every pod); it isolates ingress when `policyTypes` lists
    /// `Ingress` or has no `policyTypes` at all.
    ///
    /// The check only speaks when the scan can answer for the namespace's
    /// NetworkPolicies: it holds at least one NetworkPolicy in that
    /// namespace, or defines the Namespace itself, or is a whole cluster.
    /// Otherwise (a chart or folder with no policy at all, whose policies
    /// may live elsewhere) it says nothing. Objects without
    /// `metadata.namespace` are taken to go together with the policies that
    /// also have none. It also says nothing:
    /// - for pods on the node's network (`hostNetwork: true`), which
    ///   NetworkPolicies do not isolate;
    /// - when one of the namespace's ingress policies has a selector kaegis
    ///   cannot read (an unknown operator), rather than guess;
    /// - for a Deployment, ReplicaSet, StatefulSet, DaemonSet or
    ///   ReplicationController whose pod template has no labels: the API
    ///   rejects such an object, so it is a fragment (a Kustomize patch),
    ///   not a workload.
    ///
    /// ## Why
    /// A pod that no ingress policy selects accepts connections from every
    /// pod of the cluster, and from outside when something routes to it.
    /// When a namespace's policies are written per application, a new
    /// workload, or one whose labels changed, silently falls out of them:
    /// this check finds it.
    ///
    /// ## How to fix
    /// Add a policy that selects the workload's pods (or a default-deny
    /// policy with `podSelector: {}` for the whole namespace):
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: api
    ///   policyTypes: [Ingress]
    ///   ingress:
    ///   - from:
    ///     - podSelector:
    ///         matchLabels:
    ///           app: frontend
    ///     ports:
    ///     - port: 8080
    /// ```
    pub struct WorkloadNetworkPolicy {
        code: "KG503",
        slug: "workload-network-policy",
        title: "Workloads must be selected by an ingress NetworkPolicy",
        severity: Severity::Medium,
        area: Area::Network,
        profiles: HARDENING,
        references: &[
            nsa("Network separation and hardening: network policies"),
            mitre("T1210 Exploitation of Remote Services"),
            k8s("Isolated and non-isolated pods", NETWORK_POLICIES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
    }
}

impl WorkloadNetworkPolicy {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(inventory) = ctx.inventory else {
            return;
        };
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let ns = namespace_key(obj);
        if !inventory.covers(ns, "NetworkPolicy") {
            return;
        }
        if pod.field("hostNetwork").and_then(Node::as_bool) == Some(true) {
            return;
        }
        let labels = pod.labels();
        // A controller that selects its pods by label cannot have a pod
        // template without labels: such an object is a fragment (a Kustomize
        // patch), not a workload.
        let needs_labels = matches!(
            obj.id.kind.as_str(),
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "ReplicationController"
        );
        if needs_labels && labels.0.is_empty() {
            return;
        }
        let mut unreadable = false;
        for policy in inventory.policies_in(ns).filter(|p| p.ingress) {
            if policy.pod_selector.invalid {
                unreadable = true;
            } else if policy.pod_selector.matches(&labels) {
                return;
            }
        }
        if unreadable {
            return;
        }
        let shown: Vec<String> = labels.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let where_ = if ns.is_empty() {
            "its namespace".to_owned()
        } else {
            format!("namespace \"{ns}\"")
        };
        let message = if shown.is_empty() {
            format!(
                "the pods have no labels and no NetworkPolicy of {where_} selects them for ingress: they accept traffic from anywhere"
            )
        } else {
            format!(
                "no NetworkPolicy of {where_} selects the pods ({}) for ingress: they accept traffic from anywhere",
                shown.join(", ")
            )
        };
        out.push(Violation::new(pod.metadata_path.key("labels"), message));
    }
}
