//! The resources that run containers: bare pods and the workload kinds
//! whose objects carry a pod template, with where that template sits.
//! Shared by the rules that judge what gets deployed.

use serde_json::Value;

/// A resource that runs containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The resource (plural, lower-case).
    pub resource: &'static str,
    /// The kind, for messages.
    pub kind: &'static str,
    /// JSON object keys from the object to its pod spec.
    pub pod_spec: &'static [&'static str],
}

/// Pods and every built-in workload kind.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        group: "",
        resource: "pods",
        kind: "Pod",
        pod_spec: &["spec"],
    },
    Workload {
        group: "",
        resource: "replicationcontrollers",
        kind: "ReplicationController",
        pod_spec: &["spec", "template", "spec"],
    },
    Workload {
        group: "apps",
        resource: "deployments",
        kind: "Deployment",
        pod_spec: &["spec", "template", "spec"],
    },
    Workload {
        group: "apps",
        resource: "daemonsets",
        kind: "DaemonSet",
        pod_spec: &["spec", "template", "spec"],
    },
    Workload {
        group: "apps",
        resource: "statefulsets",
        kind: "StatefulSet",
        pod_spec: &["spec", "template", "spec"],
    },
    Workload {
        group: "apps",
        resource: "replicasets",
        kind: "ReplicaSet",
        pod_spec: &["spec", "template", "spec"],
    },
    Workload {
        group: "batch",
        resource: "jobs",
        kind: "Job",
        pod_spec: &["spec", "template", "spec"],
    },
    Workload {
        group: "batch",
        resource: "cronjobs",
        kind: "CronJob",
        pod_spec: &["spec", "jobTemplate", "spec", "template", "spec"],
    },
];

/// The workload a request is about (main resource, no subresource).
pub fn workload_of(group: &str, resource: &str, subresource: &str) -> Option<&'static Workload> {
    if !subresource.is_empty() {
        return None;
    }
    WORKLOADS
        .iter()
        .find(|w| w.resource == resource && w.group == group)
}

impl Workload {
    /// The pod spec inside an object (or a merge patch) of this kind.
    pub fn pod_spec<'v>(&self, obj: &'v Value) -> Option<&'v Value> {
        self.pod_spec.iter().try_fold(obj, |v, k| v.get(*k))
    }

    /// The JSON Pointer of the pod spec (`/spec/template/spec`), for JSON
    /// patches.
    pub fn pod_spec_pointer(&self) -> String {
        self.pod_spec.iter().map(|k| format!("/{k}")).collect()
    }
}
