//! KG417: legacy ABAC policies must not grant wildcard or write access.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis, k8s, mitre, nsa};

declare_check! {
    /// ## What
    /// Reads legacy ABAC policy files (`--authorization-policy-file`: one
    /// JSON `Policy` object of `abac.authorization.kubernetes.io/v1beta1` per
    /// line; kaegis reads `.jsonl` and `.json` files line by line). Fires for
    /// each policy that
    /// - grants write access (`readonly` not `true`) on a wildcard: `*` as
    ///   `resource`, `apiGroup`, `namespace` or `nonResourcePath`; or
    /// - grants anything at all to everyone: `user: "*"`, `group: "*"`, the
    ///   groups `system:authenticated` or `system:unauthenticated`, or the
    ///   user `system:anonymous`.
    ///
    /// A read-only policy for a named user on named resources passes.
    ///
    /// ## Why
    /// ABAC policies are static: a change needs an API server restart, they
    /// cannot be audited or reviewed through the API, and a single line with
    /// wildcards gives cluster-admin power. Kubernetes recommends RBAC;
    /// kubeadm and managed clusters do not enable ABAC. A policy that any
    /// signed-in (or anonymous) client matches opens the cluster to every
    /// stolen or default token.
    ///
    /// ## How to fix
    /// Move to RBAC (`--authorization-mode=Node,RBAC`) and express each
    /// policy as a Role or ClusterRole with its binding, with the verbs and
    /// resources it needs:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: pod-reader, namespace: web}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods]
    ///   verbs: [get, list, watch]
    /// ```
    pub struct AbacPolicy {
        code: "KG417",
        slug: "abac-policy",
        title: "Legacy ABAC policies grant no wildcard or write access",
        severity: Severity::High,
        area: Area::Rbac,
        kinds: &["Policy"],
        profiles: CIS_HARDENING,
        references: &[
            cis("1.2.8"),
            nsa("Authentication and authorization: role-based access control"),
            mitre("T1078 Valid Accounts"),
            k8s("ABAC mode", "https://kubernetes.io/docs/reference/access-authn-authz/abac/"),
        ],
    }
}

fn text<'a>(spec: &'a Node, key: &str) -> Option<&'a str> {
    spec.get(key).and_then(Node::as_str)
}

impl AbacPolicy {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "Policy"
            || !obj
                .id
                .api_version
                .starts_with("abac.authorization.kubernetes.io/")
        {
            return;
        }
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        let spec_path = JsonPath::root().key("spec");
        let user = text(spec, "user");
        let group = text(spec, "group");
        let everyone = match (user, group) {
            (Some("*"), _) | (_, Some("*")) => Some("every user"),
            (Some("system:anonymous"), _) => Some("anonymous requests"),
            (_, Some("system:unauthenticated")) => Some("unauthenticated requests"),
            (_, Some("system:authenticated")) => Some("every authenticated client"),
            _ => None,
        };
        let readonly = spec.get("readonly").and_then(Node::as_bool) == Some(true);
        let who = match (user, group) {
            (Some(u), _) => format!("user `{u}`"),
            (None, Some(g)) => format!("group `{g}`"),
            (None, None) => "no one (no user or group)".to_owned(),
        };
        let access = if readonly { "read" } else { "write" };
        if let Some(everyone) = everyone {
            let key = if user.is_some() { "user" } else { "group" };
            out.push(Violation::new(
                spec_path.key(key),
                format!("the ABAC policy grants {access} access to {everyone}"),
            ));
            return;
        }
        if readonly {
            return;
        }
        let wild: Vec<&str> = ["resource", "apiGroup", "namespace", "nonResourcePath"]
            .into_iter()
            .filter(|k| text(spec, k) == Some("*"))
            .collect();
        if let Some(first) = wild.first() {
            out.push(Violation::new(
                spec_path.key(first),
                format!(
                    "the ABAC policy grants {who} write access with a wildcard {}",
                    wild.iter()
                        .map(|w| format!("`{w}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}
