//! KD101: an interactive session opened in a running container.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

declare_rule! {
    /// ## What
    /// Alerts when someone opens `exec` or `attach` on a pod and the API
    /// server lets them (the stream was upgraded, or the request
    /// succeeded). The alert names the command (`kubectl exec … -- sh`)
    /// and is raised to high severity in `kube-system` and `kube-public`.
    ///
    /// ## Why
    /// `kubectl exec` runs any command inside a container with its service
    /// account, its mounted secrets and its network position: attackers
    /// with a stolen kubeconfig use it to run tools, read tokens and move
    /// on. Production workloads are not administered by hand; an exec is a
    /// break-glass action that deserves a second look, and one into the
    /// control plane's namespace is rarely anything else.
    ///
    /// ## How to respond
    /// Ask the user whether the session was theirs and why. If not: revoke
    /// their credentials, look at what else they did (`kaegis detect` on
    /// the same log, filtered by `user`), and treat the pod as compromised
    /// (its service account token included). To prevent it, remove
    /// `pods/exec` and `pods/attach` from everyday roles:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: developer, namespace: web}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods, pods/log]
    ///   verbs: [get, list, watch]
    /// ```
    pub struct PodExec {
        code: "KD101",
        slug: "pod-exec",
        title: "A command was executed in, or attached to, a running container",
        severity: Severity::Medium,
        tactic: "Execution",
        mitre: &[Technique { id: "T1609", name: "Container Administration Command" }],
        needs: &[Need { group: "", resources: &["pods/exec", "pods/attach"], verbs: &["create", "get"], level: Level::Metadata }],
    }
}

impl PodExec {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let sub = ev.subresource();
        if ev.resource() != "pods" || !matches!(sub, "exec" | "attach") || !ev.succeeded() {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let (ns, name) = (ev.namespace(), ev.name());
        let command = ev.query_values("command").join(" ");
        let what = if sub == "exec" && !command.is_empty() {
            format!("ran `{command}` in")
        } else {
            format!("opened {sub} on")
        };
        let mut hit = Hit::new(
            format!("{} {what} pod {ns}/{name}", ev.acting_user().username),
            format!("{ns}/{name}"),
        );
        if matches!(ns, "kube-system" | "kube-public") {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
