//! KD304: a pod or workload created (or changed) to run privileged, mount
//! the host's filesystem, or share the host's namespaces.
use kaegis_core::Severity;
use serde_json::Value;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::rules::workload::{Workload, workload_of};

/// The fact under which what was last reported per workload is kept, so
/// that a re-apply of the same privileged workload does not alert again.
const REPORTED: &str = "privileged-workloads";

/// Host paths that hand over the node: its root, its configuration, the
/// kubelet's and the container runtime's state and sockets.
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/home",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/run",
    "/run",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/etc/kubernetes",
];

declare_rule! {
    /// ## What
    /// Alerts when a Pod is created, or a workload with a pod template
    /// (Deployment, DaemonSet, StatefulSet, ReplicaSet,
    /// ReplicationController, Job, CronJob) is created, updated or patched,
    /// and its pod spec asks for one of:
    /// - a `privileged` container (init and ephemeral containers too);
    /// - a `hostPath` volume;
    /// - `hostNetwork`, `hostPID` or `hostIPC`.
    ///
    /// The alert names what it found (`privileged container shell, hostPath
    /// /`). Privileged containers, `hostPID` and host paths that expose the
    /// node (`/`, `/etc`, `/proc`, `/var/lib/kubelet`, the container
    /// runtime's socket…) are high severity; other host paths and host
    /// namespaces medium. Pods created by the control plane (a controller
    /// for a workload already judged, a kubelet's mirror pod of a static
    /// pod) are not reported, and a workload re-applied with the same
    /// findings alerts only once. The rule reads the request body, so pods
    /// and workloads must be logged at level `Request`; a JSON patch is
    /// judged by the values it sets.
    ///
    /// ## Why
    /// Each of these removes the wall between a container and its node. A
    /// privileged container can load kernel modules and mount the host's
    /// disks; a `hostPath` of `/` is the node's filesystem, kubelet
    /// credentials included; `hostPID` shows (and with enough privilege
    /// enters) every process of the node; `hostNetwork` puts the pod on the
    /// node's interfaces, past NetworkPolicies. Creating such a pod is the
    /// standard escape to the host — one `kubectl run` with the right
    /// overrides — and from a node an attacker reaches every pod on it.
    ///
    /// ## How to respond
    /// If the workload is not a known node agent (CNI, storage driver, log
    /// collector), delete it and investigate the identity that created it;
    /// check the node it ran on for changes. Enforce the Pod Security
    /// Standards so only namespaces meant for node agents may run such
    /// pods:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: web
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/enforce-version: latest
    /// ```
    pub struct PrivilegedWorkload {
        code: "KD304",
        slug: "privileged-workload",
        title: "A privileged, hostPath or host-namespace pod or workload was created",
        severity: Severity::Medium,
        tactic: "Privilege Escalation",
        mitre: &[
            Technique { id: "T1611", name: "Escape to Host" },
            Technique { id: "T1610", name: "Deploy Container" },
        ],
        needs: &[
            Need { group: "", resources: &["pods"], verbs: &["create"], level: Level::Request },
            Need { group: "", resources: &["replicationcontrollers"], verbs: &["create", "update", "patch"], level: Level::Request },
            Need { group: "apps", resources: &["deployments", "daemonsets", "statefulsets", "replicasets"], verbs: &["create", "update", "patch"], level: Level::Request },
            Need { group: "batch", resources: &["jobs", "cronjobs"], verbs: &["create", "update", "patch"], level: Level::Request },
        ],
    }
}

/// What a pod spec asks of the host.
#[derive(Debug, Default)]
struct HostAccess {
    findings: Vec<String>,
    high: bool,
}

impl HostAccess {
    fn add(&mut self, s: String, high: bool) {
        self.high |= high;
        if !self.findings.contains(&s) {
            self.findings.push(s);
        }
    }

    fn host_path(&mut self, path: &str) {
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            p => p,
        };
        let high = SENSITIVE_HOST_PATHS.contains(&trimmed);
        self.add(format!("hostPath {path}"), high);
    }

    fn host_namespace(&mut self, key: &str) {
        self.add(key.to_owned(), key == "hostPID");
    }

    fn pod_spec(&mut self, spec: &Value) {
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            if spec.get(key).and_then(Value::as_bool) == Some(true) {
                self.host_namespace(key);
            }
        }
        for v in spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(hp) = v.get("hostPath") {
                self.host_path(hp.get("path").and_then(Value::as_str).unwrap_or(""));
            }
        }
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for c in spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.container(c);
            }
        }
    }

    fn container(&mut self, c: &Value) {
        if c.pointer("/securityContext/privileged")
            .and_then(Value::as_bool)
            == Some(true)
        {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
            self.add(format!("privileged container {name}"), true);
        }
    }

    /// A JSON patch: the operations that set the pod spec's fields.
    fn json_patch(&mut self, ops: &[Value], w: &Workload) {
        let base = w.pod_spec_pointer();
        for op in ops {
            let (Some(path), Some(value)) =
                (op.get("path").and_then(Value::as_str), op.get("value"))
            else {
                continue;
            };
            if !matches!(
                op.get("op").and_then(Value::as_str),
                Some("add" | "replace")
            ) {
                continue;
            }
            let Some(rel) = path.strip_prefix(base.as_str()) else {
                continue;
            };
            let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                [] => self.pod_spec(value),
                [key @ ("hostNetwork" | "hostPID" | "hostIPC")]
                    if value.as_bool() == Some(true) =>
                {
                    self.host_namespace(key)
                }
                ["volumes"] => self.pod_spec(&wrap("volumes", value)),
                ["volumes", _] => {
                    if let Some(hp) = value.get("hostPath") {
                        self.host_path(hp.get("path").and_then(Value::as_str).unwrap_or(""));
                    }
                }
                [list @ ("containers" | "initContainers" | "ephemeralContainers")] => {
                    self.pod_spec(&wrap(list, value))
                }
                ["containers" | "initContainers" | "ephemeralContainers", _] => {
                    self.container(value)
                }
                [
                    "containers" | "initContainers" | "ephemeralContainers",
                    _,
                    "securityContext",
                ] => self.container(&wrap("securityContext", value)),
                [
                    "containers" | "initContainers" | "ephemeralContainers",
                    _,
                    "securityContext",
                    "privileged",
                ] if value.as_bool() == Some(true) => {
                    self.add("privileged container".to_owned(), true)
                }
                _ => {}
            }
        }
    }
}

/// `{key: value}`.
fn wrap(key: &str, value: &Value) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(key.to_owned(), value.clone());
    Value::Object(map)
}

impl PrivilegedWorkload {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        if !matches!(verb, "create" | "update" | "patch") || ev.request_object.is_none() {
            return;
        }
        let Some(w) = workload_of(ev.api_group(), ev.resource(), ev.subresource()) else {
            return;
        };
        // A pod's spec cannot gain these fields after creation.
        if (w.resource == "pods" && verb != "create") || !ev.succeeded() {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let Some(body) = ev.request_json() else {
            return;
        };
        let mut found = HostAccess::default();
        match &body {
            Value::Array(ops) => found.json_patch(ops, w),
            obj => {
                if let Some(spec) = w.pod_spec(obj) {
                    found.pod_spec(spec);
                }
            }
        }
        if found.findings.is_empty() {
            return;
        }
        let ns = ev.namespace();
        let name = ev.name_in(&body).unwrap_or("(generated name)");
        let what = found.findings.join(", ");
        let key = format!("{}/{ns}/{name}", w.resource);
        if w.resource != "pods" {
            // Alert when a workload gains something, not on every re-apply.
            let fact = format!("{key}\0{what}");
            if cx.state.fact(REPORTED, &fact) {
                return;
            }
            cx.state.set_fact(REPORTED, &fact, true);
        }
        let did = match verb {
            "create" => "created",
            "update" => "updated",
            _ => "patched",
        };
        let mut hit = Hit::new(
            format!(
                "{} {did} {} {ns}/{name} with {what}",
                ev.acting_user().username,
                w.kind
            ),
            key,
        );
        if found.high {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
