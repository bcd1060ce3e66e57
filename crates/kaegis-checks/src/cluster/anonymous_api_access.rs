//! KG953: Unauthenticated clients must not read the cluster's API.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::{HARDENING, cis, k8s, mitre, nsa};

/// The endpoints Kubernetes opens to unauthenticated clients by default
/// (the `system:public-info-viewer` ClusterRole): health and version.
fn is_public_info(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    ["/version", "/healthz", "/readyz", "/livez"]
        .iter()
        .any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

declare_check! {
    /// ## What
    /// `kaegis cluster` repeats a set of read requests with no credentials
    /// at all (discovery, the OpenAPI schema, cluster-wide lists of
    /// namespaces, pods, Secrets, ConfigMaps, nodes, ServiceAccounts,
    /// Deployments and ClusterRoleBindings, kube-system's Secrets, and the
    /// `/metrics`, `/logs/` and `/debug/pprof/` endpoints) and records the
    /// answers as an `AnonymousAccess` object. This check reports every
    /// request that succeeded, except the health and version endpoints
    /// (`/healthz`, `/livez`, `/readyz`, `/version`) that Kubernetes opens
    /// to everyone by default. A server that refuses anonymous requests
    /// (401) or authorizes none of them (403) passes.
    ///
    /// The probe sees the authorizers' real answer, which an analysis of
    /// roles and bindings alone cannot: a webhook or cloud authorizer that
    /// lets `system:anonymous` through shows here as well as a binding to
    /// `system:unauthenticated` or `system:anonymous` (which
    /// `rbac-public-subject` reports on the binding itself).
    ///
    /// ## Why
    /// Anything an unauthenticated client can read, anyone who can reach
    /// the API server can read: scanners find exposed API servers within
    /// hours. A readable Secret list is a cluster takeover (service account
    /// tokens, registry credentials); pods, nodes and ConfigMaps map the
    /// cluster for the next step; `/logs/` and `/debug/pprof/` expose the
    /// control-plane node itself.
    ///
    /// ## How to fix
    /// Remove the RoleBindings and ClusterRoleBindings whose subjects
    /// include `system:anonymous` or `system:unauthenticated` (`kaegis rbac
    /// who-can VERB RESOURCE --cluster` finds them), make any webhook
    /// authorizer deny unauthenticated requests, and where nothing needs
    /// unauthenticated health checks, turn anonymous authentication off
    /// (`--anonymous-auth=false`, or since 1.32 an AuthenticationConfiguration
    /// that allows anonymous requests on the health endpoints only):
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: AuthenticationConfiguration
    /// anonymous:
    ///   enabled: true
    ///   conditions:
    ///   - path: /livez
    ///   - path: /readyz
    ///   - path: /healthz
    /// ```
    pub struct AnonymousApiAccess {
        code: "KG953",
        slug: "anonymous-api-access",
        title: "Unauthenticated clients must not read the cluster's API",
        severity: Severity::Critical,
        area: Area::Cluster,
        kinds: &["AnonymousAccess"],
        profiles: HARDENING,
        references: &[
            cis("1.2.1"),
            nsa("Authentication and authorization: disable anonymous access"),
            mitre("T1552.007 Container API"),
            k8s(
                "Authenticating: anonymous requests",
                "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
            ),
        ],
    }
}

impl AnonymousApiAccess {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.group() != "kaegis.dev" {
            return;
        }
        let Some(requests) = obj.root.get_path(&["spec", "requests"]) else {
            return;
        };
        for (i, r) in requests.items().iter().enumerate() {
            let Some(path) = r.get("path").and_then(Node::as_str) else {
                continue;
            };
            if r.get("allowed").and_then(Node::as_bool) != Some(true) || is_public_info(path) {
                continue;
            }
            let status = r
                .get("status")
                .and_then(Node::as_i64)
                .map_or_else(String::new, |s| format!(" (HTTP {s})"));
            let exposes = r
                .get("exposes")
                .and_then(Node::as_str)
                .map_or_else(String::new, |e| format!(": {e}"));
            out.push(Violation::new(
                JsonPath::root().keys(&["spec", "requests"]).index(i),
                format!("a client without credentials can GET {path}{status}{exposes}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_public_info;

    #[test]
    fn health_and_version_are_public_info() {
        assert!(is_public_info("/version"));
        assert!(is_public_info("/healthz/etcd"));
        assert!(is_public_info("/readyz?verbose"));
        assert!(!is_public_info("/versions"));
        assert!(!is_public_info("/api"));
        assert!(!is_public_info("/api/v1/secrets?limit=1"));
    }
}
