//! KD503: admission webhooks or policies changed or deleted by someone
//! other than the control plane.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::{is_control_plane, service_account};
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::settings::any_glob;

/// The admission resources and their kinds.
const ADMISSION: &[(&str, &str)] = &[
    (
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
    ),
    (
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
    ),
    ("validatingadmissionpolicies", "ValidatingAdmissionPolicy"),
    (
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("mutatingadmissionpolicies", "MutatingAdmissionPolicy"),
    (
        "mutatingadmissionpolicybindings",
        "MutatingAdmissionPolicyBinding",
    ),
];

declare_rule! {
    /// ## What
    /// Alerts when a ValidatingWebhookConfiguration,
    /// MutatingWebhookConfiguration, ValidatingAdmissionPolicy,
    /// MutatingAdmissionPolicy or one of their bindings is deleted (high)
    /// or updated or patched (medium) by an identity outside the control
    /// plane. Updates and patches by a ServiceAccount of a namespace in
    /// `settings.securityNamespaces` are not reported: admission
    /// controllers such as Kyverno, Gatekeeper or cert-manager's CA
    /// injector rewrite their own webhook configurations (CA bundles,
    /// rules) all day long. Deletions are reported whoever makes them.
    ///
    /// ## Why
    /// Admission control is where a cluster enforces its policies: Pod
    /// Security, image signatures, registry allow-lists, the rules of
    /// policy engines. An attacker who wants to run a privileged pod
    /// first removes or narrows the webhook that would refuse it — deletes
    /// it, sets `failurePolicy: Ignore` and breaks its service, or adds a
    /// `namespaceSelector` that excludes their namespace. A mutating
    /// webhook changed to point elsewhere can also inject containers into
    /// every new pod.
    ///
    /// ## How to respond
    /// Compare the configuration with its source (the policy engine's
    /// Helm chart or GitOps repository) and restore it; check what was
    /// admitted while it was changed or missing. Only the policy engine's
    /// own account and cluster administrators should write these objects:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: admission-reader}
    /// rules:
    /// - apiGroups: [admissionregistration.k8s.io]
    ///   resources: [validatingwebhookconfigurations, mutatingwebhookconfigurations]
    ///   verbs: [get, list, watch]   # no update, patch, delete
    /// ```
    pub struct AdmissionControlTampered {
        code: "KD503",
        slug: "admission-control-tampered",
        title: "An admission webhook or policy was changed or deleted",
        severity: Severity::Medium,
        tactic: "Defense Evasion",
        mitre: &[Technique { id: "T1562.001", name: "Impair Defenses: Disable or Modify Tools" }],
        needs: &[Need {
            group: "admissionregistration.k8s.io",
            resources: &[
                "validatingwebhookconfigurations",
                "mutatingwebhookconfigurations",
                "validatingadmissionpolicies",
                "validatingadmissionpolicybindings",
                "mutatingadmissionpolicies",
                "mutatingadmissionpolicybindings",
            ],
            verbs: &["update", "patch", "delete", "deletecollection"],
            level: Level::Metadata,
        }],
    }
}

impl AdmissionControlTampered {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        let delete = match verb {
            "delete" | "deletecollection" => true,
            "update" | "patch" => false,
            _ => return,
        };
        if ev.api_group() != "admissionregistration.k8s.io" {
            return;
        }
        let resource = ev.resource();
        let Some((_, kind)) = ADMISSION.iter().find(|(r, _)| *r == resource) else {
            return;
        };
        // A status update (a policy's type checking) is the controller's.
        if !ev.subresource().is_empty() || !ev.succeeded() {
            return;
        }
        let user = ev.acting_user();
        if is_control_plane(user, cx.settings) {
            return;
        }
        if !delete
            && service_account(&user.username)
                .is_some_and(|(ns, _)| any_glob(&cx.settings.security_namespaces, ns))
        {
            return;
        }
        let name = match ev.name() {
            "" => "(all)",
            n => n,
        };
        let did = match verb {
            "update" => "updated",
            "patch" => "patched",
            "delete" => "deleted",
            _ => "deleted as a collection",
        };
        let mut hit = Hit::new(
            format!("{} {did} {kind} {name}", user.username),
            format!("{resource}/{name}"),
        );
        if delete {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
