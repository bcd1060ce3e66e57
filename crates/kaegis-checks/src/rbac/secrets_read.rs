//! KG404: Roles must not grant reading Secrets.
use kaegis_core::rbac::RoleKind;
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, granted_verbs, grantees, item_path, join_words,
    k8s, mitre, reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a Role or ClusterRole that grants `get`, `list`
    /// or `watch` on `secrets` in the core API group, wildcards included
    /// (`"*"` verbs, resources or API groups), at the resource item, naming
    /// the subjects that the scan's bindings give the role to.
    ///
    /// A rule limited by `resourceNames` (reading the one Secret a workload
    /// needs) is the recommended form and is not reported. Aggregated
    /// ClusterRoles and Kubernetes' own default roles are skipped. In a
    /// ClusterRole the message says that the read is cluster-wide when a
    /// ClusterRoleBinding binds it.
    ///
    /// ## Why
    /// Secrets hold passwords, API keys, TLS keys and service account
    /// tokens; reading them is often one step from acting as whoever owns
    /// them. `list` and `watch` return every Secret with its data, not only
    /// names, so "list secrets" is the same as reading all of them; `get`
    /// reads any Secret whose name is known or guessed. A ClusterRole bound
    /// cluster-wide reads the Secrets of every namespace, `kube-system`
    /// included.
    ///
    /// ## How to fix
    /// Read only the Secrets the workload needs, by name, or mount them
    /// into the pod instead of reading them through the API:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   resourceNames: ["shop-db-credentials"]
    ///   verbs: ["get"]
    /// ```
    pub struct SecretsRead {
        code: "KG404",
        slug: "rbac-secrets-read",
        title: "RBAC rules must not grant reading Secrets",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.2"),
            mitre("T1552.007 Unsecured Credentials: Container API"),
            k8s("RBAC good practices: listing secrets", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

impl SecretsRead {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj) else {
            return;
        };
        for rule in &role.rules {
            if rule.is_named() || !rule.has_group("") || !rule.has_resource("secrets") {
                continue;
            }
            let verbs = granted_verbs(rule, &["get", "list", "watch"]);
            if verbs.is_empty() {
                continue;
            }
            let bulk = if verbs.iter().any(|v| *v != "get") {
                " (list and watch return every Secret with its data)"
            } else {
                ""
            };
            let scope = match (role.kind, role.namespace.as_deref()) {
                (RoleKind::ClusterRole, _) => {
                    "in every namespace when a ClusterRoleBinding binds it".to_owned()
                }
                (RoleKind::Role, Some(ns)) if !ns.is_empty() => format!("in namespace {ns}"),
                (RoleKind::Role, _) => "in the Role's namespace".to_owned(),
            };
            out.push(Violation::new(
                item_path(obj, rule, "resources", |r| r == "secrets" || r == "*"),
                format!(
                    "the rule grants {} on secrets{bulk}, {scope}; {}",
                    join_words(&verbs),
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
