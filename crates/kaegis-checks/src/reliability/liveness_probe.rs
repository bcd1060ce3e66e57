//! KG701: Long-running containers should have a liveness probe.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use super::{PRODUCTION, k8s, missing_probe};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every regular container of a long-running workload should declare a
    /// `livenessProbe`. Long-running workloads are Deployments, StatefulSets,
    /// DaemonSets, ReplicaSets, ReplicationControllers and bare Pods whose
    /// `restartPolicy` is `Always` (the default).
    ///
    /// It does not fire on Jobs, CronJobs or Pods with `restartPolicy: Never`
    /// or `OnFailure` (batch work that is meant to end), on PodTemplates, on
    /// init or ephemeral containers (init containers must exit; sidecars
    /// declared as restartable init containers are not checked), nor on an
    /// object controlled by another one (`ownerReferences` with
    /// `controller: true`, as a ReplicaSet of a Deployment in a cluster dump):
    /// the finding belongs to the owner.
    ///
    /// ## Why
    /// A process can hang without exiting: a deadlock, a stuck event loop, an
    /// exhausted connection pool. Without a liveness probe the kubelet only
    /// restarts a container whose process exits, so a wedged replica keeps
    /// its place — and, if it still passes its readiness probe, its share of
    /// the traffic — until someone notices.
    ///
    /// A liveness probe must test the process itself, not its dependencies:
    /// a probe that fails when the database is down restarts every replica at
    /// once and turns an outage of one component into an outage of all.
    ///
    /// ## How to fix
    /// Probe a cheap endpoint that only the process's own health decides,
    /// with a threshold generous enough to ride out a slow moment:
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.4.2
    ///   livenessProbe:
    ///     httpGet:
    ///       path: /livez
    ///       port: 8080
    ///     periodSeconds: 10
    ///     failureThreshold: 3
    /// ```
    pub struct LivenessProbe {
        code: "KG701",
        slug: "liveness-probe",
        title: "Long-running containers should have a liveness probe",
        severity: Severity::Low,
        area: Area::Reliability,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: PRODUCTION,
        references: &[k8s(
            "Configure liveness, readiness and startup probes",
            "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
        )],
    }
}

impl LivenessProbe {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        missing_probe(obj, "livenessProbe", out);
    }
}
