//! Typed views over objects: the pod spec of any workload kind, and its
//! containers of every kind.

use crate::node::{Entry, Node};
use crate::object::Object;
use crate::path::JsonPath;

/// The pod spec (and pod metadata) inside any workload object: Pod,
/// PodTemplate, ReplicationController, Deployment, ReplicaSet, StatefulSet,
/// DaemonSet, Job and CronJob.
#[derive(Debug)]
pub struct PodSpecView<'a> {
    /// The pod spec mapping.
    pub spec: &'a Node,
    /// Path from the object root to the pod spec.
    pub spec_path: JsonPath,
    /// The pod's metadata (the object's own for a Pod, the template's for
    /// controllers), if present.
    pub metadata: Option<&'a Node>,
    /// Path from the object root to that metadata.
    pub metadata_path: JsonPath,
}

/// Which list a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// `spec.initContainers`.
    Init,
    /// `spec.containers`.
    Regular,
    /// `spec.ephemeralContainers`.
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field holding this kind of container.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// A word for messages.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone, Copy)]
pub struct ContainerView<'a> {
    /// The container mapping.
    pub node: &'a Node,
    /// Which list it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    spec_path: &'a JsonPath,
}

impl<'a> ContainerView<'a> {
    /// `name`, or empty.
    pub fn name(&self) -> &'a str {
        self.node.get("name").and_then(Node::as_str).unwrap_or("")
    }

    /// The path from the object root to this container.
    pub fn path(&self) -> JsonPath {
        self.spec_path.key(self.kind.field()).index(self.index)
    }

    /// The path to a field of this container's securityContext.
    pub fn security_context_path(&self, field: &str) -> JsonPath {
        self.path().key("securityContext").key(field)
    }

    /// `securityContext`, if present.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.node.get("securityContext")
    }

    /// A field of the container's securityContext.
    pub fn sc(&self, field: &str) -> Option<&'a Node> {
        self.security_context().and_then(|sc| sc.get(field))
    }

    /// "container \"app\"" for messages.
    pub fn describe(&self) -> String {
        format!("{} \"{}\"", self.kind.noun(), self.name())
    }
}

impl<'a> PodSpecView<'a> {
    /// The pod spec of a workload object, or `None` when the object has no
    /// pod template (or is not a workload).
    pub fn of(obj: &'a Object) -> Option<Self> {
        let root = &obj.root;
        let group = obj.group();
        let (template_keys, core_only): (&[&str], bool) = match obj.id.kind.as_str() {
            "Pod" => (&[], true),
            "PodTemplate" => (&["template"], true),
            "ReplicationController" => (&["spec", "template"], true),
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
                (&["spec", "template"], false)
            }
            "CronJob" => (&["spec", "jobTemplate", "spec", "template"], false),
            _ => return None,
        };
        let group_ok = if core_only {
            group.is_empty()
        } else {
            matches!(group, "apps" | "extensions" | "batch")
        };
        if !group_ok {
            return None;
        }
        let template_path = JsonPath::root().keys(template_keys);
        let template = root.get_path(template_keys)?;
        let spec = template.get("spec")?;
        if !spec.is_map() {
            return None;
        }
        Some(Self {
            spec,
            spec_path: template_path.key("spec"),
            metadata: template.get("metadata"),
            metadata_path: template_path.key("metadata"),
        })
    }

    /// A field of the pod spec.
    pub fn field(&self, key: &str) -> Option<&'a Node> {
        self.spec.get(key)
    }

    /// The path to a field of the pod spec.
    pub fn path(&self, key: &str) -> JsonPath {
        self.spec_path.key(key)
    }

    /// A field of the pod-level securityContext.
    pub fn sc(&self, field: &str) -> Option<&'a Node> {
        self.spec.get_path(&["securityContext", field])
    }

    /// The path to a field of the pod-level securityContext.
    pub fn security_context_path(&self, field: &str) -> JsonPath {
        self.spec_path.key("securityContext").key(field)
    }

    /// Every container: init containers first, then containers, then
    /// ephemeral containers, as Kubernetes visits them.
    pub fn containers(&self) -> impl Iterator<Item = ContainerView<'_>> + '_ {
        [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |kind| {
            let list = self.spec.get(kind.field()).map_or(&[][..], Node::items);
            list.iter()
                .enumerate()
                .filter(|(_, node)| node.is_map())
                .map(move |(index, node)| ContainerView {
                    node,
                    kind,
                    index,
                    spec_path: &self.spec_path,
                })
        })
    }

    /// The pod's annotations.
    pub fn annotations(&self) -> &'a [Entry] {
        self.metadata
            .and_then(|m| m.get("annotations"))
            .map_or(&[], Node::entries)
    }

    /// One pod annotation.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata
            .and_then(|m| m.get_path(&["annotations", key]))
            .and_then(Node::as_str)
    }

    /// The path to one pod annotation.
    pub fn annotation_path(&self, key: &str) -> JsonPath {
        self.metadata_path.key("annotations").key(key)
    }

    /// `spec.volumes`.
    pub fn volumes(&self) -> &'a [Node] {
        self.spec.get("volumes").map_or(&[], Node::items)
    }

    /// True when `spec.os.name` is `windows`.
    pub fn is_windows(&self) -> bool {
        self.spec.get_path(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }
}

impl<'a> PodSpecView<'a> {
    /// The ServiceAccount the pod runs as: `serviceAccountName`, else the
    /// deprecated `serviceAccount`, else `default`.
    pub fn service_account_name(&self) -> &'a str {
        let named = |k: &str| {
            self.spec
                .get(k)
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
        };
        named("serviceAccountName")
            .or_else(|| named("serviceAccount"))
            .unwrap_or("default")
    }

    /// The pod template's labels (a Pod's own labels).
    pub fn labels(&self) -> crate::selector::Labels {
        crate::selector::Labels::of_metadata(self.metadata)
    }
}
