//! Role-based access control: who may do what through Roles, ClusterRoles
//! and their bindings (the CIS Kubernetes Benchmark's section 5.1).
//!
//! Three kinds of checks live here:
//! - rule-level checks report a Role or ClusterRole at the rule that grants
//!   a dangerous power, and name the subjects that the scan's bindings give
//!   it to (they read the inventory for that, but the rule itself is the
//!   finding: they fire even when no binding in the scan uses the role);
//! - binding-level checks report a RoleBinding or ClusterRoleBinding at the
//!   subject or role reference that is the problem;
//! - workload-level checks report a workload whose ServiceAccount's
//!   effective permissions (every binding of the account and of its groups)
//!   are the problem.
//!
//! Rule-level checks skip aggregated ClusterRoles (the controller fills in
//! their rules from other ClusterRoles, which are reviewed on their own) and
//! Kubernetes' own default roles (the API server reconciles them at every
//! start, so they cannot be changed; who they are bound to is what counts).

pub mod abac_policy;
pub mod cluster_admin_binding;
pub mod csr_approve;
pub mod dangling_binding;
pub mod default_service_account_binding;
pub mod escalate_bind_impersonate;
pub mod nodes_proxy;
pub mod persistent_volume_create;
pub mod pod_create;
pub mod pod_exec;
pub mod public_subject;
pub mod secrets_read;
pub mod service_account_cluster_power;
pub mod system_masters;
pub mod token_create;
pub mod webhook_config;
pub mod wildcard;
pub mod workload_takeover_power;

use kaegis_core::path::Segment;
use kaegis_core::rbac::{Role, RoleKind, Rule, Subject, describe_subjects};
use kaegis_core::{Check, Context, JsonPath, Node, Object};

pub use crate::refs::{CIS_HARDENING, HARDENING, cis, k8s, mitre, nsa};

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &cluster_admin_binding::ClusterAdminBinding,
    &wildcard::Wildcard,
    &escalate_bind_impersonate::EscalateBindImpersonate,
    &secrets_read::SecretsRead,
    &pod_exec::PodExec,
    &nodes_proxy::NodesProxy,
    &pod_create::PodCreate,
    &service_account_cluster_power::ServiceAccountClusterPower,
    &public_subject::PublicSubject,
    &default_service_account_binding::DefaultServiceAccountBinding,
    &token_create::TokenCreate,
    &persistent_volume_create::PersistentVolumeCreate,
    &webhook_config::WebhookConfig,
    &csr_approve::CsrApprove,
    &system_masters::SystemMasters,
    &dangling_binding::DanglingBinding,
    &abac_policy::AbacPolicy,
    &workload_takeover_power::WorkloadTakeoverPower,
];

/// The RBAC authorization page of the Kubernetes documentation.
pub const RBAC_URL: &str = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/";
/// The RBAC good practices page of the Kubernetes documentation.
pub const RBAC_GOOD_PRACTICES_URL: &str =
    "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";

/// The API group of Roles, ClusterRoles and bindings.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The user-facing ClusterRoles every cluster has.
pub const DEFAULT_USER_ROLES: [&str; 4] = ["cluster-admin", "admin", "edit", "view"];

/// True when `name` is one of Kubernetes' default role names: the
/// user-facing ClusterRoles, a `system:` role, or the one default Role
/// without that prefix (`extension-apiserver-authentication-reader`, in
/// `kube-system`).
pub fn is_default_role_name(name: &str) -> bool {
    DEFAULT_USER_ROLES.contains(&name)
        || name.starts_with("system:")
        || name == "extension-apiserver-authentication-reader"
}

/// True for Kubernetes' own API groups: the core group, the unqualified
/// groups (`apps`, `batch`, `policy`…) and `*.k8s.io`; and for `"*"`.
pub fn is_kubernetes_group(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}

/// True when the object is one of the roles or bindings the API server
/// creates and reconciles itself: a default name and the
/// `kubernetes.io/bootstrapping: rbac-defaults` label.
pub fn is_kubernetes_default(obj: &Object) -> bool {
    is_default_role_name(&obj.id.name)
        && obj
            .root
            .get_path(&["metadata", "labels", "kubernetes.io/bootstrapping"])
            .and_then(Node::as_str)
            == Some("rbac-defaults")
}

/// The Role or ClusterRole a rule-level check reviews: `None` for any other
/// object, an aggregated ClusterRole, or one of Kubernetes' default roles.
pub fn reviewed_role(obj: &Object) -> Option<Role> {
    if !matches!(obj.id.kind.as_str(), "Role" | "ClusterRole") {
        return None;
    }
    let role = Role::of(obj)?;
    if role.aggregated || is_kubernetes_default(obj) {
        return None;
    }
    Some(role)
}

/// Who holds `role` through the bindings of the scan, for a message:
/// `granted to User a (cluster-wide)`, or that no binding grants it yet.
pub fn grantees(role: &Role, ctx: &Context) -> String {
    match ctx.inventory {
        Some(inv) => describe_subjects(&inv.rbac.subjects_of(role)),
        None => "its bindings are not known".to_owned(),
    }
}

/// Where a role's power applies once bound, for a message: `cluster-wide
/// when a ClusterRoleBinding binds it`, or the Role's namespace.
pub fn reach(role: &Role) -> String {
    match (role.kind, role.namespace.as_deref()) {
        (RoleKind::ClusterRole, _) => "cluster-wide when a ClusterRoleBinding binds it".to_owned(),
        (RoleKind::Role, Some(ns)) if !ns.is_empty() => format!("in namespace {ns}"),
        (RoleKind::Role, _) => "in the Role's namespace".to_owned(),
    }
}

/// The node of a rule in its object.
pub fn rule_node<'a>(obj: &'a Object, rule: &Rule) -> Option<&'a Node> {
    rule.path
        .segments()
        .iter()
        .try_fold(&obj.root, |node, seg| match seg {
            Segment::Key(k) => node.get(k),
            Segment::Index(i) => node.items().get(*i as usize),
        })
}

/// The path of the first item of the rule's `field` (`verbs`, `resources`,
/// `apiGroups`, `resourceNames`) whose text satisfies `pred`; the field's
/// own path when no item does, the rule's when the field is missing.
pub fn item_path(obj: &Object, rule: &Rule, field: &str, pred: impl Fn(&str) -> bool) -> JsonPath {
    let Some(list) = rule_node(obj, rule).and_then(|r| r.get(field)) else {
        return rule.path.clone();
    };
    list.items()
        .iter()
        .position(|n| pred(n.as_str().unwrap_or_default()))
        .map_or_else(|| rule.path.key(field), |i| rule.path.key(field).index(i))
}

/// The verbs among `wanted` that the rule grants (`*` grants them all).
pub fn granted_verbs<'a>(rule: &Rule, wanted: &[&'a str]) -> Vec<&'a str> {
    wanted
        .iter()
        .copied()
        .filter(|v| rule.has_verb(v))
        .collect()
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_words<S: AsRef<str>>(words: &[S]) -> String {
    match words {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            let head: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", head.join(", "), last.as_ref())
        }
    }
}

/// ` (only the objects named a, b)` for a rule limited by `resourceNames`,
/// empty otherwise.
pub fn named_note(rule: &Rule) -> String {
    if rule.is_named() {
        let names: Vec<String> = rule
            .resource_names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect();
        format!(" (only the objects named {})", names.join(", "))
    } else {
        String::new()
    }
}

/// The subjects of a binding, for a message: `User a, ServiceAccount ns/b`.
pub fn list_subjects<'a>(subjects: impl IntoIterator<Item = &'a Subject>) -> String {
    let all: Vec<String> = subjects.into_iter().map(Subject::to_string).collect();
    let shown = all.len().min(8);
    let more = all.len() - shown;
    let text = all[..shown].join(", ");
    if more > 0 {
        format!("{text} and {more} more")
    } else {
        text
    }
}

/// `cluster-wide` for a ClusterRoleBinding, `in namespace ns` for a
/// RoleBinding.
pub fn binding_reach(binding: &kaegis_core::rbac::Binding) -> String {
    match binding.scope() {
        None => "cluster-wide".to_owned(),
        Some("") => "in its namespace".to_owned(),
        Some(ns) => format!("in namespace {ns}"),
    }
}
