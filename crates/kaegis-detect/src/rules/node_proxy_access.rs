//! KD104: the kubelet API reached through the API server's `nodes/proxy`.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::settings::any_glob;

/// Kubelet API paths that run commands in containers.
const KUBELET_EXEC_PATHS: &[&str] = &["/exec/", "/run/", "/attach/", "/portForward/", "/cri/"];

declare_rule! {
    /// ## What
    /// Alerts when an identity reaches a node's kubelet through the API
    /// server's proxy (any verb on `nodes/proxy`,
    /// `/api/v1/nodes/NODE/proxy/…`) and the request succeeds, unless the
    /// identity is part of the control plane or listed in
    /// `settings.nodeProxyUsers` (globs; a monitoring agent that scrapes
    /// cAdvisor through the proxy belongs there). The alert names the
    /// kubelet path; paths that run commands (`/exec/`, `/run/`,
    /// `/attach/`, `/portForward/`) are critical.
    ///
    /// ## Why
    /// `nodes/proxy` is the kubelet's whole API: listing every pod of the
    /// node, reading container logs, and running commands in any container
    /// on it through `/exec` and `/run` — without the `pods/exec`
    /// permission and without a `pods/exec` audit event. Even `get` on
    /// `nodes/proxy` is enough to open an exec stream over WebSocket. It
    /// is a favourite of attackers precisely because RBAC reviews and
    /// exec detections overlook it.
    ///
    /// ## How to respond
    /// Check the caller: a known monitoring agent should be added to
    /// `nodeProxyUsers` (and better, moved to `nodes/metrics` and
    /// `nodes/stats`, which expose metrics only). Otherwise revoke the
    /// identity's rights on `nodes/proxy`, inspect the pods of the node it
    /// reached, and look for exec paths in the alert. Grant metrics access
    /// without the proxy:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: node-metrics-reader}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [nodes/metrics, nodes/stats]   # not nodes/proxy
    ///   verbs: [get]
    /// ```
    pub struct NodeProxyAccess {
        code: "KD104",
        slug: "node-proxy-access",
        title: "The kubelet API was reached through nodes/proxy",
        severity: Severity::High,
        tactic: "Execution",
        mitre: &[Technique { id: "T1609", name: "Container Administration Command" }],
        needs: &[Need { group: "", resources: &["nodes/proxy"], verbs: &[], level: Level::Metadata }],
    }
}

impl NodeProxyAccess {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if !ev.is("nodes", "proxy") || !ev.succeeded() {
            return;
        }
        let user = ev.acting_user();
        if is_control_plane(user, cx.settings)
            || any_glob(&cx.settings.node_proxy_users, &user.username)
        {
            return;
        }
        let node = ev.name();
        let uri = &*ev.request_uri;
        let path = uri.split_once("/proxy").map_or("", |(_, p)| p);
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let path = if path.is_empty() { "/" } else { path };
        let mut hit = Hit::new(
            format!(
                "{} reached the kubelet of node {node} through the API server: {} {path}",
                user.username, ev.verb
            ),
            node.to_owned(),
        );
        if KUBELET_EXEC_PATHS.iter().any(|p| path.starts_with(p)) {
            hit = hit.severity(Severity::Critical);
        }
        out.push(hit);
    }
}
