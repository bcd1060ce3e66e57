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

use kaegis_core::node::{Entry, Value as NodeValue};
use kaegis_core::{Diagnostic, DiagnosticLevel, Node, Object, Origin, Pos};
use kube::Client;
use kube::api::ListParams;

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

/// The collection's path: `/api/v1/pods`, `/apis/apps/v1/deployments`.
fn collection_path(kind: &Kind) -> String {
    if kind.group.is_empty() {
        format!("/api/{}/{}", kind.version, kind.plural)
    } else {
        format!("/apis/{}/{}/{}", kind.group, kind.version, kind.plural)
    }
}

fn text_node(text: &str) -> Node {
    Node::quoted_scalar(Pos::default(), text)
}

/// One item of a list response as the object kaegis reads: `apiVersion`
/// and `kind` set (list items carry neither; metadata-only items say
/// `PartialObjectMetadata`), without `metadata.managedFields` and — but
/// for Nodes, whose kubelet version a check reads — without `status`,
/// which no check reads.
fn list_item(mut item: Node, api_version: &str, kind: &str) -> Node {
    if let NodeValue::Map(entries) = &mut item.value {
        entries.retain(|e| {
            !matches!(&*e.key, "apiVersion" | "kind") && (&*e.key != "status" || kind == "Node")
        });
        for e in entries.iter_mut() {
            if &*e.key == "metadata"
                && let NodeValue::Map(meta) = &mut e.value.value
            {
                meta.retain(|m| &*m.key != "managedFields");
            }
        }
        for (i, (key, value)) in [("apiVersion", api_version), ("kind", kind)]
            .into_iter()
            .enumerate()
        {
            entries.insert(
                i,
                Entry {
                    key: key.into(),
                    key_pos: Pos::default(),
                    value: text_node(value),
                },
            );
        }
    }
    item
}

/// Lists one kind, page by page, reading each response straight into
/// kaegis's own tree (no intermediate typed or `serde_json` objects: at
/// 10,000 objects those conversions cost more than the checks). Secrets:
/// metadata only.
async fn list_kind(client: &Client, kind: &Kind, origin: &Origin) -> Result<Vec<Object>, String> {
    let api_version = if kind.group.is_empty() {
        kind.version.to_owned()
    } else {
        format!("{}/{}", kind.group, kind.version)
    };
    let request = kube::core::Request::new(collection_path(kind));
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(PAGE);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = if kind.plural == "secrets" {
            request.list_metadata(&lp)
        } else {
            request.list(&lp)
        }
        .map_err(|e| e.to_string())?;
        let text = with_retries(|| client.request_text(page.clone()))
            .await
            .map_err(|e| reason(&e))?;
        let root = kaegis_inputs::json::parse_json(&text)
            .map_err(|e| format!("the API server's answer is not JSON: {e}"))?;
        drop(text);
        let next = root
            .get_path(&["metadata", "continue"])
            .and_then(Node::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let NodeValue::Map(entries) = root.value else {
            return Err("the API server's answer is not a list".to_owned());
        };
        for e in entries {
            if &*e.key != "items" {
                continue;
            }
            if let NodeValue::Seq(items) = e.value.value {
                out.extend(items.into_iter().filter_map(|item| {
                    Object::from_root(list_item(item, &api_version, kind.kind), origin.clone())
                }));
            }
        }
        match next {
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
            Err(mut reason) => {
                if kind.plural == "secrets" && reason.starts_with("forbidden") {
                    // The shipped read-only role leaves Secrets out on purpose.
                    reason.push_str(
                        " (by design for a read-only audit role: listing Secrets, even as metadata, needs `list` on secrets, which returns their data; the secret-rotation check did not run)",
                    );
                }
                listing.notes.push(note(format!(
                    "{missing}: {}: {reason}",
                    resource_name(kind)
                )));
            }
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
        Ok(info) => listing
            .objects
            .extend(kaegis_inputs::json::object_from_value(
                &serde_json::json!({
                    "apiVersion": "kaegis.dev/v1",
                    "kind": "ClusterVersion",
                    "metadata": { "name": "cluster" },
                    "spec": { "gitVersion": info.git_version, "platform": info.platform },
                }),
                origin.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_become_objects_without_bookkeeping() {
        let text = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"continue":""},"items":[
          {"metadata":{"name":"a","namespace":"n","managedFields":[{"manager":"kubectl"}],"labels":{"x":"y"}},
           "spec":{"containers":[{"name":"c","image":"i"}]},"status":{"phase":"Pending"}}]}"#;
        let root = kaegis_inputs::json::parse_json(text).unwrap();
        let item = root.get("items").unwrap().items()[0].clone();
        let obj =
            Object::from_root(list_item(item, "v1", "Pod"), Origin::Other("t".into())).unwrap();
        assert_eq!(obj.id.kind, "Pod");
        assert_eq!(obj.id.api_version, "v1");
        assert_eq!(obj.id.namespace.as_deref(), Some("n"));
        assert!(obj.root.get_path(&["metadata", "managedFields"]).is_none());
        assert!(obj.root.get_path(&["metadata", "labels", "x"]).is_some());
        assert!(obj.root.get("status").is_none());
        assert!(obj.root.get_path(&["spec", "containers"]).is_some());

        // A Node keeps its status; a metadata-only item takes the listed kind.
        let node = kaegis_inputs::json::parse_json(
            r#"{"metadata":{"name":"w"},"status":{"nodeInfo":{"kubeletVersion":"v1.37.0"}}}"#,
        )
        .unwrap();
        let node = list_item(node, "v1", "Node");
        assert!(node.get_path(&["status", "nodeInfo"]).is_some());
        let meta = kaegis_inputs::json::parse_json(
            r#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"s"}}"#,
        )
        .unwrap();
        let meta = list_item(meta, "v1", "Secret");
        assert_eq!(meta.get("kind").and_then(Node::as_str), Some("Secret"));
        assert_eq!(meta.get("apiVersion").and_then(Node::as_str), Some("v1"));
        assert_eq!(meta.entries().len(), 3);
    }
}
