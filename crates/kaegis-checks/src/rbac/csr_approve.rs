//! KG414: ClusterRoles must not grant approving certificate requests for
//! Kubernetes' own signers.
use kaegis_core::rbac::{RoleKind, Rule};
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, granted_verbs, grantees, item_path, join_words,
    k8s, mitre, reviewed_role,
};
use crate::macros::declare_check;

/// The certificate signing requests page.
const CSR_URL: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/";

declare_check! {
    /// ## What
    /// Approving a CertificateSigningRequest takes two permissions
    /// (`certificates.k8s.io`): `update` or `patch` on
    /// `certificatesigningrequests/approval`, and `approve` on `signers`
    /// for the request's signer. This check reports a ClusterRole that
    /// holds both, when the `approve` rule covers one of Kubernetes' own
    /// signers: it has no `resourceNames` (every signer), or one of its
    /// names starts with `kubernetes.io/` (`kubernetes.io/*`,
    /// `kubernetes.io/kube-apiserver-client`,
    /// `kubernetes.io/kube-apiserver-client-kubelet`,
    /// `kubernetes.io/kubelet-serving`…, but not
    /// `kubernetes.io/legacy-unknown`, which the v1 API no longer accepts).
    /// Wildcards count. The finding is
    /// at the `signers` resource of the `approve` rule and names the
    /// subjects that the scan's bindings give the role to.
    ///
    /// It does not fire for:
    /// - a role that approves only for its own signers
    ///   (`resourceNames: ["example.com/*"]`): the cluster's certificate
    ///   authority does not sign those, the signer's own controller does;
    ///   cert-manager's and similar approvers work this way;
    /// - a role holding only one of the two permissions (the other may come
    ///   from another role of the same subject, which this check does not
    ///   follow: review both when you see one);
    /// - an `update` rule on the approval subresource limited by
    ///   `resourceNames` (request names are generated);
    /// - namespaced Roles (these objects are cluster-scoped), aggregated
    ///   ClusterRoles and Kubernetes' own default roles.
    ///
    /// ## Why
    /// The `kubernetes.io/kube-apiserver-client` signer issues client
    /// certificates that the API server trusts for whatever user and groups
    /// the request names, `system:masters` included, and such a certificate
    /// cannot be revoked before it expires. Whoever can create a request
    /// and approve it for that signer becomes cluster administrator; the
    /// kubelet signers likewise mint node identities and node serving
    /// certificates.
    ///
    /// ## How to fix
    /// Leave approval for Kubernetes' signers to the controller manager and
    /// administrators; an approver for your own signer names only it:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests/approval"]
    ///   verbs: ["update"]
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["signers"]
    ///   resourceNames: ["example.com/my-signer"]
    ///   verbs: ["approve"]
    /// ```
    pub struct CsrApprove {
        code: "KG414",
        slug: "rbac-csr-approve",
        title: "RBAC rules must not grant approving certificates for Kubernetes' signers",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.11"),
            mitre("T1078 Valid Accounts"),
            k8s("Certificate signing requests: authorization", CSR_URL),
            k8s("RBAC good practices: CSRs and certificate issuing", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

const GROUP: &str = "certificates.k8s.io";

/// True when the rule lets its holder mark any request approved.
fn approves_requests(rule: &Rule) -> bool {
    !rule.is_named()
        && rule.has_group(GROUP)
        && rule.has_resource("certificatesigningrequests/approval")
        && !granted_verbs(rule, &["update", "patch"]).is_empty()
}

/// The Kubernetes signers the rule may approve for, and whether they
/// include the API server client signer; `None` when it covers none.
fn kubernetes_signers(rule: &Rule) -> Option<(String, bool)> {
    if !rule.has_verb("approve") || !rule.has_group(GROUP) || !rule.has_resource("signers") {
        return None;
    }
    if !rule.is_named() {
        return Some(("every signer".to_owned(), true));
    }
    let names: Vec<&str> = rule
        .resource_names
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with("kubernetes.io/") && *n != "kubernetes.io/legacy-unknown")
        .collect();
    let client = names
        .iter()
        .any(|n| *n == "kubernetes.io/*" || *n == "kubernetes.io/kube-apiserver-client");
    let noun = if names.len() == 1 {
        "signer"
    } else {
        "signers"
    };
    (!names.is_empty()).then(|| (format!("the {noun} {}", join_words(&names)), client))
}

impl CsrApprove {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj).filter(|r| r.kind == RoleKind::ClusterRole) else {
            return;
        };
        let Some(approval) = role.rules.iter().find(|r| approves_requests(r)) else {
            return;
        };
        for rule in &role.rules {
            let Some((signers, client)) = kubernetes_signers(rule) else {
                continue;
            };
            let other = if std::ptr::eq(rule, approval) {
                "this rule".to_owned()
            } else {
                approval.path.to_string()
            };
            let what = if client {
                "client certificates for any user or group, system:masters included"
            } else {
                "node identities and serving certificates that the cluster trusts"
            };
            out.push(Violation::new(
                item_path(obj, rule, "resources", |r| r == "signers" || r == "*"),
                format!(
                    "the rule grants approve on {signers}, and {other} grants update on certificatesigningrequests/approval: a holder can approve {what}; {}",
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
