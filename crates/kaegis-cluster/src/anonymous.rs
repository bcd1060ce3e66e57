//! What an unauthenticated client can read: the audit repeats a set of
//! read requests with the cluster's address and CA but no credentials at
//! all, and records what the API server answered: the authorizers' real
//! answer, which an analysis of roles and bindings alone cannot give (a
//! webhook or cloud authorizer that lets `system:anonymous` through).
//! (`AlwaysAllow` is not among them: kube-apiserver turns anonymous
//! authentication off when it is configured.)
//!
//! The answers become a `kaegis.dev/v1` `AnonymousAccess` object (named
//! `cluster`) that the catalog's `anonymous-api-access` check judges (it
//! knows which endpoints Kubernetes opens to everyone by default). The
//! requests only read, ask for one item (`limit=1`), and their bodies are
//! discarded: nothing a probe returns reaches the report.

use std::sync::Arc;

use kaegis_core::{Object, Origin};
use serde_json::json;

/// One request an unauthenticated client makes.
pub struct Probe {
    /// The path (GET).
    pub path: &'static str,
    /// What a success would expose, for the finding.
    pub exposes: &'static str,
}

const fn p(path: &'static str, exposes: &'static str) -> Probe {
    Probe { path, exposes }
}

/// The requests: the public health and version endpoints (which Kubernetes
/// opens to everyone through `system:public-info-viewer`), discovery, and
/// reads that expose the cluster's contents or internals.
pub const PROBES: &[Probe] = &[
    p("/version", "the server's version"),
    p("/healthz", "the server's health"),
    p("/readyz", "the server's readiness"),
    p("/livez", "the server's liveness"),
    p("/api", "the core API's versions"),
    p("/apis", "every API group the cluster serves"),
    p("/openapi/v2", "the cluster's full API schema"),
    p("/api/v1/namespaces?limit=1", "every namespace"),
    p(
        "/api/v1/pods?limit=1",
        "every pod, with its environment variables and images",
    ),
    p(
        "/api/v1/secrets?limit=1",
        "every Secret's data: tokens, keys, passwords",
    ),
    p("/api/v1/configmaps?limit=1", "every ConfigMap"),
    p("/api/v1/nodes?limit=1", "every node and its addresses"),
    p("/api/v1/serviceaccounts?limit=1", "every ServiceAccount"),
    p(
        "/api/v1/namespaces/kube-system/secrets?limit=1",
        "the control plane's Secrets",
    ),
    p("/apis/apps/v1/deployments?limit=1", "every Deployment"),
    p(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?limit=1",
        "who holds which cluster-wide power",
    ),
    p("/metrics", "the API server's metrics"),
    p("/logs/", "the control-plane node's log files"),
    p("/debug/pprof/", "the API server's profiling endpoints"),
];

/// True when the configuration authenticates by itself. Without any
/// credential the "anonymous" requests would be the same as the audit's,
/// and may pass through a proxy (`kubectl proxy`) that adds its own.
fn has_credentials(a: &kube::config::AuthInfo) -> bool {
    a.username.is_some()
        || a.token.is_some()
        || a.token_file.is_some()
        || a.client_certificate.is_some()
        || a.client_certificate_data.is_some()
        || a.exec.is_some()
        || a.auth_provider.is_some()
}

/// Makes every request of [`PROBES`] without credentials and returns the
/// `AnonymousAccess` object, or why the probe could not run.
pub async fn probe(config: &kube::Config) -> Result<Object, String> {
    if !has_credentials(&config.auth_info) {
        return Err(
            "the connection carries no credentials of its own (a proxy such as kubectl proxy may add them), so an unauthenticated request cannot be told apart"
                .to_owned(),
        );
    }
    let mut anonymous = config.clone();
    // No token, no client certificate, no exec plugin, no impersonation:
    // only the address and the CA to trust.
    anonymous.auth_info = Default::default();
    let client = kube::Client::try_from(anonymous).map_err(|e| e.to_string())?;
    let mut requests = Vec::new();
    let mut statuses = Vec::new();
    for probe in PROBES {
        let request = http::Request::get(probe.path)
            .body(Vec::new())
            .map_err(|e| e.to_string())?;
        let status = crate::fetch::with_retries(|| async {
            client
                .send(request.clone().map(kube::client::Body::from))
                .await
                .map(|r| r.status().as_u16())
        })
        .await
        .map_err(|e| format!("GET {}: {e}", probe.path))?;
        statuses.push(status);
        requests.push(json!({
            "path": probe.path,
            "status": status,
            "allowed": (200..300).contains(&status),
            "exposes": probe.exposes,
        }));
    }
    // 401 to everything: the server authenticates every request (anonymous
    // auth off); any other answer means anonymous requests get through to
    // authorization.
    let authentication = if statuses.iter().all(|s| *s == 401) {
        "required"
    } else {
        "anonymous-allowed"
    };
    let value = json!({
        "apiVersion": "kaegis.dev/v1",
        "kind": "AnonymousAccess",
        "metadata": { "name": "cluster" },
        "spec": {
            "server": config.cluster_url.to_string(),
            "authentication": authentication,
            "requests": requests,
        },
    });
    kaegis_inputs::json::object_from_value(&value, Origin::Other(Arc::from("cluster")))
        .ok_or_else(|| "the probe's record is not an object".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_reads_one_item_at_most() {
        for p in PROBES {
            if p.path.contains("/v1/") {
                assert!(p.path.ends_with("?limit=1"), "{}", p.path);
            }
        }
    }
}
