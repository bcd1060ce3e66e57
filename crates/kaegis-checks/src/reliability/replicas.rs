//! KG703: Deployments and StatefulSets should run more than one replica.
use kaegis_core::{Area, Context, JsonPath, Object, Scope, Severity, Violation, namespace_key};

use super::{PRODUCTION, controlled, is_replicated, k8s, replicas};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A Deployment or StatefulSet should run at least `minReplicas` replicas
    /// (parameter, default 2). `spec.replicas` absent means 1, the API's
    /// default. A HorizontalPodAutoscaler of the same scan that targets the
    /// object (`scaleTargetRef` kind and name, same namespace) with a
    /// `minReplicas` of at least the minimum satisfies the check whatever
    /// `spec.replicas` says.
    ///
    /// It does not fire on `replicas: 0`, an intentional scale-down (a
    /// suspended environment, a standby copy), on a replica count kaegis
    /// cannot read (a template placeholder), nor on an object controlled by
    /// another one (`ownerReferences` with `controller: true`).
    ///
    /// A namespace holding a KEDA `ScaledObject` in the scan is left alone:
    /// KEDA creates its HorizontalPodAutoscaler at run time, and which
    /// workload it scales is not read. A Deployment that leaves
    /// `spec.replicas` out because an autoscaler outside the scan manages it
    /// is reported: scan the autoscaler together with the Deployment, or
    /// waive the finding.
    ///
    /// ## Why
    /// A single replica is a single point of failure. A node failure, a node
    /// drain during a cluster upgrade, an eviction under memory pressure or
    /// a crash loop makes the workload unavailable until a new pod is
    /// scheduled, pulled and ready — and a rollout of a single-replica
    /// Deployment either runs two pods briefly or none at all.
    ///
    /// ## How to fix
    /// Run at least two replicas (and spread them across nodes, see
    /// `topology-spread`), or let an autoscaler keep a floor of two:
    /// ```yaml
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: web
    /// spec:
    ///   scaleTargetRef:
    ///     apiVersion: apps/v1
    ///     kind: Deployment
    ///     name: web
    ///   minReplicas: 2
    ///   maxReplicas: 10
    ///   metrics:
    ///   - type: Resource
    ///     resource:
    ///       name: cpu
    ///       target:
    ///         type: Utilization
    ///         averageUtilization: 70
    /// ```
    pub struct Replicas {
        code: "KG703",
        slug: "replicas",
        title: "Deployments and StatefulSets should run more than one replica",
        severity: Severity::Medium,
        area: Area::Reliability,
        profiles: PRODUCTION,
        references: &[k8s(
            "Running multiple instances of your app",
            "https://kubernetes.io/docs/tutorials/kubernetes-basics/scale/scale-intro/",
        )],
        scope: Scope::Inventory,
        kinds: &["Deployment", "StatefulSet"],
    }
}

impl Replicas {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(inventory) = ctx.inventory else {
            return;
        };
        if !is_replicated(obj) || controlled(obj) {
            return;
        }
        let Some(count) = replicas(obj) else {
            return;
        };
        let min = ctx.settings.min_replicas;
        if count == 0 || count >= min {
            return;
        }
        let ns = namespace_key(obj);
        // KEDA drives replicas through an HPA of its own, created at run
        // time; which workload a ScaledObject targets is not in the
        // inventory, so a namespace with one is left alone.
        if inventory.has_kind(ns, "ScaledObject") {
            return;
        }
        let kind = &obj.id.kind;
        let hpa = inventory.autoscaler_for(ns, kind, &obj.id.name);
        if hpa.is_some_and(|h| h.min_replicas >= min) {
            return;
        }
        let written = obj
            .root
            .get_path(&["spec", "replicas"])
            .is_some_and(|n| !n.is_null());
        let replicas = if !written {
            "leaves spec.replicas unset (1 replica)".to_owned()
        } else if count == 1 {
            "runs a single replica".to_owned()
        } else {
            format!("runs only {count} replicas")
        };
        let message = match hpa {
            Some(h) => format!(
                "{kind} {replicas} and its HorizontalPodAutoscaler keeps only minReplicas {} (fewer than {min})",
                h.min_replicas
            ),
            None => format!(
                "{kind} {replicas}, fewer than {min}, and no HorizontalPodAutoscaler scales it"
            ),
        };
        out.push(Violation::new(
            JsonPath::root().keys(&["spec", "replicas"]),
            message,
        ));
    }
}
