//! KD501: a request by an unauthenticated client succeeded.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_anonymous;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

/// Non-resource paths the default `system:public-info-viewer` and
/// `system:service-account-issuer-discovery` roles open to everyone.
const PUBLIC_PATHS: &[&str] = &[
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/.well-known/openid-configuration",
    "/openid/v1/jwks",
];

declare_rule! {
    /// ## What
    /// Alerts when a request made as `system:anonymous` (or by any user in
    /// the `system:unauthenticated` group) succeeds, except the health and
    /// version endpoints Kubernetes opens to everyone by default
    /// (`/healthz`, `/livez`, `/readyz`, `/version` and their sub-paths)
    /// and the service account issuer discovery documents
    /// (`/.well-known/openid-configuration`, `/openid/v1/jwks`). Writes and
    /// reads of Secrets are critical; everything else high.
    ///
    /// ## Why
    /// Anonymous requests should get nothing but health checks: a
    /// successful one means RBAC grants something to `system:anonymous` or
    /// `system:unauthenticated` — usually a ClusterRoleBinding created to
    /// "make a dashboard work" — and anyone who can reach the API server
    /// can use it, with no credential to revoke and no name in the logs.
    /// Internet-wide scanners look for exactly this, and exposed clusters
    /// are found and mined within hours.
    ///
    /// ## How to respond
    /// Find the binding that grants the access (`kubectl get
    /// clusterrolebindings,rolebindings -A -o json` and look for the
    /// subjects `system:anonymous` and `system:unauthenticated`) and delete
    /// it; then look at what the anonymous clients did and from where.
    /// Where nothing needs anonymous access, turn it off, or (Kubernetes
    /// 1.32 and later) limit it to the health endpoints:
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1beta1
    /// kind: AuthenticationConfiguration
    /// anonymous:
    ///   enabled: true
    ///   conditions:
    ///   - path: /livez
    ///   - path: /readyz
    ///   - path: /healthz
    /// ```
    pub struct AnonymousRequest {
        code: "KD501",
        slug: "anonymous-request",
        title: "A request by an unauthenticated client succeeded",
        severity: Severity::High,
        tactic: "Initial Access",
        mitre: &[
            Technique { id: "T1133", name: "External Remote Services" },
            Technique { id: "T1078.001", name: "Valid Accounts: Default Accounts" },
        ],
        needs: &[Need { group: "*", resources: &["*"], verbs: &[], level: Level::Metadata }],
    }
}

/// True for a public path or one under it.
fn is_public(path: &str) -> bool {
    PUBLIC_PATHS.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

impl AnonymousRequest {
    fn judge(&self, ev: &Event<'_>, _cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if !is_anonymous(&ev.user) || !ev.succeeded() {
            return;
        }
        let uri = &*ev.request_uri;
        let path = uri.split_once('?').map_or(uri, |(p, _)| p);
        if ev.object_ref.is_none() && is_public(path) {
            return;
        }
        let verb = &*ev.verb;
        let read = matches!(verb, "get" | "list" | "watch" | "head" | "options");
        let mut hit = Hit::new(
            format!(
                "anonymous request `{verb} {path}` from {} succeeded",
                match ev.source_ip() {
                    "" => "an unknown address",
                    ip => ip,
                }
            ),
            format!("{} {path}", ev.source_ip()),
        );
        if !read || ev.resource() == "secrets" {
            hit = hit.severity(Severity::Critical);
        }
        out.push(hit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_and_their_subpaths_only() {
        for p in [
            "/healthz",
            "/livez/etcd",
            "/readyz",
            "/version",
            "/openid/v1/jwks",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/healthzz", "/api", "/apis", "/version-x", "/", ""] {
            assert!(!is_public(p), "{p}");
        }
    }
}
