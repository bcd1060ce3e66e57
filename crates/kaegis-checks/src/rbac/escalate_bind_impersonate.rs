//! KG403: Roles must not grant escalate, bind or impersonate.
use kaegis_core::rbac::{RoleKind, Rule};
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, RBAC_GROUP, cis, grantees, item_path, join_words, k8s,
    mitre, named_note, reach, reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a Role or ClusterRole that grants (directly or
    /// through `"*"`, `*/…` or an API group wildcard):
    /// - `escalate` or `bind` on `roles` or `clusterroles`
    ///   (`rbac.authorization.k8s.io`);
    /// - `impersonate` on `users`, `groups` or `serviceaccounts` (core
    ///   group), or on `uids` or `userextras/…` (`authentication.k8s.io`).
    ///
    /// The finding is at the verb and names the subjects that the scan's
    /// bindings give the role to. A rule limited by `resourceNames` is the
    /// documented way to allow binding or impersonating only some roles or
    /// identities, and is not reported, unless its names include the
    /// default `cluster-admin`, `admin` or `edit` roles (for `bind` and
    /// `escalate`) or the `system:masters` group (for `impersonate`). In a
    /// namespaced Role only `impersonate` on `serviceaccounts` counts: users,
    /// groups, UIDs and extras are cluster-scoped, so a Role cannot grant
    /// them.
    /// Aggregated ClusterRoles and Kubernetes' own default roles are
    /// skipped.
    ///
    /// ## Why
    /// These verbs lift RBAC's own guard rails. RBAC normally refuses to
    /// let anyone create or edit a role with more power than they hold, or
    /// bind a role they do not hold: `escalate` removes the first check and
    /// `bind` the second, so either lets the holder grant itself anything.
    /// `impersonate` lets the holder send requests as another user, group
    /// or service account (`system:masters` included), and so take that
    /// identity's power.
    ///
    /// ## How to fix
    /// Drop the verbs, or limit them to the roles or identities needed:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   verbs: ["bind"]
    ///   resourceNames: ["app-reader"]
    /// ```
    pub struct EscalateBindImpersonate {
        code: "KG403",
        slug: "rbac-escalate-bind-impersonate",
        title: "RBAC rules must not grant escalate, bind or impersonate",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.8"),
            mitre("T1078 Valid Accounts"),
            k8s("RBAC good practices: escalate, bind and impersonate verbs", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

/// Powerful default roles whose name in `resourceNames` keeps a named
/// `bind`/`escalate` rule reportable.
const POWERFUL_ROLES: [&str; 3] = ["cluster-admin", "admin", "edit"];

fn names_any(rule: &Rule, names: &[&str]) -> bool {
    rule.resource_names
        .iter()
        .any(|n| names.contains(&n.as_str()))
}

/// The RBAC objects on which `verb` is granted.
fn rbac_targets(rule: &Rule, verb: &str) -> Vec<&'static str> {
    if !rule.has_verb(verb) || !rule.has_group(RBAC_GROUP) {
        return Vec::new();
    }
    if rule.is_named() && !names_any(rule, &POWERFUL_ROLES) {
        return Vec::new();
    }
    ["roles", "clusterroles"]
        .into_iter()
        .filter(|r| rule.has_resource(r))
        .collect()
}

/// The identities the rule lets its holder impersonate. Users, groups, UIDs
/// and extras are cluster-scoped: only a ClusterRole (`cluster`) grants
/// them.
fn impersonation_targets(rule: &Rule, cluster: bool) -> Vec<&'static str> {
    if !rule.has_verb("impersonate") {
        return Vec::new();
    }
    if rule.is_named() && !(names_any(rule, &["system:masters"]) && rule.has_resource("groups")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if rule.has_group("") {
        for r in ["users", "groups", "serviceaccounts"] {
            if (cluster || r == "serviceaccounts") && rule.has_resource(r) {
                out.push(r);
            }
        }
    }
    if cluster && rule.has_group("authentication.k8s.io") {
        if rule.has_resource("uids") {
            out.push("uids");
        }
        if rule
            .resources
            .iter()
            .any(|r| r == "*" || r.starts_with("userextras/"))
        {
            out.push("userextras");
        }
    }
    out
}

impl EscalateBindImpersonate {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj) else {
            return;
        };
        for rule in &role.rules {
            let mut parts = Vec::new();
            let mut verbs = Vec::new();
            let escalate = rbac_targets(rule, "escalate");
            let bind = rbac_targets(rule, "bind");
            if !escalate.is_empty() && escalate == bind {
                parts.push(format!("escalate and bind on {}", join_words(&escalate)));
                verbs.extend(["escalate", "bind"]);
            } else {
                for (verb, targets) in [("escalate", escalate), ("bind", bind)] {
                    if !targets.is_empty() {
                        parts.push(format!("{verb} on {}", join_words(&targets)));
                        verbs.push(verb);
                    }
                }
            }
            let imp = impersonation_targets(rule, role.kind == RoleKind::ClusterRole);
            if !imp.is_empty() {
                parts.push(format!("impersonate on {}", join_words(&imp)));
                verbs.push("impersonate");
            }
            if parts.is_empty() {
                continue;
            }
            let why = match (verbs.contains(&"impersonate"), verbs.len() > 1) {
                (true, true) => {
                    "a holder can grant itself any permission and act as other identities"
                }
                (true, false) => "a holder can act as other identities and take their power",
                (false, _) => "a holder can grant itself or others any permission",
            };
            out.push(Violation::new(
                item_path(obj, rule, "verbs", |v| v == "*" || verbs.contains(&v)),
                format!(
                    "the rule grants {}{}: {why} ({}); {}",
                    join_words(&parts),
                    named_note(rule),
                    reach(&role),
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
