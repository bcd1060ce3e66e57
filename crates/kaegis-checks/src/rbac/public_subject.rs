//! KG409: Bindings must not grant anything to anonymous or all users.
use kaegis_core::rbac::{Binding, RoleKind, Rule};
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{HARDENING, RBAC_URL, binding_reach, is_kubernetes_group, k8s, mitre, nsa};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each subject of a RoleBinding or ClusterRoleBinding that
    /// stands for everyone: the user `system:anonymous`, the group
    /// `system:unauthenticated` (every request without credentials) or the
    /// group `system:authenticated` (every signed-in client: every user,
    /// every service account of every namespace, and every node).
    ///
    /// It does not fire when the binding grants one of the ClusterRoles that
    /// Kubernetes itself grants to these groups, which only expose discovery
    /// and version information: `system:basic-user`, `system:discovery` and
    /// `system:public-info-viewer`; nor for `system:service-account-issuer-discovery`
    /// (the service account issuer's public OpenID configuration and keys,
    /// which the Kubernetes documentation suggests opening to
    /// `system:unauthenticated` for OIDC federation), nor for kubeadm's
    /// `kubeadm:bootstrap-signer-clusterinfo` Role in `kube-public` (the
    /// public `cluster-info` ConfigMap that `kubeadm join` reads).
    ///
    /// Nor does it fire when the scan holds the granted role and every rule
    /// of it is a narrow read: only `get`, `list` or `watch`, no `"*"`, no
    /// Secrets, no subresource (`pods/exec` or `nodes/proxy` with `get` run
    /// commands), no non-resource URLs, and either limited by
    /// `resourceNames` or confined to API groups that are not Kubernetes'
    /// own (a custom resource such as a public catalog). A ConfigMap that an
    /// application publishes on purpose, read by name, is the common case.
    ///
    /// ## Why
    /// What is granted to these subjects is granted to anyone who can reach
    /// the API server (`system:anonymous`, `system:unauthenticated`) or to
    /// any identity at all, however little it is trusted, including every
    /// pod's service account (`system:authenticated`). In some managed
    /// clusters `system:authenticated` includes every account of the cloud
    /// provider, not only your organization's. Such bindings have exposed
    /// real clusters' Secrets and workloads to the internet.
    ///
    /// ## How to fix
    /// Bind the role to the users, groups or service accounts that need it:
    /// ```yaml
    /// subjects:
    /// - kind: Group
    ///   name: shop-developers
    ///   apiGroup: rbac.authorization.k8s.io
    /// ```
    pub struct PublicSubject {
        code: "KG409",
        slug: "rbac-public-subject",
        title: "Bindings must not grant anything to anonymous or all users",
        severity: Severity::Critical,
        area: Area::Rbac,
        profiles: HARDENING,
        references: &[
            nsa("Authentication and authorization: disable anonymous access"),
            mitre("T1078.001 Valid Accounts: Default Accounts"),
            k8s("RBAC: default roles and role bindings", RBAC_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

/// ClusterRoles meant for everyone: they expose only discovery, version
/// and the service account issuer's public keys.
const PUBLIC_ROLES: [&str; 4] = [
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:service-account-issuer-discovery",
];

/// True when the rule only reads named objects, or objects of custom API
/// groups, and nothing sensitive.
fn is_narrow_read(rule: &Rule) -> bool {
    let star = |list: &[String]| list.iter().any(|x| x == "*");
    !rule.verbs.is_empty()
        && rule
            .verbs
            .iter()
            .all(|v| matches!(v.as_str(), "get" | "list" | "watch"))
        && rule.non_resource_urls.is_empty()
        && !rule.resources.is_empty()
        && !star(&rule.resources)
        && !star(&rule.api_groups)
        && rule
            .resources
            .iter()
            .all(|r| r != "secrets" && !r.contains('/'))
        && (rule.is_named() || !rule.api_groups.iter().any(|g| is_kubernetes_group(g)))
}

impl PublicSubject {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if !matches!(obj.id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            return;
        }
        let Some(binding) = Binding::of(obj) else {
            return;
        };
        if !binding.subjects.iter().any(|(s, _)| s.is_public()) {
            return;
        }
        let exempt = match binding.role_kind {
            RoleKind::ClusterRole => PUBLIC_ROLES.contains(&binding.role_name.as_str()),
            RoleKind::Role => {
                binding.namespace.as_deref() == Some("kube-public")
                    && binding.role_name == "kubeadm:bootstrap-signer-clusterinfo"
            }
        };
        if exempt {
            return;
        }
        let narrow = ctx
            .inventory
            .and_then(|inv| inv.rbac.role_of(&binding))
            .is_some_and(|role| {
                !role.builtin && !role.aggregated && role.rules.iter().all(is_narrow_read)
            });
        if narrow {
            return;
        }
        for (subject, path) in &binding.subjects {
            if !subject.is_public() {
                continue;
            }
            let who = match subject.to_string().as_str() {
                "Group system:authenticated" => "every signed-in user, service account and node",
                _ => "anyone who can reach the API server, without credentials",
            };
            out.push(Violation::new(
                path.clone(),
                format!(
                    "grants the {} {} {} to {subject}: {who}",
                    binding.role_kind.as_str(),
                    binding.role_name,
                    binding_reach(&binding)
                ),
            ));
        }
    }
}
