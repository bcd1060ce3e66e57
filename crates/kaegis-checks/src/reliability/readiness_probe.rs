//! KG702: Long-running containers should have a readiness probe.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use super::{PRODUCTION, k8s, missing_probe};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every regular container of a long-running workload should declare a
    /// `readinessProbe`. Long-running workloads are Deployments, StatefulSets,
    /// DaemonSets, ReplicaSets, ReplicationControllers and bare Pods whose
    /// `restartPolicy` is `Always` (the default).
    ///
    /// DaemonSets are included even when nothing sends them traffic: a
    /// rolling update of a DaemonSet moves on to the next node when the new
    /// pod is *ready*, so without a probe a broken agent version rolls out to
    /// every node before anyone sees it fail.
    ///
    /// It does not fire on Jobs, CronJobs or Pods with `restartPolicy: Never`
    /// or `OnFailure`, on PodTemplates, on init or ephemeral containers, nor
    /// on an object controlled by another one (`ownerReferences` with
    /// `controller: true`): the finding belongs to the owner.
    ///
    /// ## Why
    /// Without a readiness probe a container is ready as soon as its process
    /// starts: Services send it requests before it has loaded its
    /// configuration, warmed its caches or connected to its backends, and a
    /// rolling update replaces old pods with new ones that may not work at
    /// all. The readiness probe is what lets a rollout stop on a bad version
    /// and what takes an overloaded replica out of rotation.
    ///
    /// ## How to fix
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: registry.example.com/app:1.4.2
    ///   readinessProbe:
    ///     httpGet:
    ///       path: /readyz
    ///       port: 8080
    ///     periodSeconds: 5
    /// ```
    pub struct ReadinessProbe {
        code: "KG702",
        slug: "readiness-probe",
        title: "Long-running containers should have a readiness probe",
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

impl ReadinessProbe {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        missing_probe(obj, "readinessProbe", out);
    }
}
