//! Kubernetes objects as the engine sees them: a root [`Node`] plus where it
//! came from.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::node::{Node, Pos};
use crate::path::JsonPath;

/// Where an object came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file (or `-` for standard input).
    File {
        /// The path as given or discovered (`<stdin>` for standard input).
        path: Arc<Path>,
        /// The 0-based index of the YAML document in the file.
        document: u32,
        /// The index inside a `kind: List` document, if any.
        list_item: Option<u32>,
    },
    /// Anything without a file: a request, an API object.
    Other(Arc<str>),
}

impl Origin {
    /// The file path, if the object came from a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::File { path, .. } => Some(path),
            Origin::Other(_) => None,
        }
    }
}

/// The identity of an object: what a user searches for in their repository
/// or cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ObjectId {
    /// `apiVersion`, e.g. `apps/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.namespace`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name` (or `generateName` followed by `*`).
    pub name: String,
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Cluster-scoped kinds kaegis knows (Kubernetes' built-in ones, and
/// ClusterPolicyReport): a `metadata.namespace` on them is ignored by the API
/// server.
pub const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ComponentStatus",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "VolumeAttributesClass",
    "CustomResourceDefinition",
    "APIService",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "ClusterTrustBundle",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "IPAddress",
    "ServiceCIDR",
    "DeviceClass",
    "TokenReview",
    "SubjectAccessReview",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "SelfSubjectReview",
    "ClusterPolicyReport",
    // kaegis's own records of a live cluster (`kaegis cluster`): its version
    // and what an unauthenticated client can read.
    "ClusterVersion",
    "AnonymousAccess",
];

impl ObjectId {
    /// True for an object that lives outside namespaces: a kind of
    /// [`CLUSTER_SCOPED_KINDS`], or a legacy ABAC `Policy` (a line of the API
    /// server's policy file).
    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED_KINDS.contains(&self.kind.as_str())
            || (self.kind == "Policy"
                && self
                    .api_version
                    .starts_with("abac.authorization.kubernetes.io/"))
    }
}

/// One Kubernetes object.
#[derive(Clone, Debug)]
pub struct Object {
    /// Identity (apiVersion, kind, namespace, name).
    pub id: ObjectId,
    /// The whole object.
    pub root: Node,
    /// Where it came from.
    pub origin: Origin,
}

impl Object {
    /// Builds an object from a root mapping that has `apiVersion` and `kind`;
    /// `None` for anything else.
    pub fn from_root(root: Node, origin: Origin) -> Option<Self> {
        let api_version = root.get("apiVersion")?.as_str()?.to_owned();
        let kind = root.get("kind")?.as_str()?.to_owned();
        if kind.is_empty() || api_version.is_empty() {
            return None;
        }
        let meta = root.get("metadata");
        let text = |k: &str| meta.and_then(|m| m.get(k)).and_then(Node::as_str);
        let name = match (text("name"), text("generateName")) {
            (Some(n), _) => n.to_owned(),
            (None, Some(g)) => format!("{g}*"),
            (None, None) => String::new(),
        };
        let namespace = text("namespace").map(str::to_owned);
        Some(Self {
            id: ObjectId {
                api_version,
                kind,
                namespace,
                name,
            },
            root,
            origin,
        })
    }

    /// The API group, empty for the core group.
    pub fn group(&self) -> &str {
        self.id
            .api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// Position of the value at `path` (or its nearest existing parent).
    pub fn locate(&self, path: &JsonPath) -> Pos {
        self.root.locate(path).0
    }

    /// The file the object came from, for messages.
    pub fn file(&self) -> Option<PathBuf> {
        self.origin.path().map(Path::to_path_buf)
    }

    /// `metadata.annotations[key]`.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .get_path(&["metadata", "annotations", key])
            .and_then(Node::as_str)
    }
}
