//! KG405: Roles must not grant running commands in pods.
use kaegis_core::rbac::Rule;
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    HARDENING, RBAC_GOOD_PRACTICES_URL, granted_verbs, grantees, item_path, join_words, k8s, mitre,
    nsa, reach, reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a Role or ClusterRole (core API group,
    /// wildcards included) that grants:
    /// - `create` or `get` on `pods/exec` or `pods/attach`: `kubectl exec`
    ///   and `kubectl attach` need `create`, but the WebSocket form of those
    ///   requests is an HTTP GET, which API servers before v1.35 (or with
    ///   the `AuthorizePodWebsocketUpgradeCreatePermission` feature gate
    ///   off) authorize with `get` alone;
    /// - `update` or `patch` on `pods/ephemeralcontainers`: adding a debug
    ///   container (`kubectl debug`) runs any image, with any command, in
    ///   the pod's namespaces.
    ///
    /// The finding is at the resource and names the subjects that the
    /// scan's bindings give the role to. `pods/portforward` is not
    /// reported: it opens a network path to the pod's ports, not a process
    /// in it. Rules limited by `resourceNames` (to some named pods) are not
    /// reported, nor are aggregated ClusterRoles and Kubernetes' own default
    /// roles.
    ///
    /// ## Why
    /// Running a command in a container gives its file system, its
    /// environment and its service account token to whoever runs it, and
    /// from there every power of the pod, including its host access when
    /// the pod is privileged. It also bypasses the image review, the
    /// admission checks and most of the audit trail of what ran.
    ///
    /// ## How to fix
    /// Keep exec and attach for break-glass roles bound to people, per
    /// namespace; give automation read-only access to logs instead:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/log"]
    ///   verbs: ["get", "list"]
    /// ```
    pub struct PodExec {
        code: "KG405",
        slug: "rbac-pod-exec",
        title: "RBAC rules must not grant exec or attach into pods",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: HARDENING,
        references: &[
            mitre("T1609 Container Administration Command"),
            nsa("Authentication and authorization: least privilege"),
            k8s("RBAC good practices: workload creation and exec", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

/// The (verbs, subresource) pairs the rule grants.
fn powers(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    for (sub, verbs) in [
        ("pods/exec", &["create", "get"][..]),
        ("pods/attach", &["create", "get"][..]),
        ("pods/ephemeralcontainers", &["update", "patch"][..]),
    ] {
        if rule.has_resource(sub) {
            let granted = granted_verbs(rule, verbs);
            if !granted.is_empty() {
                out.push(format!("{} on {sub}", join_words(&granted)));
            }
        }
    }
    out
}

impl PodExec {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj) else {
            return;
        };
        for rule in &role.rules {
            if rule.is_named() || !rule.has_group("") {
                continue;
            }
            let powers = powers(rule);
            if powers.is_empty() {
                continue;
            }
            let path = item_path(obj, rule, "resources", |r| {
                r == "*"
                    || ["pods/exec", "pods/attach", "pods/ephemeralcontainers"]
                        .iter()
                        .any(|sub| {
                            r == *sub || r.strip_prefix("*/") == sub.split_once('/').map(|s| s.1)
                        })
            });
            let how = if granted_verbs(rule, &["create", "update", "patch"]).is_empty() {
                " through the WebSocket form of exec and attach, which API servers before v1.35 authorize with get alone"
            } else {
                ""
            };
            out.push(Violation::new(
                path,
                format!(
                    "the rule grants {}: a holder can run commands in the pods' containers{how} ({}); {}",
                    join_words(&powers),
                    reach(&role),
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
