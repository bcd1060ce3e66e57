//! Listing a live cluster: every kind the catalog reads, page by page
//! (500 objects a request), each request bounded by a timeout and retried
//! with backoff when the failure is transient (a 429, a 5xx, a dropped
//! connection). A kind the cluster does not serve, or the caller may not
//! list, becomes a "not audited: reason" note and the audit goes on.
//! Secrets are listed as metadata only: their data never leaves the API
//! server.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kaegis_core::{Diagnostic, DiagnosticLevel, Object, Origin};
use kube::api::{ApiResource, DynamicObject, ListParams};
use kube::{Api, Client};

/// One kind to list: group, version, kind, plural.
pub struct Kind {
    /// API group (`""` for core).
    pub group: &'static str,
    /// Version.
    pub version: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Resource name.
    pub plural: &'static str,
}

const fn k(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
) -> Kind {
    Kind {
        group,
        version,
        kind,
        plural,
    }
}

/// What the audit lists (and what the read-only ClusterRole grants).
pub const KINDS: &[Kind] = &[
    k("", "v1", "Namespace", "namespaces"),
    k("", "v1", "Pod", "pods"),
    k("", "v1", "Service", "services"),
    k("", "v1", "ServiceAccount", "serviceaccounts"),
    k("", "v1", "ConfigMap", "configmaps"),
    k("", "v1", "Secret", "secrets"),
    k("", "v1", "ResourceQuota", "resourcequotas"),
    k("", "v1", "LimitRange", "limitranges"),
    k("", "v1", "PersistentVolume", "persistentvolumes"),
    k("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    k("", "v1", "ReplicationController", "replicationcontrollers"),
    k("", "v1", "Node", "nodes"),
    k("apps", "v1", "Deployment", "deployments"),
    k("apps", "v1", "ReplicaSet", "replicasets"),
    k("apps", "v1", "StatefulSet", "statefulsets"),
    k("apps", "v1", "DaemonSet", "daemonsets"),
    k("batch", "v1", "Job", "jobs"),
    k("batch", "v1", "CronJob", "cronjobs"),
    k("networking.k8s.io", "v1", "Ingress", "ingresses"),
    k(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
    ),
    k(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
    ),
    k(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
    ),
    k("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    k(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
    ),
    k(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
    ),
    k(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
    ),
    k("storage.k8s.io", "v1", "StorageClass", "storageclasses"),
    k(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
    ),
    k(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
    ),
];

/// Objects per list request.
const PAGE: u32 = 500;
/// Attempts per request before a transient error is reported.
const ATTEMPTS: u32 = 4;

/// Everything listed, and what could not be.
#[derive(Default)]
pub struct Listing {
    /// The objects, as kaegis reads them.
    pub objects: Vec<Object>,
    /// "not audited" notes.
    pub notes: Vec<Diagnostic>,
}

/// A note about the cluster (`<cluster>` as its file).
pub fn note(message: String) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Note,
        file: Arc::from(Path::new("<cluster>")),
        pos: None,
        message,
    }
}

/// An API object (as JSON) as kaegis reads it, without the bookkeeping no
/// check reads.
pub fn to_object(mut v: serde_json::Value, origin: &Origin) -> Option<Object> {
    if let Some(meta) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        meta.remove("managedFields");
    }
    // Status is not read by checks, except a Node's (its kubelet version).
    if v.get("kind").and_then(|k| k.as_str()) != Some("Node")
        && let Some(o) = v.as_object_mut()
    {
        o.remove("status");
    }
    kaegis_inputs::json::object_from_value(&v, origin.clone())
}

fn transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 429 || s.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Runs `request` until it succeeds, fails for good, or has failed
/// transiently [`ATTEMPTS`] times, sleeping 0.5 s, 1 s, 2 s… between tries.
pub(crate) async fn with_retries<T, F, Fut>(mut request: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match request().await {
            Err(e) if transient(&e) && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
            }
            result => return result,
        }
    }
}

fn reason(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 404 => "the cluster does not serve this API".to_owned(),
        kube::Error::Api(s) if s.code == 403 => format!("forbidden: {}", s.message),
        other => other.to_string(),
    }
}

/// Lists one kind, page by page. Secrets: metadata only.
async fn list_kind(client: &Client, kind: &Kind, origin: &Origin) -> Result<Vec<Object>, String> {
    let api_version = if kind.group.is_empty() {
        kind.version.to_owned()
    } else {
        format!("{}/{}", kind.group, kind.version)
    };
    let ar = ApiResource {
        group: kind.group.to_owned(),
        version: kind.version.to_owned(),
        api_version: api_version.clone(),
        kind: kind.kind.to_owned(),
        plural: kind.plural.to_owned(),
    };
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(PAGE);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let (items, next) = with_retries(|| async {
            if kind.plural == "secrets" {
                api.list_metadata(&lp).await.map(|l| {
                    let items: Vec<serde_json::Value> = l
                        .items
                        .into_iter()
                        .map(|m| {
                            serde_json::json!({
                                "apiVersion": api_version,
                                "kind": kind.kind,
                                "metadata": m.metadata,
                            })
                        })
                        .collect();
                    (items, l.metadata.continue_)
                })
            } else {
                api.list(&lp).await.map(|l| {
                    let items: Vec<serde_json::Value> = l
                        .items
                        .into_iter()
                        .filter_map(|mut o| {
                            o.types = Some(kube::api::TypeMeta {
                                api_version: api_version.clone(),
                                kind: kind.kind.to_owned(),
                            });
                            serde_json::to_value(o).ok()
                        })
                        .collect();
                    (items, l.metadata.continue_)
                })
            }
        })
        .await
        .map_err(|e| reason(&e))?;
        out.extend(items.into_iter().filter_map(|v| to_object(v, origin)));
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    Ok(out)
}

/// Lists every kind of [`KINDS`], a few at a time.
pub async fn list_all(client: &Client) -> Listing {
    let origin = Origin::Other(Arc::from("cluster"));
    let mut listing = Listing::default();
    let results = futures_util::future::join_all(KINDS.iter().map(|k| {
        let origin = &origin;
        async move { (k, list_kind(client, k, origin).await) }
    }))
    .await;
    // The server's version, for the kubernetes-version check.
    match client.apiserver_version().await {
        Ok(info) => listing.objects.extend(to_object(
            serde_json::json!({
                "apiVersion": "kaegis.dev/v1",
                "kind": "ClusterVersion",
                "metadata": { "name": "cluster" },
                "spec": { "gitVersion": info.git_version, "platform": info.platform },
            }),
            &origin,
        )),
        Err(e) => listing.notes.push(note(format!(
            "not audited: the server's version: {}",
            reason(&e)
        ))),
    }
    for (kind, result) in results {
        match result {
            Ok(objects) => listing.objects.extend(objects),
            Err(mut reason) => listing.notes.push(note(format!(
                "not audited: {}: {}",
                if kind.group.is_empty() {
                    kind.plural.to_owned()
                } else {
                    format!("{}.{}", kind.plural, kind.group)
                },
                {
                    if kind.plural == "secrets" && reason.starts_with("forbidden") {
                        // The shipped read-only role leaves Secrets out on purpose.
                        reason.push_str(
                            " (by design for a read-only audit role: listing Secrets, even as metadata, needs `list` on secrets, which returns their data; the secret-rotation check did not run)",
                        );
                    }
                    reason
                }
            ))),
        }
    }
    listing
}
