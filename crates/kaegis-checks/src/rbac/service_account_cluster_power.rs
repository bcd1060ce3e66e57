//! KG408: ServiceAccounts must not get write or Secret access cluster-wide.
use kaegis_core::rbac::{Binding, RoleKind, Rule, Subject};
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    HARDENING, RBAC_GOOD_PRACTICES_URL, granted_verbs, is_kubernetes_group, join_words, k8s, mitre,
    nsa,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each ServiceAccount subject of a ClusterRoleBinding (and the
    /// groups `system:serviceaccounts` and `system:serviceaccounts:<ns>`,
    /// which stand for service accounts) when the ClusterRole it grants can:
    /// - `get`, `list` or `watch` Secrets, or
    /// - `create`, `update`, `patch`, `delete`, `deletecollection`,
    ///   `escalate`, `bind` or `impersonate` a resource of a Kubernetes API
    ///   group (the core group, `apps`, `batch`, `policy`, `*.k8s.io`…,
    ///   or `"*"`).
    ///
    /// The finding is at the subject and names the first rule that grants
    /// such a power. It does not fire for:
    /// - a ClusterRole that is neither in the scan nor one of Kubernetes'
    ///   user-facing defaults (`admin`, `edit`, `view`): its rules are
    ///   unknown (`rbac-dangling-binding` reports the reference);
    /// - `cluster-admin`, which `cluster-admin-binding` reports;
    /// - an aggregated ClusterRole of the scan, whose rules the controller
    ///   fills in from other roles;
    /// - rules limited by `resourceNames`;
    /// - writes that every controller needs and that grant no foothold:
    ///   Events, Leases (leader election), the review APIs
    ///   (`tokenreviews`, `subjectaccessreviews` and the like), and the
    ///   `status` and `finalizers` subresources through which controllers
    ///   report state;
    /// - writes on custom resources of other API groups: what they mean
    ///   depends on the operator that reads them;
    /// - RoleBindings, which grant power in one namespace only.
    ///
    /// ## Why
    /// A service account's token is in every pod that runs as it, so its
    /// power belongs to whoever gets code execution in one of those pods:
    /// an application bug, a vulnerable dependency, a compromised image.
    /// Bound cluster-wide, a write or Secret-read permission lets that
    /// attacker reach every namespace, `kube-system` included. Operators
    /// that really need cluster-wide access should get it through narrow,
    /// reviewed rules, ideally per namespace.
    ///
    /// ## How to fix
    /// Bind the role per namespace with a RoleBinding, or narrow the
    /// ClusterRole to read-only access:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: controller
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: shop-controller
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: controller
    ///   namespace: shop-system
    /// ```
    pub struct ServiceAccountClusterPower {
        code: "KG408",
        slug: "rbac-service-account-cluster-power",
        title: "ServiceAccounts must not get write or Secret access cluster-wide",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: HARDENING,
        references: &[
            nsa("Authentication and authorization: least privilege for service accounts"),
            mitre("T1528 Steal Application Access Token"),
            k8s("RBAC good practices: least privilege", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

const WRITE_VERBS: [&str; 8] = [
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
];

/// Kubernetes' API groups whose writes this check is about: all but those
/// of events, leases, reviews and metrics.
fn is_reviewed_group(group: &str) -> bool {
    is_kubernetes_group(group)
        && !matches!(
            group,
            "events.k8s.io"
                | "coordination.k8s.io"
                | "authentication.k8s.io"
                | "authorization.k8s.io"
                | "metrics.k8s.io"
        )
}

/// Resources every controller writes and that grant no foothold.
fn is_routine_resource(resource: &str) -> bool {
    matches!(
        resource,
        "events"
            | "leases"
            | "tokenreviews"
            | "subjectaccessreviews"
            | "localsubjectaccessreviews"
            | "selfsubjectaccessreviews"
            | "selfsubjectrulesreviews"
            | "selfsubjectreviews"
    )
}

/// What a rule grants that this check is about, as `create and delete on
/// pods`.
fn power(rule: &Rule) -> Option<String> {
    if rule.is_named() {
        return None;
    }
    if rule.has_group("") && rule.has_resource("secrets") {
        let read = granted_verbs(rule, &["get", "list", "watch"]);
        if !read.is_empty() {
            return Some(format!("{} secrets", join_words(&read)));
        }
    }
    let verbs = granted_verbs(rule, &WRITE_VERBS);
    if verbs.is_empty() || !rule.api_groups.iter().any(|g| is_reviewed_group(g)) {
        return None;
    }
    let resources: Vec<&str> = rule
        .resources
        .iter()
        .map(String::as_str)
        .filter(|r| match r.split_once('/') {
            // Controllers report state through status and finalizers.
            Some((_, "status" | "finalizers")) => false,
            Some((base, _)) => !is_routine_resource(base),
            None => !is_routine_resource(r),
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let verbs = if rule.has_verb("*") {
        "every verb".to_owned()
    } else {
        join_words(&verbs)
    };
    let resources = if resources.contains(&"*") {
        "every resource".to_owned()
    } else {
        join_words(&resources)
    };
    Some(format!("{verbs} on {resources}"))
}

/// True for a subject that is a service account, or the group of all
/// service accounts (of a namespace).
fn is_service_account(s: &Subject) -> bool {
    match s {
        Subject::ServiceAccount(..) => true,
        Subject::Group(g) => {
            g == "system:serviceaccounts" || g.starts_with("system:serviceaccounts:")
        }
        Subject::User(_) => false,
    }
}

impl ServiceAccountClusterPower {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "ClusterRoleBinding" {
            return;
        }
        let Some(inventory) = ctx.inventory else {
            return;
        };
        let Some(binding) = Binding::of(obj) else {
            return;
        };
        if binding.role_kind != RoleKind::ClusterRole || binding.role_name == "cluster-admin" {
            return;
        }
        if !binding.subjects.iter().any(|(s, _)| is_service_account(s)) {
            return;
        }
        let Some(role) = inventory.rbac.role_of(&binding) else {
            return;
        };
        if role.aggregated {
            return;
        }
        let Some((rule, power)) = role.rules.iter().find_map(|r| power(r).map(|p| (r, p))) else {
            return;
        };
        let origin = if role.builtin {
            format!("the default ClusterRole {}", role.name)
        } else {
            format!("ClusterRole {} ({})", role.name, rule.path)
        };
        for (subject, path) in &binding.subjects {
            if !is_service_account(subject) {
                continue;
            }
            let holders = match subject {
                Subject::Group(_) => {
                    "any pod running as one of these service accounts, or anyone holding one of their tokens"
                }
                _ => "any pod running as it, or anyone holding its token",
            };
            out.push(Violation::new(
                path.clone(),
                format!(
                    "grants {subject} {power} cluster-wide through {origin}: {holders}, has that power in every namespace"
                ),
            ));
        }
    }
}
