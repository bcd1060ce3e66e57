//! Synthetic audit traffic for detection tests and benchmarks: events shaped
//! like the API server's (audit.k8s.io/v1, every stage a real log has), in
//! a realistic mix of kinds and sizes, deterministic for a seed.
//!
//! The benign mix is what a quiet production cluster logs: controllers and
//! kubelets reading and watching, kubelets renewing leases and patching node
//! status, events being recorded, a CI identity applying deployments, the
//! occasional 403 of a misconfigured client. None of it should alert.

use serde_json::{Value, json};

/// A small deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Formats microseconds since the epoch as the API server does.
pub fn timestamp(micros: i64) -> String {
    kaegis_core::time::format_rfc3339_micros(micros)
}

/// 2026-11-23T00:00:00Z in microseconds.
pub const T0: i64 = 1_795_392_000 * 1_000_000;

/// One request's shape, before it becomes events.
#[derive(Debug, Clone)]
pub struct Request {
    /// The audit ID.
    pub id: String,
    /// The verb.
    pub verb: &'static str,
    /// The user name.
    pub user: String,
    /// The user's groups.
    pub groups: Vec<&'static str>,
    /// The source address.
    pub ip: String,
    /// The user agent.
    pub agent: &'static str,
    /// API group, version, resource, subresource, namespace, name.
    pub object: (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        String,
        String,
    ),
    /// Response code.
    pub code: u16,
    /// The level (Metadata, Request, RequestResponse).
    pub level: &'static str,
    /// The request body.
    pub request: Option<Value>,
    /// The response body.
    pub response: Option<Value>,
    /// When it arrived (µs since the epoch).
    pub time: i64,
}

impl Request {
    fn uri(&self) -> String {
        let (group, version, resource, sub, ns, name) = &self.object;
        let mut uri = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        if !ns.is_empty() {
            uri += &format!("/namespaces/{ns}");
        }
        uri += &format!("/{resource}");
        if !name.is_empty() && self.verb != "create" || !sub.is_empty() {
            uri += &format!("/{name}");
        }
        if !sub.is_empty() {
            uri += &format!("/{sub}");
        }
        if self.verb == "watch" {
            uri += "?allowWatchBookmarks=true&resourceVersion=12345&timeout=8m12s&watch=true";
        } else if self.verb == "list" {
            uri += "?limit=500&resourceVersion=0";
        }
        uri
    }

    /// The request's audit events, one JSON line each: RequestReceived,
    /// ResponseStarted for watches and streams (exec, attach,
    /// port-forward), and ResponseComplete.
    pub fn lines(&self) -> Vec<String> {
        let (group, version, resource, sub, ns, name) = &self.object;
        let mut object_ref = json!({"resource": resource, "apiVersion": version});
        if !group.is_empty() {
            object_ref["apiGroup"] = json!(group);
            object_ref["apiVersion"] = json!(version);
        }
        if !ns.is_empty() {
            object_ref["namespace"] = json!(ns);
        }
        if !name.is_empty() {
            object_ref["name"] = json!(name);
        }
        if !sub.is_empty() {
            object_ref["subresource"] = json!(sub);
        }
        let status = if self.code < 300 {
            json!({"metadata": {}, "code": self.code})
        } else {
            json!({"metadata": {}, "status": "Failure", "message": format!("{resource} is forbidden: User \"{}\" cannot {} resource \"{resource}\"", self.user, self.verb), "reason": "Forbidden", "details": {"kind": resource}, "code": self.code})
        };
        let decision = if self.code == 403 { "forbid" } else { "allow" };
        let base = |stage: &str, at: i64| {
            let mut e = json!({
                "kind": "Event",
                "apiVersion": "audit.k8s.io/v1",
                "level": self.level,
                "auditID": self.id,
                "stage": stage,
                "requestURI": self.uri(),
                "verb": self.verb,
                "user": {"username": self.user, "groups": self.groups},
                "sourceIPs": [self.ip],
                "userAgent": self.agent,
                "objectRef": object_ref,
                "requestReceivedTimestamp": timestamp(self.time),
                "stageTimestamp": timestamp(at),
            });
            if stage != "RequestReceived" {
                e["responseStatus"] = status.clone();
                e["annotations"] = json!({
                    "authorization.k8s.io/decision": decision,
                    "authorization.k8s.io/reason": if decision == "allow" { "RBAC: allowed by ClusterRoleBinding \"system:controller\" of ClusterRole \"system:controller\"" } else { "" },
                });
            }
            if self.level != "Metadata"
                && let Some(r) = &self.request
            {
                e["requestObject"] = r.clone();
            }
            if self.level == "RequestResponse"
                && stage == "ResponseComplete"
                && let Some(r) = &self.response
            {
                e["responseObject"] = r.clone();
            }
            e.to_string()
        };
        let mut out = vec![base("RequestReceived", self.time)];
        // Long-running requests: watches and streams.
        if self.verb == "watch" || matches!(self.object.3, "exec" | "attach" | "portforward") {
            out.push(base("ResponseStarted", self.time + 900));
        }
        out.push(base("ResponseComplete", self.time + 1_800));
        out
    }
}

/// Benign cluster traffic.
#[derive(Debug, Clone)]
pub struct Traffic {
    rng: Rng,
    /// The next request's time (µs).
    pub time: i64,
    /// Mean time between requests (µs).
    pub step: i64,
    seq: u64,
    nodes: u64,
}

const CONTROLLERS: &[&str] = &[
    "replicaset-controller",
    "deployment-controller",
    "endpointslice-controller",
    "namespace-controller",
    "job-controller",
    "daemon-set-controller",
];
const NAMESPACES: &[&str] = &["web", "api", "payments", "monitoring", "batch"];

impl Traffic {
    /// Traffic from `seed`, starting at [`T0`], about 200 requests a second.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            time: T0,
            step: 5_000,
            seq: 0,
            nodes: 20,
        }
    }

    fn id(&mut self) -> String {
        self.seq += 1;
        let r = self.rng.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (r >> 32) as u32,
            (r >> 16) as u16,
            self.seq & 0xfff,
            (self.seq >> 12) & 0xfff,
            self.seq
        )
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.below(xs.len() as u64) as usize]
    }

    /// The next benign request.
    pub fn next_request(&mut self) -> Request {
        self.time += 1 + self.rng.below(2 * self.step as u64) as i64;
        let id = self.id();
        let node = format!("node-{}", self.rng.below(self.nodes));
        let ns = self.pick(NAMESPACES).to_owned();
        let roll = self.rng.below(100);
        let t = self.time;
        let mut req = Request {
            id,
            verb: "get",
            user: String::new(),
            groups: vec!["system:authenticated"],
            ip: format!("10.0.{}.{}", self.rng.below(4), 10 + self.rng.below(200)),
            agent: "kube-controller-manager/v1.37.2 (linux/amd64) kubernetes/abc1234/system:serviceaccount:kube-system:replicaset-controller",
            object: ("", "v1", "pods", "", ns.clone(), String::new()),
            code: 200,
            level: "Metadata",
            request: None,
            response: None,
            time: t,
        };
        match roll {
            // Controllers reading and watching.
            0..=39 => {
                let c = self.pick(CONTROLLERS);
                req.user = format!("system:serviceaccount:kube-system:{c}");
                req.groups = vec![
                    "system:serviceaccounts",
                    "system:serviceaccounts:kube-system",
                    "system:authenticated",
                ];
                req.verb = ["get", "list", "watch"][self.rng.below(3) as usize];
                let res =
                    self.pick(&["pods", "replicasets", "endpoints", "services", "configmaps"]);
                let group = if res == "replicasets" { "apps" } else { "" };
                req.object = (
                    group,
                    "v1",
                    res,
                    "",
                    ns,
                    if req.verb == "get" {
                        format!("{res}-{}", self.rng.below(50))
                    } else {
                        String::new()
                    },
                );
            }
            // Kubelets: node status, leases, their pods' secrets and config maps.
            40..=59 => {
                req.user = format!("system:node:{node}");
                req.groups = vec!["system:nodes", "system:authenticated"];
                req.agent = "kubelet/v1.37.2 (linux/amd64) kubernetes/abc1234";
                match self.rng.below(4) {
                    0 => {
                        req.verb = "patch";
                        req.level = "Request";
                        req.object = ("", "v1", "nodes", "status", String::new(), node.clone());
                        req.request = Some(json!({"status": {"conditions": [
                            {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": timestamp(t), "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available"},
                            {"type": "DiskPressure", "status": "False", "lastHeartbeatTime": timestamp(t), "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure"},
                            {"type": "PIDPressure", "status": "False", "lastHeartbeatTime": timestamp(t), "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available"},
                            {"type": "Ready", "status": "True", "lastHeartbeatTime": timestamp(t), "reason": "KubeletReady", "message": "kubelet is posting ready status"}
                        ]}}));
                    }
                    1 => {
                        req.verb = "update";
                        req.level = "RequestResponse";
                        req.object = (
                            "coordination.k8s.io",
                            "v1",
                            "leases",
                            "",
                            "kube-node-lease".into(),
                            node.clone(),
                        );
                        let lease = json!({"kind": "Lease", "apiVersion": "coordination.k8s.io/v1", "metadata": {"name": node, "namespace": "kube-node-lease", "resourceVersion": format!("{}", 1000 + self.seq)}, "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": timestamp(t)}});
                        req.request = Some(lease.clone());
                        req.response = Some(lease);
                    }
                    2 => {
                        req.verb = "get";
                        req.object = (
                            "",
                            "v1",
                            "secrets",
                            "",
                            ns,
                            format!("app-tls-{}", self.rng.below(5)),
                        );
                    }
                    _ => {
                        req.verb = "watch";
                        req.object = ("", "v1", "configmaps", "", ns, String::new());
                    }
                }
            }
            // Events recorded.
            60..=74 => {
                req.user = "system:serviceaccount:kube-system:replicaset-controller".into();
                req.groups = vec![
                    "system:serviceaccounts",
                    "system:serviceaccounts:kube-system",
                    "system:authenticated",
                ];
                req.verb = "create";
                req.level = "Request";
                req.object = ("", "v1", "events", "", ns.clone(), String::new());
                req.request = Some(
                    json!({"kind": "Event", "apiVersion": "v1", "metadata": {"name": format!("web-{}.{:x}", self.rng.below(100), self.rng.next_u64()), "namespace": ns}, "involvedObject": {"kind": "ReplicaSet", "namespace": ns, "name": "web-7d9c", "apiVersion": "apps/v1"}, "reason": "SuccessfulCreate", "message": "Created pod: web-7d9c-x2x8q", "source": {"component": "replicaset-controller"}, "firstTimestamp": timestamp(t), "lastTimestamp": timestamp(t), "count": 1, "type": "Normal"}),
                );
            }
            // Leader election of the control plane.
            75..=84 => {
                let who = self.pick(&["kube-controller-manager", "kube-scheduler"]);
                req.user = format!("system:{who}");
                req.verb = "update";
                req.level = "RequestResponse";
                req.object = (
                    "coordination.k8s.io",
                    "v1",
                    "leases",
                    "",
                    "kube-system".into(),
                    who.to_owned(),
                );
                let lease = json!({"kind": "Lease", "apiVersion": "coordination.k8s.io/v1", "metadata": {"name": who, "namespace": "kube-system"}, "spec": {"holderIdentity": format!("cp-0_{:x}", self.rng.next_u64()), "leaseDurationSeconds": 15, "acquireTime": timestamp(T0), "renewTime": timestamp(t), "leaseTransitions": 3}});
                req.request = Some(lease.clone());
                req.response = Some(lease);
            }
            // CI applying a deployment (a big request body).
            85..=89 => {
                req.user = "system:serviceaccount:ci:deployer".into();
                req.groups = vec![
                    "system:serviceaccounts",
                    "system:serviceaccounts:ci",
                    "system:authenticated",
                ];
                req.agent = "kubectl/v1.37.0 (linux/amd64) kubernetes/abc1234";
                req.ip = "10.0.9.15".into();
                req.verb = "patch";
                req.level = "Request";
                let name = format!("svc-{}", self.rng.below(30));
                req.object = ("apps", "v1", "deployments", "", ns.clone(), name.clone());
                req.request = Some(deployment(&name, &ns, self.rng.below(1000)));
            }
            // Users reading.
            90..=96 => {
                req.user = format!("dev-{}@example.com", self.rng.below(12));
                req.groups = vec!["developers", "system:authenticated"];
                req.agent = "kubectl/v1.37.0 (darwin/arm64) kubernetes/abc1234";
                req.ip = format!("10.8.{}.{}", self.rng.below(4), 10 + self.rng.below(200));
                req.verb = self.pick(&["get", "list"]);
                let res = self.pick(&["pods", "services", "deployments"]);
                let group = if res == "deployments" { "apps" } else { "" };
                req.object = (group, "v1", res, "", ns, String::new());
            }
            // A misconfigured client's occasional 403.
            _ => {
                req.user = "system:serviceaccount:monitoring:exporter".into();
                req.groups = vec![
                    "system:serviceaccounts",
                    "system:serviceaccounts:monitoring",
                    "system:authenticated",
                ];
                req.agent = "exporter/2.1";
                req.ip = format!("10.1.{}.{}", self.rng.below(4), 10 + self.rng.below(200));
                req.verb = "list";
                req.object = ("", "v1", "nodes", "", String::new(), String::new());
                req.code = 403;
            }
        }
        req
    }
}

/// A Deployment as `kubectl apply` sends it (about 2–3 KB).
pub fn deployment(name: &str, ns: &str, revision: u64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop", "team": "payments"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": format!("{{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{{\"name\":\"{name}\",\"namespace\":\"{ns}\"}},\"spec\":{{\"replicas\":3}}}}")}},
        "spec": {"replicas": 3, "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": name}, "annotations": {"revision": revision.to_string()}},
                "spec": {"serviceAccountName": name, "automountServiceAccountToken": false,
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{"name": "app", "image": format!("registry.example.com/shop/{name}@sha256:{:064x}", revision),
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_HOST", "value": "db.payments.svc"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
                        "livenessProbe": {"httpGet": {"path": "/live", "port": "http"}, "periodSeconds": 10},
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}}}]}}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_is_deterministic_and_shaped_like_audit_events() {
        let mut a = Traffic::new(7);
        let mut b = Traffic::new(7);
        for _ in 0..200 {
            let (ra, rb) = (a.next_request(), b.next_request());
            assert_eq!(ra.lines(), rb.lines());
            for line in ra.lines() {
                let v: Value = serde_json::from_str(&line).unwrap();
                assert_eq!(v["apiVersion"], "audit.k8s.io/v1");
                assert!(v["requestURI"].as_str().unwrap().starts_with("/api"));
            }
        }
        assert_eq!(timestamp(T0), "2026-11-23T00:00:00.000000Z");
    }
}
