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

fn note(message: String) -> Diagnostic {
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
        let mut attempt = 0;
        let (items, next) = loop {
            attempt += 1;
            let result = if kind.plural == "secrets" {
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
            };
            match result {
                Ok(r) => break r,
                Err(e) if transient(&e) && attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                }
                Err(e) => return Err(reason(&e)),
            }
        };
        out.extend(items.into_iter().filter_map(|v| to_object(v, origin)));
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    Ok(out)
}

/// The kind's name as kubectl spells it: `pods`, `roles.rbac.authorization.k8s.io`.
fn resource_name(kind: &Kind) -> String {
    if kind.group.is_empty() {
        kind.plural.to_owned()
    } else {
        format!("{}.{}", kind.plural, kind.group)
    }
}

/// Lists `kinds` concurrently; each one that cannot be listed becomes a
/// `{missing}: resource: reason` note.
async fn list_kinds<'k>(
    client: &Client,
    kinds: impl Iterator<Item = &'k Kind>,
    origin: &Origin,
    missing: &str,
) -> Listing {
    let mut listing = Listing::default();
    let results = futures_util::future::join_all(
        kinds.map(|k| async move { (k, list_kind(client, k, origin).await) }),
    )
    .await;
    for (kind, result) in results {
        match result {
            Ok(objects) => listing.objects.extend(objects),
            Err(reason) => listing.notes.push(note(format!(
                "{missing}: {}: {reason}",
                resource_name(kind)
            ))),
        }
    }
    listing
}

/// Lists every kind of [`KINDS`], a few at a time.
pub async fn list_all(client: &Client) -> Listing {
    let origin = Origin::Other(Arc::from("cluster"));
    let kinds = list_kinds(client, KINDS.iter(), &origin, "not audited").await;
    let mut listing = Listing::default();
    // The server's version, for the kubernetes-version check; it leads the
    // listing.
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
    listing.objects.extend(kinds.objects);
    listing.notes.extend(kinds.notes);
    listing
}

/// Lists the RBAC objects only (Roles, ClusterRoles, RoleBindings and
/// ClusterRoleBindings), for questions such as `kaegis rbac who-can
/// --cluster`; a kind that cannot be listed is a `not read: …` note.
pub async fn list_rbac(client: &Client) -> Listing {
    let origin = Origin::Other(Arc::from("cluster"));
    let rbac = KINDS
        .iter()
        .filter(|k| k.group == "rbac.authorization.k8s.io");
    list_kinds(client, rbac, &origin, "not read").await
}
