//! KG902: Fail-closed webhooks on pods and control-plane resources must
//! exclude kube-system.
use kaegis_core::{Area, Context, JsonPath, LabelSelector, Node, Object, Severity, Violation};

use super::{
    FailurePolicy, failure_policy, list, rule_covers, rule_has_operation, rule_is_namespaced,
    rule_is_wildcard, webhook_name, webhooks,
};
use crate::macros::declare_check;
use crate::refs::{PRODUCTION, k8s};

/// What the control plane and its add-ons must be able to create or update
/// in kube-system to keep running (and a webhook's own pods to start):
/// pods and their controllers, leader-election leases, endpoints, and the
/// ConfigMaps, Secrets and ServiceAccounts their start-up needs.
const CONTROL_PLANE: &[(&str, &str)] = &[
    ("", "pods"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("coordination.k8s.io", "leases"),
    ("", "endpoints"),
    ("discovery.k8s.io", "endpointslices"),
    ("", "configmaps"),
    ("", "secrets"),
    ("", "serviceaccounts"),
];

declare_check! {
    /// ## What
    /// Fires for each webhook of a ValidatingWebhookConfiguration or
    /// MutatingWebhookConfiguration (`admissionregistration.k8s.io`) that,
    /// all at once:
    ///
    /// - fails closed: `failurePolicy: Fail`, or unset in v1, where `Fail` is
    ///   the default;
    /// - has a rule for namespaced objects (`scope` unset, `*` or
    ///   `Namespaced`) that covers, for `CREATE` or `UPDATE` (or `*`),
    ///   resources the control plane needs in kube-system: pods, Deployments,
    ///   ReplicaSets, DaemonSets, StatefulSets, Leases, Endpoints,
    ///   EndpointSlices, ConfigMaps, Secrets or ServiceAccounts (named, or
    ///   through `*`/`*/*`);
    /// - and scopes nothing away: no `namespaceSelector` (or an empty one),
    ///   no `objectSelector` (or an empty one) and no `matchConditions`.
    ///
    /// Any non-empty selector or match condition passes, since it may well
    /// exclude kube-system through labels kaegis cannot see; so do webhooks
    /// that fail open (`webhook-fail-open` looks at those).
    ///
    /// ## Why
    /// Such a webhook must answer before anything in the cluster —
    /// kube-system included — can start a pod or renew a lease. When it is
    /// down (a bad rollout, a node drain, an expired certificate, its own
    /// pods evicted), the API server rejects CoreDNS, the CNI and kube-proxy
    /// pods, the controllers' leader-election lease updates, and the
    /// webhook's own replacement pods: the cluster cannot heal itself and
    /// needs a human to delete the configuration. The Kubernetes
    /// documentation recommends excluding kube-system with a
    /// `namespaceSelector`, and keeping a self-hosted webhook from
    /// intercepting what its own pods need to start.
    ///
    /// ## How to fix
    /// Exclude kube-system (by its automatic `kubernetes.io/metadata.name`
    /// label) and the webhook's own namespace:
    /// ```yaml
    /// webhooks:
    /// - name: inject.example.com
    ///   failurePolicy: Fail
    ///   namespaceSelector:
    ///     matchExpressions:
    ///     - key: kubernetes.io/metadata.name
    ///       operator: NotIn
    ///       values: [kube-system, example-system]
    ///   rules:
    ///   - apiGroups: [""]
    ///     apiVersions: [v1]
    ///     operations: [CREATE]
    ///     resources: [pods]
    /// ```
    pub struct WebhookInterceptsKubeSystem {
        code: "KG902",
        slug: "webhook-intercepts-kube-system",
        title: "Fail-closed webhooks must exclude kube-system",
        severity: Severity::Medium,
        area: Area::Admission,
        kinds: &["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"],
        profiles: PRODUCTION,
        references: &[
            k8s("Avoiding operating on the kube-system namespace", "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#avoiding-operating-on-the-kube-system-namespace"),
            k8s("Avoiding deadlocks in self-hosted webhooks", "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#avoiding-deadlocks-in-self-hosted-webhooks"),
            k8s("Admission webhook good practices", "https://kubernetes.io/docs/concepts/cluster-administration/admission-webhooks-good-practices/"),
        ],
    }
}

impl WebhookInterceptsKubeSystem {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(hooks) = webhooks(obj) else {
            return;
        };
        for (i, hook) in hooks.iter().enumerate() {
            let Some(FailurePolicy::Fail { explicit }) = failure_policy(obj, hook) else {
                continue;
            };
            let scoped = !LabelSelector::selects_all(hook.get("namespaceSelector"))
                || !LabelSelector::selects_all(hook.get("objectSelector"))
                || hook
                    .get("matchConditions")
                    .is_some_and(|m| !m.items().is_empty());
            if scoped {
                continue;
            }
            let mut covered: Vec<&str> = Vec::new();
            let mut wildcard = false;
            let rules = hook.get("rules").map_or(&[][..], Node::items);
            for rule in rules {
                if !rule_is_namespaced(rule)
                    || !(rule_has_operation(rule, "CREATE") || rule_has_operation(rule, "UPDATE"))
                {
                    continue;
                }
                let before = covered.len();
                for (_, resource) in rule_covers(rule, CONTROL_PLANE) {
                    if !covered.contains(resource) {
                        covered.push(resource);
                    }
                }
                wildcard |= covered.len() > before && rule_is_wildcard(rule);
            }
            if covered.is_empty() {
                continue;
            }
            let policy = if explicit {
                "failurePolicy: Fail"
            } else {
                "failurePolicy unset, which is Fail"
            };
            out.push(Violation::new(
                JsonPath::root()
                    .key("webhooks")
                    .index(i)
                    .key("namespaceSelector"),
                format!(
                    "webhook \"{}\" intercepts {} in every namespace, kube-system included, and fails closed ({policy})",
                    webhook_name(hook),
                    list(&covered, wildcard)
                ),
            ));
        }
    }
}
