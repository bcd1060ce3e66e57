//! Checks of the `admission` area: the ValidatingWebhookConfigurations and
//! MutatingWebhookConfigurations that put webhooks in the API server's
//! request path. The helpers here read a webhook as the API server does:
//! the failure policy after defaulting, and which resources its rules cover
//! (with `*`, `*/*`, `pods/*` wildcards).

pub mod webhook_fail_open;
pub mod webhook_intercepts_kube_system;

use kaegis_core::{Check, Node, Object};

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &webhook_fail_open::WebhookFailOpen,
    &webhook_intercepts_kube_system::WebhookInterceptsKubeSystem,
];

/// The `webhooks` of a Validating- or MutatingWebhookConfiguration, or
/// `None` for any other object.
pub(crate) fn webhooks(obj: &Object) -> Option<&[Node]> {
    let kind_ok = matches!(
        obj.id.kind.as_str(),
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration"
    );
    if !kind_ok || obj.group() != "admissionregistration.k8s.io" {
        return None;
    }
    Some(obj.root.get("webhooks").map_or(&[][..], Node::items))
}

/// A webhook's failure policy after defaulting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailurePolicy {
    /// `failurePolicy: Ignore`, or unset in v1beta1: admit on error.
    Ignore {
        /// Written in the manifest (false: the v1beta1 default).
        explicit: bool,
    },
    /// `failurePolicy: Fail`, or unset in v1: reject on error.
    Fail {
        /// Written in the manifest (false: the v1 default).
        explicit: bool,
    },
}

/// The failure policy of one webhook of `obj`: unset means `Fail` in
/// `admissionregistration.k8s.io/v1` and `Ignore` in v1beta1. `None` for a
/// value the API server would reject.
pub(crate) fn failure_policy(obj: &Object, webhook: &Node) -> Option<FailurePolicy> {
    match webhook.get("failurePolicy") {
        None => Some(if obj.id.api_version.ends_with("/v1beta1") {
            FailurePolicy::Ignore { explicit: false }
        } else {
            FailurePolicy::Fail { explicit: false }
        }),
        Some(n) => match n.as_str() {
            Some("Ignore") => Some(FailurePolicy::Ignore { explicit: true }),
            Some("Fail") => Some(FailurePolicy::Fail { explicit: true }),
            _ => None,
        },
    }
}

fn strings(node: Option<&Node>) -> impl Iterator<Item = &str> {
    node.map_or(&[][..], Node::items)
        .iter()
        .filter_map(Node::as_str)
}

/// True when a rule's `resources` entry (`pods`, `*`, `*/*`, `pods/*`,
/// `*/scale`) covers `resource` (`pods` or `pods/exec`). `*` is every
/// resource but no subresource, `*/*` everything, `pods/*` every subresource
/// of pods but not pods itself.
fn resource_covers(entry: &str, resource: &str) -> bool {
    let (em, es) = match entry.split_once('/') {
        Some((m, s)) => (m, Some(s)),
        None => (entry, None),
    };
    let (rm, rs) = match resource.split_once('/') {
        Some((m, s)) => (m, Some(s)),
        None => (resource, None),
    };
    let main = em == "*" || em == rm;
    let sub = match (es, rs) {
        (None, None) => true,
        (Some(e), Some(r)) => e == "*" || e == r,
        (Some("*"), None) => em == "*",
        _ => false,
    };
    main && sub
}

/// The `(group, resource)` pairs of `table` that one rule of a webhook
/// covers: `apiGroups` holding `*` or the group, `resources` covering the
/// resource. A rule without `apiGroups` or `resources` covers nothing (the
/// API server requires both).
pub(crate) fn rule_covers<'t>(
    rule: &Node,
    table: &'t [(&'t str, &'t str)],
) -> impl Iterator<Item = &'t (&'t str, &'t str)> {
    let groups: Vec<&str> = strings(rule.get("apiGroups")).collect();
    let resources: Vec<&str> = strings(rule.get("resources")).collect();
    table.iter().filter(move |(g, r)| {
        groups.iter().any(|rg| *rg == "*" || rg == g)
            && resources.iter().any(|e| resource_covers(e, r))
    })
}

/// True when a rule applies to namespaced objects (`scope` unset, `*` or
/// `Namespaced`).
pub(crate) fn rule_is_namespaced(rule: &Node) -> bool {
    matches!(
        rule.get("scope").and_then(Node::as_str),
        None | Some("*") | Some("Namespaced")
    )
}

/// True when a rule's `operations` include `op` (or `*`).
pub(crate) fn rule_has_operation(rule: &Node, op: &str) -> bool {
    strings(rule.get("operations")).any(|o| o == "*" || o == op)
}

/// True when a rule's `resources` hold `*` or `*/*`.
pub(crate) fn rule_is_wildcard(rule: &Node) -> bool {
    strings(rule.get("resources")).any(|r| r == "*" || r == "*/*")
}

/// The webhook's name, for messages.
pub(crate) fn webhook_name(webhook: &Node) -> &str {
    webhook.get("name").and_then(Node::as_str).unwrap_or("")
}

/// Names for a message: the first few, and how many more; behind `"*"`
/// when a wildcard rule brought them in.
pub(crate) fn list(names: &[&str], wildcard: bool) -> String {
    const SHOWN: usize = 4;
    let names = if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    };
    if wildcard {
        format!("\"*\" ({names})")
    } else {
        names
    }
}

#[cfg(test)]
mod tests {
    use super::resource_covers;

    #[test]
    fn resource_wildcards() {
        assert!(resource_covers("pods", "pods"));
        assert!(resource_covers("*", "pods"));
        assert!(!resource_covers("*", "pods/exec"));
        assert!(resource_covers("*/*", "pods"));
        assert!(resource_covers("*/*", "pods/exec"));
        assert!(resource_covers("pods/*", "pods/exec"));
        assert!(!resource_covers("pods/*", "pods"));
        assert!(resource_covers("*/exec", "pods/exec"));
        assert!(!resource_covers("*/scale", "pods"));
        assert!(!resource_covers("deployments/scale", "deployments"));
        assert!(!resource_covers("services", "pods"));
    }
}
