//! KD403: a ServiceAccount token requested by someone other than that
//! ServiceAccount, a kubelet or the control plane.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::{is_control_plane, service_account};
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};

declare_rule! {
    /// ## What
    /// Alerts when a token is issued for a ServiceAccount through the
    /// TokenRequest API (`create` on `serviceaccounts/token`, what
    /// `kubectl create token` calls) and the requester is neither that
    /// ServiceAccount itself, nor a kubelet (`system:node:*`, which
    /// requests the projected tokens of the pods it runs), nor another part
    /// of the control plane. Tokens for accounts in `kube-system` are high
    /// severity.
    ///
    /// ## Why
    /// A token is the ServiceAccount: whoever holds it has every right the
    /// account has, from anywhere the API server is reachable, until the
    /// token expires (which the requester chooses, up to the API server's
    /// maximum). Minting a token for a more privileged account is a
    /// classic privilege escalation — the right to create
    /// `serviceaccounts/token` in a namespace is the right to become any
    /// account in it — and a token minted for later use is quiet
    /// persistence, because it does not appear in any Secret.
    ///
    /// ## How to respond
    /// Ask the requester why they needed the token and how long it lives.
    /// If it was not expected, revoke it: tokens cannot be revoked one by
    /// one, so delete and re-create the ServiceAccount (bound tokens die
    /// with the object they are bound to), or rotate the service account
    /// signing key in a serious incident. Then review who may create
    /// tokens:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: ci-token-minter, namespace: ci}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [serviceaccounts/token]
    ///   resourceNames: [ci-deployer]   # one account, not all of them
    ///   verbs: [create]
    /// ```
    pub struct ServiceAccountTokenRequest {
        code: "KD403",
        slug: "serviceaccount-token-request",
        title: "A ServiceAccount token was requested by another identity",
        severity: Severity::Medium,
        tactic: "Credential Access",
        mitre: &[Technique { id: "T1528", name: "Steal Application Access Token" }],
        needs: &[Need { group: "", resources: &["serviceaccounts/token"], verbs: &["create"], level: Level::Metadata }],
    }
}

impl ServiceAccountTokenRequest {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if ev.verb != "create" || !ev.is("serviceaccounts", "token") || !ev.succeeded() {
            return;
        }
        let user = ev.acting_user();
        let (ns, name) = (ev.namespace(), ev.name());
        if service_account(&user.username) == Some((ns, name)) {
            return;
        }
        if is_control_plane(user, cx.settings) {
            return;
        }
        let mut hit = Hit::new(
            format!(
                "{} requested a token for ServiceAccount {ns}/{name}",
                user.username
            ),
            format!("{ns}/{name}"),
        );
        if ns == "kube-system" {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
