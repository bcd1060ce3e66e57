//! KG406: Roles must not grant access to the nodes/proxy subresource.
use kaegis_core::rbac::RoleKind;
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, grantees, item_path, join_words, k8s, mitre,
    named_note, reviewed_role,
};
use crate::macros::declare_check;

/// The kubelet authorization page.
const KUBELET_AUTHZ_URL: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/";

declare_check! {
    /// ## What
    /// Reports each rule of a Role or ClusterRole that grants any verb on
    /// `nodes/proxy` in the core API group (also through `"*"` or `*/proxy`
    /// resources and wildcard API groups), at the resource item, naming the
    /// subjects that the scan's bindings give the role to.
    ///
    /// `get` alone is reported: it is not read-only (see Why). Rules limited
    /// by `resourceNames` are reported too, since each named node still
    /// exposes every pod on it. `nodes/metrics`, `nodes/stats`, `nodes/log`
    /// and the fine-grained kubelet subresources (`nodes/pods`,
    /// `nodes/healthz`, `nodes/configz`) are not reported. Nodes are
    /// cluster-scoped, so only ClusterRoles are read (a namespaced Role
    /// cannot grant them). Aggregated ClusterRoles and Kubernetes' own
    /// default roles are skipped.
    ///
    /// ## Why
    /// `nodes/proxy` reaches the kubelet API of a node, through the API
    /// server's proxy or directly on port 10250 when the kubelet delegates
    /// its authorization to the API server. The kubelet API lists, runs
    /// commands in (`/exec`, `/run`) and attaches to every container of
    /// the node; its WebSocket endpoints are HTTP GETs, so `get` on
    /// `nodes/proxy` is enough to execute commands. Those commands pass no
    /// admission control and the API server's audit log does not record
    /// what ran.
    ///
    /// ## How to fix
    /// Use the metrics and stats subresources (or the `metrics.k8s.io`
    /// API) for monitoring:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes/metrics", "nodes/stats"]
    ///   verbs: ["get"]
    /// ```
    pub struct NodesProxy {
        code: "KG406",
        slug: "rbac-nodes-proxy",
        title: "RBAC rules must not grant access to nodes/proxy",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.10"),
            mitre("T1609 Container Administration Command"),
            k8s("Kubelet authorization", KUBELET_AUTHZ_URL),
            k8s("RBAC good practices: nodes/proxy", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

impl NodesProxy {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        // Nodes are cluster-scoped: a namespaced Role cannot grant them.
        let Some(role) = reviewed_role(obj).filter(|r| r.kind == RoleKind::ClusterRole) else {
            return;
        };
        for rule in &role.rules {
            if rule.verbs.is_empty() || !rule.has_group("") || !rule.has_resource("nodes/proxy") {
                continue;
            }
            let verbs = if rule.has_verb("*") {
                "every verb".to_owned()
            } else {
                join_words(&rule.verbs)
            };
            out.push(Violation::new(
                item_path(obj, rule, "resources", |r| {
                    r == "nodes/proxy" || r == "*" || r == "*/proxy"
                }),
                format!(
                    "the rule grants {verbs} on nodes/proxy{}: the kubelet API of a node runs commands in any of its containers, without admission or audit; {}",
                    named_note(rule),
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
