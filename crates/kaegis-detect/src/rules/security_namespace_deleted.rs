//! KD504: a namespace of the cluster's security or audit tooling deleted.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::settings::any_glob;

declare_rule! {
    /// ## What
    /// Alerts when a namespace whose name matches
    /// `settings.securityNamespaces` (globs; by default the system
    /// namespaces and those of common security, policy, audit, network and
    /// monitoring tools: `kaegis-*`, `falco*`, `kyverno*`,
    /// `gatekeeper-system`, `cert-manager`, `*audit*`, `*security*`,
    /// `cilium*`, `monitoring`…) is deleted and the API server accepts the
    /// deletion. The control plane's own identities are not reported.
    ///
    /// ## Why
    /// Deleting a namespace deletes everything in it at once: the runtime
    /// detector's DaemonSet, the policy engine's webhook service, the log
    /// shipper that forwards audit events, their configuration and their
    /// Secrets. It is the bluntest way to blind a cluster before acting in
    /// it, and it also removes the evidence the tools kept locally. Such
    /// namespaces are installed once and rarely removed.
    ///
    /// ## How to respond
    /// Confirm with the platform team whether the removal was planned (an
    /// uninstall or a migration). If not, reinstall the tooling at once,
    /// treat the gap as a blind window — review the audit log of that
    /// period — and revoke the identity's rights to delete namespaces.
    /// Restrict deletion of these namespaces with an admission policy:
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingAdmissionPolicy
    /// metadata: {name: protect-security-namespaces}
    /// spec:
    ///   matchConstraints:
    ///     resourceRules:
    ///     - apiGroups: [""]
    ///       apiVersions: [v1]
    ///       operations: [DELETE]
    ///       resources: [namespaces]
    ///   validations:
    ///   - expression: "!(oldObject.metadata.name in ['falco', 'kyverno', 'monitoring'])"
    ///     message: security namespaces are deleted through change management only
    /// ```
    pub struct SecurityNamespaceDeleted {
        code: "KD504",
        slug: "security-namespace-deleted",
        title: "A security or audit tooling namespace was deleted",
        severity: Severity::High,
        tactic: "Defense Evasion",
        mitre: &[
            Technique { id: "T1562.001", name: "Impair Defenses: Disable or Modify Tools" },
            Technique { id: "T1070", name: "Indicator Removal" },
        ],
        needs: &[Need { group: "", resources: &["namespaces"], verbs: &["delete"], level: Level::Metadata }],
    }
}

impl SecurityNamespaceDeleted {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if ev.verb != "delete" || !ev.is("namespaces", "") || !ev.succeeded() {
            return;
        }
        let name = ev.name();
        if name.is_empty() || !any_glob(&cx.settings.security_namespaces, name) {
            return;
        }
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        out.push(Hit::new(
            format!("{} deleted namespace {name}", ev.acting_user().username),
            name.to_owned(),
        ));
    }
}
