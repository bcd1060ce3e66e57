//! KD302: a ClusterRole created or changed to grant wildcards, write access
//! to sensitive resources, exec into pods, or the RBAC escalation verbs.
use kaegis_core::Severity;
use serde_json::Value;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

/// The fact name under which ClusterRoles with wildcard verbs or
/// resources are recorded (read by KD303).
pub const WILDCARD_CLUSTERROLES: &str = "wildcard-clusterroles";

declare_rule! {
    /// ## What
    /// Alerts when a ClusterRole is created, updated or patched so that one
    /// of its rules grants:
    /// - `*` in `verbs` or `resources` (every verb, or every resource of
    ///   the rule's groups, Secrets included), or `*` in `apiGroups`
    ///   together with a verb that writes;
    /// - `create`, `update`, `patch`, `delete` or `deletecollection` on a
    ///   sensitive resource: `secrets`, `pods`, `nodes`,
    ///   `serviceaccounts/token`, `persistentvolumes`, the four RBAC
    ///   resources, the admission webhook configurations, or
    ///   `certificatesigningrequests/approval`;
    /// - any verb on `pods/exec`, `pods/attach` or `nodes/proxy`;
    /// - the verbs `escalate`, `bind` or `impersonate`.
    ///
    /// Rules limited by `resourceNames` are not reported (they grant rights
    /// on named objects only, the usual way to allow `bind` of one role).
    /// A wildcard, `escalate`, `bind` or `impersonate` is high severity;
    /// the rest medium. The rule reads the request body, so the API server
    /// must log ClusterRole writes at level `Request`; a JSON patch is
    /// judged by the rule objects it adds. ClusterRoles seen with wildcard
    /// verbs or resources are remembered, so that KD303 reports bindings
    /// to them.
    ///
    /// ## Why
    /// A ClusterRole is inert until it is bound, but creating a broad one
    /// is the first half of most RBAC privilege escalations: the attacker
    /// (or a careless chart) defines `*` on `*`, or `escalate`/`bind`
    /// (which let a holder grant rights they do not have), or
    /// `impersonate` (which lets them act as anyone), or write access to
    /// Secrets, pods and RBAC, and binds it later or through another
    /// identity. Write access to pods is node access in disguise (a pod can
    /// mount the host, or any ServiceAccount's token in its namespace), and
    /// `pods/exec` is a shell in every container.
    ///
    /// ## How to respond
    /// Read the role and ask its author which rule needs which right;
    /// replace wildcards with the exact groups, resources and verbs, and
    /// drop `escalate`, `bind` and `impersonate` unless the role is meant
    /// for RBAC administration. Check who it is bound to (`kubectl get
    /// clusterrolebindings,rolebindings -A -o wide | grep ROLE`). A least
    /// privileged role names what it needs:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: deploy-bot}
    /// rules:
    /// - apiGroups: [apps]
    ///   resources: [deployments]
    ///   verbs: [get, list, watch, update, patch]
    /// - apiGroups: [""]
    ///   resources: [configmaps]
    ///   verbs: [get, list, watch]
    /// ```
    pub struct PermissiveClusterRole {
        code: "KD302",
        slug: "permissive-clusterrole",
        title: "A ClusterRole was created or changed to grant wildcards, sensitive writes, exec or RBAC escalation",
        severity: Severity::Medium,
        tactic: "Privilege Escalation",
        mitre: &[Technique { id: "T1098.006", name: "Account Manipulation: Additional Container Cluster Roles" }],
        needs: &[
            Need { group: "rbac.authorization.k8s.io", resources: &["clusterroles"], verbs: &["create", "update", "patch"], level: Level::Request },
            Need { group: "rbac.authorization.k8s.io", resources: &["clusterroles"], verbs: &["delete"], level: Level::Metadata },
        ],
    }
}

/// Verbs that change objects.
const WRITE_VERBS: &[&str] = &[
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "*",
];

/// Resources whose write access is a path to privilege, by API group.
const SENSITIVE_WRITES: &[(&str, &str)] = &[
    ("", "secrets"),
    ("", "pods"),
    ("", "nodes"),
    ("", "serviceaccounts/token"),
    ("", "persistentvolumes"),
    ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    ("certificates.k8s.io", "certificatesigningrequests/approval"),
];

/// Subresources that run commands in containers.
const EXEC_LIKE: &[(&str, &str)] = &[("", "pods/exec"), ("", "pods/attach"), ("", "nodes/proxy")];

/// What a ClusterRole's rules grant that deserves a look.
#[derive(Debug, Default)]
struct Grants {
    findings: Vec<String>,
    wildcard: bool,
    high: bool,
}

impl Grants {
    fn add(&mut self, s: String) {
        if !self.findings.contains(&s) {
            self.findings.push(s);
        }
    }
}

fn strings(rule: &Value, key: &str) -> Vec<String> {
    rule.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn judge_rule(rule: &Value, g: &mut Grants) {
    if rule
        .get("resourceNames")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return;
    }
    let verbs = strings(rule, "verbs");
    let resources = strings(rule, "resources");
    let groups = strings(rule, "apiGroups");
    if resources.is_empty() {
        return; // a nonResourceURLs rule
    }
    let has = |list: &[String], s: &str| list.iter().any(|x| x == s);
    let writes = verbs.iter().any(|v| WRITE_VERBS.contains(&v.as_str()));
    let wild_verbs = has(&verbs, "*");
    let wild_resources = has(&resources, "*");
    let wild_groups = has(&groups, "*") && writes;
    if wild_verbs || wild_resources || wild_groups {
        g.wildcard |= wild_verbs || wild_resources;
        g.high = true;
        let list = |l: &[String]| l.join(", ");
        g.add(format!(
            "verbs [{}] on resources [{}] in API groups [{}] (wildcards)",
            list(&verbs),
            list(&resources),
            list(&groups)
        ));
    }
    let in_group = |grp: &str| has(&groups, grp) || has(&groups, "*");
    if writes {
        for (grp, res) in SENSITIVE_WRITES {
            if has(&resources, res) && in_group(grp) {
                g.add(format!("write access to {res}"));
            }
        }
    }
    if !verbs.is_empty() {
        for (grp, res) in EXEC_LIKE {
            if has(&resources, res) && in_group(grp) {
                g.add(format!("access to {res}"));
            }
        }
    }
    for v in ["escalate", "bind", "impersonate"] {
        if has(&verbs, v) {
            g.high = true;
            g.add(format!("the `{v}` verb"));
        }
    }
}

/// The rules a request body carries: a ClusterRole's (or a merge patch's)
/// `rules`, or the rule objects a JSON patch adds.
fn judge_body(body: &Value, g: &mut Grants) -> bool {
    match body {
        Value::Object(_) => match body.get("rules").and_then(Value::as_array) {
            Some(rules) => {
                rules.iter().for_each(|r| judge_rule(r, g));
                true
            }
            None => false,
        },
        Value::Array(ops) => {
            for op in ops {
                match op.get("value") {
                    Some(Value::Array(rules)) => rules.iter().for_each(|r| judge_rule(r, g)),
                    Some(v @ Value::Object(_)) => judge_rule(v, g),
                    _ => {}
                }
            }
            false
        }
        _ => false,
    }
}

impl PermissiveClusterRole {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        if !matches!(verb, "create" | "update" | "patch" | "delete") || !ev.is("clusterroles", "") {
            return;
        }
        if ev.api_group() != "rbac.authorization.k8s.io" || !ev.succeeded() {
            return;
        }
        if verb == "delete" {
            cx.state.set_fact(WILDCARD_CLUSTERROLES, ev.name(), false);
            return;
        }
        let Some(body) = ev.request_json() else {
            return;
        };
        let name = ev.name_in(&body).unwrap_or("").to_owned();
        let mut g = Grants::default();
        let complete = judge_body(&body, &mut g);
        // A body that carries all the rules also tells when a wildcard went.
        if g.wildcard || complete {
            cx.state.set_fact(WILDCARD_CLUSTERROLES, &name, g.wildcard);
        }
        if g.findings.is_empty() || is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let did = match verb {
            "create" => "created",
            "update" => "updated",
            _ => "patched",
        };
        let mut hit = Hit::new(
            format!(
                "{} {did} ClusterRole {name} granting {}",
                ev.acting_user().username,
                g.findings.join("; ")
            ),
            name.clone(),
        );
        if g.high {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
