//! KD103: an ephemeral debug container added to a running pod.
use kaegis_core::Severity;
use serde_json::Value;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

declare_rule! {
    /// ## What
    /// Alerts when an ephemeral container is added to a running pod
    /// (`update` or `patch` on `pods/ephemeralcontainers`, what `kubectl
    /// debug POD --image=…` does) and the request succeeds. When the event
    /// carries the request body (level `Request`), the alert names the
    /// image of the container added last; the alert itself needs only
    /// `Metadata`. High severity in `kube-system` and `kube-public`.
    ///
    /// ## Why
    /// An ephemeral container runs an image of the caller's choice inside
    /// an existing pod: it shares the pod's network, can target another
    /// container's process namespace (`--target`) and so see its processes
    /// and files through `/proc`, and can mount the pod's volumes —
    /// ServiceAccount token and Secrets included. It is `kubectl exec`
    /// with the attacker's own toolbox, into a pod whose image has no
    /// shell, and it cannot be removed until the pod is deleted.
    ///
    /// ## How to respond
    /// Ask the user what they debugged. If it was not theirs, delete the
    /// pod (its workload re-creates it clean), treat the pod's token and
    /// mounted Secrets as disclosed, and check the image that was run.
    /// Keep `pods/ephemeralcontainers` in a break-glass role only:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: break-glass-debug}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods/ephemeralcontainers]
    ///   verbs: [update, patch]
    /// ```
    pub struct EphemeralContainer {
        code: "KD103",
        slug: "ephemeral-container",
        title: "An ephemeral debug container was added to a pod",
        severity: Severity::Medium,
        tactic: "Execution",
        mitre: &[Technique { id: "T1609", name: "Container Administration Command" }],
        needs: &[Need { group: "", resources: &["pods/ephemeralcontainers"], verbs: &["update", "patch"], level: Level::Metadata }],
    }
}

/// The image of the last ephemeral container a request body adds.
fn image(body: &Value) -> Option<String> {
    let last = match body {
        Value::Array(ops) => ops.iter().rev().find_map(|op| {
            let v = op.get("value")?;
            v.as_array().map_or(Some(v), |a| a.last())
        })?,
        obj => obj
            .pointer("/spec/ephemeralContainers")?
            .as_array()?
            .last()?,
    };
    last.get("image").and_then(Value::as_str).map(str::to_owned)
}

impl EphemeralContainer {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if !matches!(&*ev.verb, "update" | "patch")
            || !ev.is("pods", "ephemeralcontainers")
            || !ev.succeeded()
        {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let (ns, name) = (ev.namespace(), ev.name());
        let image = ev
            .request_json()
            .and_then(|b| image(&b))
            .map(|i| format!(" running image {i}"))
            .unwrap_or_default();
        let mut hit = Hit::new(
            format!(
                "{} added an ephemeral container to pod {ns}/{name}{image}",
                ev.acting_user().username
            ),
            format!("{ns}/{name}"),
        );
        if matches!(ns, "kube-system" | "kube-public") {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
