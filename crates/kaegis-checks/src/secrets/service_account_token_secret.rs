//! KG309: No long-lived service account token Secrets.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use super::is_core;
use super::secret_in_manifest::SA_TOKEN_TYPE;
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for a Secret of type `kubernetes.io/service-account-token`: a
    /// Secret that asks the token controller for a service account token
    /// that never expires. Whether the manifest carries the token or leaves
    /// it for the controller to fill in does not matter. The projected token
    /// volume every pod gets, and tokens from the TokenRequest API
    /// (`kubectl create token`), are not Secrets and are not reported.
    ///
    /// ## Why
    /// A legacy service account token is valid for as long as the Secret and
    /// the service account exist: it does not expire, is not bound to a pod,
    /// and works from anywhere the API server can be reached. Stored in a
    /// Secret, it can be read by anyone who may read Secrets in the
    /// namespace. Kubernetes stopped creating such Secrets automatically in
    /// 1.24, and since 1.29 invalidates and deletes the auto-generated ones
    /// that go unused, because bound, short-lived tokens replaced them.
    ///
    /// ## How to fix
    /// Use short-lived tokens: the projected service account token volume
    /// for pods (rotated by the kubelet, bound to the pod), and the
    /// TokenRequest API (`kubectl create token NAME --duration=1h`) for
    /// anything outside the cluster:
    /// ```yaml
    /// volumes:
    /// - name: token
    ///   projected:
    ///     sources:
    ///     - serviceAccountToken:
    ///         path: token
    ///         expirationSeconds: 3600
    ///         audience: vault
    /// ```
    pub struct ServiceAccountTokenSecret {
        code: "KG309",
        slug: "service-account-token-secret",
        title: "No long-lived service account token Secrets",
        severity: Severity::Medium,
        area: Area::Secrets,
        kinds: &["Secret"],
        profiles: HARDENING,
        references: &[
            mitre("T1528 Steal Application Access Token"),
            k8s("Legacy service account token cleaner", "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#legacy-serviceaccount-token-cleaner"),
            k8s("Manually create a long-lived API token (discouraged)", "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#manually-create-an-api-token-for-a-serviceaccount"),
        ],
    }
}

impl ServiceAccountTokenSecret {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !is_core(obj, "Secret") {
            return;
        }
        if obj.root.get("type").and_then(Node::as_str) != Some(SA_TOKEN_TYPE) {
            return;
        }
        let account = obj
            .annotation("kubernetes.io/service-account.name")
            .unwrap_or("");
        out.push(Violation::new(
            JsonPath::root().key("type"),
            format!(
                "Secret holds a long-lived, never-expiring token for ServiceAccount \"{account}\""
            ),
        ));
    }
}
