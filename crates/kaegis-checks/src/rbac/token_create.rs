//! KG411: Roles must not grant creating service account tokens.
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, grantees, item_path, k8s, mitre, reach,
    reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a Role or ClusterRole that grants `create` on
    /// `serviceaccounts/token` in the core API group (also through `"*"`
    /// verbs, `"*"` or `*/token` resources and wildcard API groups), at the
    /// resource item, naming the subjects that the scan's bindings give the
    /// role to.
    ///
    /// A rule limited by `resourceNames` (tokens for some named service
    /// accounts only, the usual way a component mints tokens for its own
    /// accounts) is not reported. Aggregated ClusterRoles and Kubernetes'
    /// own default roles are skipped.
    ///
    /// ## Why
    /// The TokenRequest API issues a fresh token for any service account the
    /// rule covers, with an audience and lifetime of the requester's
    /// choosing. Whoever holds the rule can therefore act as every service
    /// account of the namespace (or, in a ClusterRole bound cluster-wide, of
    /// the cluster), controllers and their powerful accounts included, and
    /// the tokens keep working after the permission is removed, until they
    /// expire.
    ///
    /// ## How to fix
    /// Limit token creation to the service accounts that need it:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts/token"]
    ///   resourceNames: ["build-runner"]
    ///   verbs: ["create"]
    /// ```
    pub struct TokenCreate {
        code: "KG411",
        slug: "rbac-token-create",
        title: "RBAC rules must not grant creating service account tokens",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.13"),
            mitre("T1528 Steal Application Access Token"),
            k8s("RBAC good practices: token request", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

impl TokenCreate {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj) else {
            return;
        };
        for rule in &role.rules {
            if rule.is_named() || !rule.allows("create", "", "serviceaccounts/token") {
                continue;
            }
            out.push(Violation::new(
                item_path(obj, rule, "resources", |r| {
                    r == "serviceaccounts/token" || r == "*" || r == "*/token"
                }),
                format!(
                    "the rule grants create on serviceaccounts/token: a holder can mint a token for, and act as, any service account it covers ({}); {}",
                    reach(&role),
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
