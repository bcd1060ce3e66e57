//! KD401: Secrets read or listed by an identity that did not read Secrets
//! in that namespace before.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

/// The baseline of who reads Secrets where.
const BASELINE: &str = "secret-readers";

declare_rule! {
    /// ## What
    /// Learns, for `settings.learningPeriod` (default 24 hours from the
    /// first event the detector sees), which identities read Secrets
    /// (`get`, `list`, `watch`) in which namespace. After that it alerts the
    /// first time an identity reads Secrets in a namespace where it was
    /// never seen reading them; the pair is then known and does not alert
    /// again. A `list` or `watch` of Secrets across all namespaces is high
    /// severity. Only successful requests count, and the control plane
    /// (whose controllers read Secrets everywhere) is left out. The
    /// baseline is kept in the detector's state and survives restarts.
    ///
    /// ## Why
    /// Secrets hold database passwords, cloud keys, TLS keys and
    /// ServiceAccount tokens; reading them is the first thing an attacker
    /// does with a new foothold, whether a stolen kubeconfig or a pod's
    /// token. Applications read the same few Secrets over and over, and
    /// people rarely read them at all, so a new reader stands out — a
    /// ServiceAccount that never touched Secrets suddenly listing them all
    /// is the textbook sign of a compromised workload.
    ///
    /// ## How to respond
    /// Ask who owns the identity whether the read was expected (a new
    /// release mounting a new Secret is the usual benign cause). If not,
    /// treat every Secret it could read as disclosed: rotate them, revoke
    /// the identity's credentials, and see what else it did. Grant Secret
    /// access per name rather than per namespace:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: api-db-credentials, namespace: web}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [secrets]
    ///   resourceNames: [api-db]
    ///   verbs: [get]
    /// ```
    pub struct SecretReadUnusual {
        code: "KD401",
        slug: "secret-read-unusual",
        title: "Secrets were read by an identity that does not normally read them",
        severity: Severity::Medium,
        tactic: "Credential Access",
        mitre: &[Technique { id: "T1552.007", name: "Unsecured Credentials: Container API" }],
        needs: &[Need { group: "", resources: &["secrets"], verbs: &["get", "list", "watch"], level: Level::Metadata }],
    }
}

impl SecretReadUnusual {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        let verb = &*ev.verb;
        if !matches!(verb, "get" | "list" | "watch") || !ev.is("secrets", "") {
            return;
        }
        if !ev.api_group().is_empty() || !ev.succeeded() {
            return;
        }
        let user = ev.acting_user();
        if is_control_plane(user, cx.settings) {
            return;
        }
        let ns = ev.namespace();
        let key = format!("{}\0{ns}", user.username);
        let learning = cx.learning();
        if !cx.state.learn(BASELINE, &key) || learning {
            return;
        }
        let user = &user.username;
        let hit = match (verb, ns, ev.name()) {
            (_, "", _) => Hit::new(
                format!("{user} {verb}ed Secrets across all namespaces for the first time"),
                "*",
            )
            .severity(Severity::High),
            ("get", ns, name) => Hit::new(
                format!("{user} read Secret {ns}/{name}, its first Secret read in namespace {ns}"),
                ns,
            ),
            (verb, ns, _) => Hit::new(
                format!("{user} {verb}ed Secrets in namespace {ns}, its first Secret read there"),
                ns,
            ),
        };
        out.push(hit);
    }
}
