//! KG413: ClusterRoles must not grant changing admission configuration.
use kaegis_core::rbac::RoleKind;
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, granted_verbs, grantees, item_path, join_words,
    k8s, mitre, named_note, reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a ClusterRole that grants `create`, `update`,
    /// `patch`, `delete` or `deletecollection` (or `"*"`) on an admission
    /// configuration object of `admissionregistration.k8s.io`:
    /// `validatingwebhookconfigurations`, `mutatingwebhookconfigurations`,
    /// `validatingadmissionpolicies`, `validatingadmissionpolicybindings`,
    /// `mutatingadmissionpolicies` or `mutatingadmissionpolicybindings`
    /// (wildcard resources and API groups included). The finding is at the
    /// resource and names the subjects that the scan's bindings give the
    /// role to.
    ///
    /// Rules limited by `resourceNames` are reported too, with the names:
    /// a component that patches its own webhook's `caBundle` can also
    /// rewrite that webhook's rules, failure policy and destination. These
    /// objects are cluster-scoped, so namespaced Roles are not read;
    /// aggregated ClusterRoles and Kubernetes' own default roles are
    /// skipped. Read access (`get`, `list`, `watch`) is not reported.
    ///
    /// ## Why
    /// Admission webhooks and policies are where a cluster enforces its
    /// rules and injects its defaults. Whoever can change them can switch
    /// off that enforcement (delete a policy, set `failurePolicy: Ignore`),
    /// or register a mutating webhook of their own that receives, and may
    /// rewrite, every object created in the cluster, Secrets and pod specs
    /// included.
    ///
    /// ## How to fix
    /// Keep admission configuration with the cluster administrators and
    /// the GitOps pipeline; a component that only injects its CA bundle
    /// should be limited to its own objects and to `get` and `patch`:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["validatingwebhookconfigurations"]
    ///   resourceNames: ["shop-webhook"]
    ///   verbs: ["get", "patch"]
    /// ```
    pub struct WebhookConfig {
        code: "KG413",
        slug: "rbac-webhook-config",
        title: "RBAC rules must not grant changing admission webhooks and policies",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.12"),
            mitre("T1562.001 Impair Defenses: Disable or Modify Tools"),
            k8s("RBAC good practices: control admission webhooks", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

/// The admission configuration resources of `admissionregistration.k8s.io`.
const ADMISSION_RESOURCES: [&str; 6] = [
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "mutatingadmissionpolicies",
    "mutatingadmissionpolicybindings",
];

impl WebhookConfig {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj).filter(|r| r.kind == RoleKind::ClusterRole) else {
            return;
        };
        for rule in &role.rules {
            if !rule.has_group("admissionregistration.k8s.io") {
                continue;
            }
            // A named rule cannot grant create or deletecollection.
            let wanted: &[&str] = if rule.is_named() {
                &["update", "patch", "delete"]
            } else {
                &["create", "update", "patch", "delete", "deletecollection"]
            };
            let verbs = granted_verbs(rule, wanted);
            if verbs.is_empty() {
                continue;
            }
            let resources: Vec<&str> = ADMISSION_RESOURCES
                .into_iter()
                .filter(|r| rule.has_resource(r))
                .collect();
            if resources.is_empty() {
                continue;
            }
            let shown = if resources.len() == ADMISSION_RESOURCES.len() {
                "every admission webhook and policy resource".to_owned()
            } else {
                join_words(&resources)
            };
            out.push(Violation::new(
                item_path(obj, rule, "resources", |r| r == "*" || resources.contains(&r)),
                format!(
                    "the rule grants {} on {shown}{}: a holder can switch off admission control or route admission requests to a webhook of its own; {}",
                    join_words(&verbs),
                    named_note(rule),
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
