//! KD301: a built-in `system:` ClusterRole or ClusterRoleBinding changed or
//! deleted by someone other than the control plane.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

declare_rule! {
    /// ## What
    /// Alerts when a ClusterRole or ClusterRoleBinding whose name starts
    /// with `system:` is updated, patched or deleted by an identity that
    /// is not part of the control plane, and when anyone outside the
    /// control plane deletes ClusterRoles or ClusterRoleBindings as a
    /// collection (which takes the `system:` ones with it unless a label
    /// selector narrows it). The API server itself re-creates and
    /// reconciles these objects at start-up, and the aggregation
    /// controller fills aggregated roles: both are control plane and are
    /// not reported.
    ///
    /// ## Why
    /// The `system:` roles and bindings are how Kubernetes grants its own
    /// components their rights: `system:node`, `system:kube-scheduler`,
    /// `system:controller:*`, `system:discovery`, `system:basic-user`…
    /// Editing one is a quiet way to give a group far more than it should
    /// have (add `secrets` to `system:basic-user`, add a subject to
    /// `system:controller:clusterrole-aggregation-controller`), and few
    /// reviews look there because nobody is supposed to touch them.
    /// Deleting one breaks a component or removes a restriction.
    ///
    /// ## How to respond
    /// Compare the object with its default (`kubectl get clusterrole NAME
    /// -o yaml` on a fresh cluster of the same version, or the API
    /// server's reconciliation after a restart, which restores missing
    /// rules and subjects unless the object is annotated
    /// `rbac.authorization.kubernetes.io/autoupdate: "false"`). Revert the
    /// change, check that annotation, and find out why the identity may
    /// write RBAC objects at all. Only cluster administrators should hold
    /// write access to ClusterRoles:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: rbac-reader}
    /// rules:
    /// - apiGroups: [rbac.authorization.k8s.io]
    ///   resources: [clusterroles, clusterrolebindings]
    ///   verbs: [get, list, watch]   # no update, patch, delete
    /// ```
    pub struct SystemRbacModified {
        code: "KD301",
        slug: "system-rbac-modified",
        title: "A built-in system: ClusterRole or ClusterRoleBinding was changed or deleted",
        severity: Severity::High,
        tactic: "Privilege Escalation",
        mitre: &[Technique { id: "T1098.006", name: "Account Manipulation: Additional Container Cluster Roles" }],
        needs: &[Need {
            group: "rbac.authorization.k8s.io",
            resources: &["clusterroles", "clusterrolebindings"],
            verbs: &["update", "patch", "delete", "deletecollection"],
            level: Level::Metadata,
        }],
    }
}

impl SystemRbacModified {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        if !matches!(verb, "update" | "patch" | "delete" | "deletecollection") {
            return;
        }
        let kind = match ev.resource() {
            "clusterroles" => "ClusterRole",
            "clusterrolebindings" => "ClusterRoleBinding",
            _ => return,
        };
        if ev.api_group() != "rbac.authorization.k8s.io" || !ev.subresource().is_empty() {
            return;
        }
        let name = ev.name();
        let collection = verb == "deletecollection";
        if !(collection || name.starts_with("system:")) || !ev.succeeded() {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let user = &ev.acting_user().username;
        let hit = if collection {
            Hit::new(
                format!("{user} deleted {kind}s as a collection (system: objects included unless a selector excluded them)"),
                format!("{kind}/*"),
            )
            .severity(Severity::Critical)
        } else {
            let did = match verb {
                "update" => "updated",
                "patch" => "patched",
                _ => "deleted",
            };
            Hit::new(
                format!("{user} {did} {kind} {name}"),
                format!("{kind}/{name}"),
            )
        };
        out.push(hit);
    }
}
