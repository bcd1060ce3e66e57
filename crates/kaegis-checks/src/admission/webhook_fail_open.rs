//! KG901: Admission webhooks guarding security-relevant resources must not
//! fail open.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use super::{
    FailurePolicy, failure_policy, list, rule_covers, rule_is_wildcard, webhook_name, webhooks,
};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre};

/// The resources whose admission is a security control: pods and what
/// creates them, RBAC, Secrets, service accounts, namespaces and network
/// policies.
const SECURITY_RELEVANT: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "pods/exec"),
    ("", "pods/attach"),
    ("", "pods/ephemeralcontainers"),
    ("", "pods/portforward"),
    ("", "replicationcontrollers"),
    ("", "podtemplates"),
    ("", "secrets"),
    ("", "serviceaccounts"),
    ("", "serviceaccounts/token"),
    ("", "namespaces"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("extensions", "deployments"),
    ("extensions", "replicasets"),
    ("extensions", "daemonsets"),
    ("extensions", "networkpolicies"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("networking.k8s.io", "networkpolicies"),
];

declare_check! {
    /// ## What
    /// Fires for each webhook of a ValidatingWebhookConfiguration or
    /// MutatingWebhookConfiguration (`admissionregistration.k8s.io`) that
    /// fails open — `failurePolicy: Ignore`, or no `failurePolicy` in
    /// `v1beta1`, whose default was `Ignore` — and whose rules cover a
    /// security-relevant resource: pods (and `pods/exec`, `attach`,
    /// `ephemeralcontainers`, `portforward`), the workload kinds that create
    /// pods (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs,
    /// CronJobs, ReplicationControllers, PodTemplates), RBAC Roles, Bindings
    /// and their cluster-wide kinds, Secrets, ServiceAccounts (and their
    /// tokens), Namespaces and NetworkPolicies — named, or through `*` and
    /// `*/*`, with the matching API group or `*`. Webhooks that fail open on
    /// other resources (an operator validating its own custom resources,
    /// Ingresses, Services) are not reported. In `admissionregistration.k8s.io/v1`
    /// an unset `failurePolicy` is `Fail` and passes.
    ///
    /// ## Why
    /// A policy webhook (Gatekeeper, Kyverno, a sidecar injector, an image
    /// verifier) is a security control only if it cannot be skipped. With
    /// `Ignore`, any error — the webhook's pods restarting, a network policy,
    /// an expired certificate, a timeout under load, or an attacker who
    /// makes the service slow or unreachable — admits the request
    /// unchecked: a privileged pod, an unsigned image, a RoleBinding to
    /// cluster-admin. The cost of `Fail` is availability: while the webhook
    /// is down, matching requests are rejected; run it with several
    /// replicas, a PodDisruptionBudget and a short timeout, and exclude
    /// `kube-system` (and the webhook's own namespace) with a
    /// `namespaceSelector` rather than failing open everywhere.
    ///
    /// ## How to fix
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata:
    ///   name: policy
    /// webhooks:
    /// - name: validate.policy.example.com
    ///   failurePolicy: Fail
    ///   timeoutSeconds: 5
    ///   namespaceSelector:
    ///     matchExpressions:
    ///     - key: kubernetes.io/metadata.name
    ///       operator: NotIn
    ///       values: [kube-system, policy-system]
    ///   rules:
    ///   - apiGroups: [""]
    ///     apiVersions: [v1]
    ///     operations: [CREATE, UPDATE]
    ///     resources: [pods]
    ///   clientConfig:
    ///     service: {namespace: policy-system, name: policy-webhook}
    ///   admissionReviewVersions: [v1]
    ///   sideEffects: None
    /// ```
    pub struct WebhookFailOpen {
        code: "KG901",
        slug: "webhook-fail-open",
        title: "Security admission webhooks must not fail open",
        severity: Severity::Medium,
        area: Area::Admission,
        kinds: &["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"],
        profiles: HARDENING,
        references: &[
            mitre("T1562 Impair Defenses"),
            k8s("Admission webhooks: failure policy", "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#failure-policy"),
            k8s("Admission webhook good practices", "https://kubernetes.io/docs/concepts/cluster-administration/admission-webhooks-good-practices/"),
        ],
    }
}

impl WebhookFailOpen {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(hooks) = webhooks(obj) else {
            return;
        };
        for (i, hook) in hooks.iter().enumerate() {
            let Some(FailurePolicy::Ignore { explicit }) = failure_policy(obj, hook) else {
                continue;
            };
            let mut covered: Vec<&str> = Vec::new();
            let mut wildcard = false;
            for rule in hook.get("rules").map_or(&[][..], |r| r.items()) {
                let before = covered.len();
                for (_, resource) in rule_covers(rule, SECURITY_RELEVANT) {
                    if !covered.contains(resource) {
                        covered.push(resource);
                    }
                }
                wildcard |= covered.len() > before && rule_is_wildcard(rule);
            }
            if covered.is_empty() {
                continue;
            }
            let how = if explicit {
                "failurePolicy: Ignore".to_owned()
            } else {
                format!(
                    "failurePolicy unset, which is Ignore in {}",
                    obj.id.api_version
                )
            };
            out.push(Violation::new(
                kaegis_core::JsonPath::root()
                    .key("webhooks")
                    .index(i)
                    .key("failurePolicy"),
                format!(
                    "webhook \"{}\" fails open ({how}) on {}",
                    webhook_name(hook),
                    list(&covered, wildcard)
                ),
            ));
        }
    }
}
