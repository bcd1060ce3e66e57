//! KD102: a network tunnel opened into a pod with `kubectl port-forward`.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

declare_rule! {
    /// ## What
    /// Alerts when someone opens a `port-forward` stream to a pod
    /// (`pods/portforward`) and the API server lets them (the connection
    /// was upgraded, or the request succeeded). The alert names the pod
    /// and the forwarded ports, and is raised to high severity in
    /// `kube-system` and `kube-public`, where the control plane's own
    /// components listen.
    ///
    /// ## Why
    /// A port-forward is a tunnel from the client's machine straight to a
    /// port inside a pod, past Services, Ingresses and NetworkPolicies. It
    /// gives whoever holds the credential direct access to databases, admin
    /// consoles and metrics endpoints that were never meant to be reached
    /// from outside, and it leaves no trace in the application's own
    /// network logs. Attackers use it to reach internal services with a
    /// stolen kubeconfig; in production it should be a rare, explained act.
    ///
    /// ## How to respond
    /// Ask the user what they connected to and why. If the tunnel was not
    /// theirs, revoke the credential, review what the forwarded service
    /// exposes (database logs for the same time window), and look at what
    /// else the identity did. To prevent it, keep `pods/portforward` out of
    /// everyday roles and grant it only through a break-glass role:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: developer, namespace: web}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods, pods/log]   # no pods/portforward
    ///   verbs: [get, list, watch]
    /// ```
    pub struct PodPortForward {
        code: "KD102",
        slug: "pod-port-forward",
        title: "A port-forward tunnel was opened into a pod",
        severity: Severity::Medium,
        tactic: "Execution",
        mitre: &[Technique { id: "T1609", name: "Container Administration Command" }],
        needs: &[Need { group: "", resources: &["pods/portforward"], verbs: &["create", "get"], level: Level::Metadata }],
    }
}

impl PodPortForward {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if !ev.is("pods", "portforward") || !ev.succeeded() {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let (ns, name) = (ev.namespace(), ev.name());
        let ports = ev.query_values("ports").join(",");
        let ports = if ports.is_empty() {
            String::new()
        } else {
            format!(" (ports {ports})")
        };
        let mut hit = Hit::new(
            format!(
                "{} opened a port-forward to pod {ns}/{name}{ports}",
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
