//! KD303: a binding created or changed that grants cluster-admin, a
//! wildcard ClusterRole, or admin/edit across the cluster.
use kaegis_core::Severity;
use serde_json::Value;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::rules::permissive_clusterrole::WILDCARD_CLUSTERROLES;

declare_rule! {
    /// ## What
    /// Alerts when a ClusterRoleBinding or RoleBinding is created, updated
    /// or patched by an identity outside the control plane and it binds:
    /// - `cluster-admin` (critical in a ClusterRoleBinding, high in a
    ///   RoleBinding, where it is full control of the namespace);
    /// - a ClusterRole KD302 saw created with wildcard verbs or resources
    ///   (high);
    /// - `admin` or `edit` in a ClusterRoleBinding (high): these roles are
    ///   meant to be granted per namespace; bound cluster-wide they give
    ///   read and write access to every Secret and `pods/exec` in every
    ///   namespace. RoleBindings to `admin` and `edit` are the normal way
    ///   to hand a team its namespace and are not reported.
    ///
    /// The subjects are named in the alert. The rule reads the request
    /// body (`roleRef`, `subjects`), so bindings must be logged at level
    /// `Request`. `roleRef` cannot change after creation, so a patch
    /// (which usually adds subjects and carries no `roleRef`) is judged
    /// from the response body when the event carries it (level
    /// `RequestResponse`).
    ///
    /// ## Why
    /// Binding `cluster-admin` is the shortest path from any foothold to
    /// owning the cluster, and the most common persistence an attacker
    /// leaves behind: a ClusterRoleBinding for a ServiceAccount they hold
    /// a token of, or for a user or group their certificate carries. It
    /// survives credential rotation of everyone else. Legitimate
    /// cluster-admin bindings are few and created at install time.
    ///
    /// ## How to respond
    /// Identify the subjects and whether the binding was planned. If not,
    /// delete the binding, revoke the subjects' credentials (ServiceAccount
    /// tokens: delete and re-create the account; certificates: they stay
    /// valid until expiry, so remove the group from RBAC instead), and look
    /// at what the subjects did since. Grant narrower roles per namespace:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: team-a-edit, namespace: team-a}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {kind: Group, name: team-a, apiGroup: rbac.authorization.k8s.io}
    /// ```
    pub struct AdminBinding {
        code: "KD303",
        slug: "admin-binding",
        title: "A binding granting cluster-admin, a wildcard role, or admin/edit cluster-wide was created or changed",
        severity: Severity::High,
        tactic: "Privilege Escalation",
        mitre: &[
            Technique { id: "T1098.006", name: "Account Manipulation: Additional Container Cluster Roles" },
            Technique { id: "T1078", name: "Valid Accounts" },
        ],
        needs: &[
            Need {
                group: "rbac.authorization.k8s.io",
                resources: &["clusterrolebindings", "rolebindings"],
                verbs: &["create", "update"],
                level: Level::Request,
            },
            Need {
                group: "rbac.authorization.k8s.io",
                resources: &["clusterrolebindings", "rolebindings"],
                verbs: &["patch"],
                level: Level::RequestResponse,
            },
        ],
    }
}

fn subjects(obj: &Value) -> String {
    let list: Vec<String> = obj
        .get("subjects")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| {
                    let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
                    let (kind, name, ns) = (field("kind"), field("name"), field("namespace"));
                    if ns.is_empty() {
                        format!("{kind} {name}")
                    } else {
                        format!("{kind} {ns}/{name}")
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() {
        "no subjects".to_owned()
    } else {
        list.join(", ")
    }
}

impl AdminBinding {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        if !matches!(verb, "create" | "update" | "patch") {
            return;
        }
        let cluster_wide = match ev.resource() {
            "clusterrolebindings" => true,
            "rolebindings" => false,
            _ => return,
        };
        if ev.api_group() != "rbac.authorization.k8s.io"
            || !ev.subresource().is_empty()
            || !ev.succeeded()
        {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        // The binding as stored tells the roleRef best; a patch body
        // rarely carries it.
        let body = match (ev.response_json(), ev.request_json()) {
            (Some(r), _) if r.get("roleRef").is_some() => r,
            (_, Some(r)) => r,
            (Some(r), None) => r,
            (None, None) => return,
        };
        let Some(role_ref) = body.get("roleRef") else {
            return;
        };
        let field = |k: &str| role_ref.get(k).and_then(Value::as_str).unwrap_or("");
        let (role_kind, role) = (field("kind"), field("name"));
        let severity = match (role_kind, role, cluster_wide) {
            ("ClusterRole", "cluster-admin", true) => Severity::Critical,
            ("ClusterRole", "cluster-admin", false) => Severity::High,
            ("ClusterRole", "admin" | "edit", true) => Severity::High,
            ("ClusterRole", r, _) if cx.state.fact(WILDCARD_CLUSTERROLES, r) => Severity::High,
            _ => return,
        };
        let name = ev.name_in(&body).unwrap_or("(generated name)");
        let ns = ev.namespace();
        let (kind, target) = if cluster_wide {
            ("ClusterRoleBinding", name.to_owned())
        } else {
            ("RoleBinding", format!("{ns}/{name}"))
        };
        let did = match verb {
            "create" => "created",
            "update" => "updated",
            _ => "patched",
        };
        let wildcard = if matches!(role, "cluster-admin" | "admin" | "edit") {
            ""
        } else {
            " (a wildcard role)"
        };
        out.push(
            Hit::new(
                format!(
                    "{} {did} {kind} {target} binding ClusterRole {role}{wildcard} to {}",
                    ev.acting_user().username,
                    subjects(&body)
                ),
                format!("{kind}/{target}"),
            )
            .severity(severity),
        );
    }
}
