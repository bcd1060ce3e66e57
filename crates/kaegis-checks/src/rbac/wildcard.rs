//! KG402: Roles and ClusterRoles must not use wildcards.
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, grantees, item_path, join_words, k8s, named_note,
    nsa, reach, reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a Role or ClusterRole that has `"*"` in its
    /// `verbs`, `resources` or `apiGroups`, once per rule, at the first
    /// wildcard item; the message says which lists hold one and names the
    /// subjects that the scan's bindings give the role to.
    ///
    /// A subresource wildcard such as `*/scale` is not a `"*"` item and is
    /// not reported here; neither is `"*"` in `nonResourceURLs`. Rules
    /// limited by `resourceNames` are reported too (a `"*"` verb on a named
    /// object still includes `delete`, `escalate` and whatever verb comes
    /// next), with the names in the message. Aggregated ClusterRoles (whose
    /// rules the controller fills in) and Kubernetes' own default roles are
    /// skipped. The rule itself is the finding: it is reported even when no
    /// binding in the scan uses the role yet.
    ///
    /// ## Why
    /// A wildcard grants more than anyone reviewed: `verbs: ["*"]` includes
    /// `escalate`, `bind`, `impersonate` and `deletecollection`;
    /// `resources: ["*"]` includes Secrets, RBAC objects, webhook
    /// configurations and every custom resource; `apiGroups: ["*"]` includes
    /// every API group, and all of them also cover whatever an upgrade or a
    /// new CRD adds later. Listing what the workload needs keeps the grant
    /// reviewable and stable.
    ///
    /// ## How to fix
    /// List the API groups, resources and verbs the subject really uses:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "watch", "patch"]
    /// ```
    pub struct Wildcard {
        code: "KG402",
        slug: "rbac-wildcard",
        title: "RBAC rules must not use wildcards",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.3"),
            nsa("Authentication and authorization: least privilege"),
            k8s("RBAC good practices: minimize wildcard permissions", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

impl Wildcard {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj) else {
            return;
        };
        for rule in &role.rules {
            let star = |list: &[String]| list.iter().any(|x| x == "*");
            let mut fields = Vec::new();
            for (field, list) in [
                ("verbs", &rule.verbs),
                ("resources", &rule.resources),
                ("apiGroups", &rule.api_groups),
            ] {
                if star(list) {
                    fields.push(field);
                }
            }
            let Some(first) = fields.first() else {
                continue;
            };
            let what = match (
                star(&rule.verbs),
                star(&rule.resources),
                star(&rule.api_groups),
            ) {
                (true, true, true) => "every verb on every resource of every API group",
                (true, true, false) => "every verb on every resource of its API groups",
                (true, false, _) if rule.resources.is_empty() => {
                    "every verb on the non-resource URLs it lists"
                }
                (true, false, true) => "every verb on the resources it lists, in every API group",
                (true, false, false) => "every verb on the resources it lists",
                (false, true, true) => "its verbs on every resource of every API group",
                (false, true, false) => "its verbs on every resource of its API groups",
                (false, false, _) => "its verbs on resources of that name in every API group",
            };
            out.push(Violation::new(
                item_path(obj, rule, first, |x| x == "*"),
                format!(
                    "the rule has \"*\" in {}, so it grants {what}{}, including ones added later ({}); {}",
                    join_words(&fields),
                    named_note(rule),
                    reach(&role),
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
