//! KD305: a request made on behalf of another identity by someone not
//! allowed to impersonate.
use kaegis_core::Severity;

use crate::event::Event;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::settings::any_glob;

declare_rule! {
    /// ## What
    /// Alerts when a request carries impersonation headers (the event's
    /// `impersonatedUser` is set: `kubectl --as`, `--as-group`) and
    /// succeeds, unless the real user matches
    /// `settings.allowedImpersonators` (globs; authenticating proxies such
    /// as an OIDC proxy, Rancher or Teleport belong there). One alert per
    /// impersonated identity within the deduplication window.
    /// Impersonating a member of `system:masters`, `system:admin`, a node
    /// (`system:node:*`) or the control plane's own identities is high
    /// severity.
    ///
    /// ## Why
    /// The `impersonate` verb lets its holder act as any user, group or
    /// ServiceAccount it names — with all their rights and with the
    /// requests logged under their name. Few people need it, it is often
    /// granted by accident through wildcard roles, and it is the quickest
    /// way from a modest credential to `system:masters` (`kubectl --as=x
    /// --as-group=system:masters`), which no RBAC rule can restrict.
    ///
    /// ## How to respond
    /// Ask the real user (the alert's `user`) why they impersonated. If
    /// they are an automation that should, add it to
    /// `allowedImpersonators`. Otherwise revoke their `impersonate` rights,
    /// review every request they made as the other identity (the audit
    /// log's `impersonatedUser`), and grant impersonation only for named
    /// identities:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: impersonate-readonly-bot}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [users]
    ///   resourceNames: [readonly-bot]
    ///   verbs: [impersonate]
    /// ```
    pub struct Impersonation {
        code: "KD305",
        slug: "impersonation",
        title: "A request was made on behalf of another identity by an unexpected impersonator",
        severity: Severity::Medium,
        tactic: "Privilege Escalation",
        mitre: &[Technique { id: "T1078", name: "Valid Accounts" }],
        needs: &[Need { group: "*", resources: &["*"], verbs: &[], level: Level::Metadata }],
    }
}

impl Impersonation {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let Some(target) = &ev.impersonated_user else {
            return;
        };
        if !ev.succeeded() {
            return;
        }
        let real = &*ev.user.username;
        if any_glob(&cx.settings.allowed_impersonators, real) {
            return;
        }
        let name = &*target.username;
        let groups: Vec<&str> = target.groups.iter().map(|g| &**g).collect();
        let masters = groups.contains(&"system:masters");
        let high = masters
            || matches!(
                name,
                "system:admin"
                    | "system:apiserver"
                    | "system:kube-controller-manager"
                    | "system:kube-scheduler"
            )
            || name.starts_with("system:node:")
            || name.starts_with("system:serviceaccount:kube-system:");
        let as_groups = if groups.is_empty() {
            String::new()
        } else {
            format!(" (groups {})", groups.join(", "))
        };
        let mut hit = Hit::new(
            format!(
                "{real} impersonated {}{as_groups}: {} {}",
                if name.is_empty() {
                    "(no user name)"
                } else {
                    name
                },
                ev.verb,
                ev.request_uri
                    .split_once('?')
                    .map_or(&*ev.request_uri, |(p, _)| p)
            ),
            format!("{real}\0{}", groups.join(",")),
        );
        if high {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
