//! KG606: Namespaces should set a Pod Security Admission enforce level.
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{CIS_HARDENING, ENFORCE_LABEL, PSA_DOC, cis, is_namespace, nsa};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Every Namespace should carry the label
    /// `pod-security.kubernetes.io/enforce`, so that Pod Security Admission
    /// enforces a Pod Security Standards level on its pods.
    ///
    /// `kube-public` and `kube-node-lease` are not checked: Kubernetes
    /// keeps no pods there. `kube-system` is: label it explicitly
    /// (`privileged` is accepted there, see `namespace-privileged`). Only the
    /// label's presence is checked here; its value is checked by
    /// `namespace-privileged` and `namespace-pod-security-level`. A cluster
    /// whose API server sets a non-privileged default level in its
    /// `PodSecurity` admission configuration enforces it on unlabelled
    /// namespaces: such a team can disable this check.
    ///
    /// ## Why
    /// Without the label, a namespace falls back to the cluster's default
    /// level, which is `privileged` — no restriction at all — unless the
    /// API server was configured otherwise. Any pod that may be created in
    /// the namespace may then run privileged, share the node's namespaces
    /// or mount its file system. The label is the built-in policy-control
    /// mechanism the CIS Benchmark asks for, and it is visible and
    /// reviewable next to the namespace.
    ///
    /// ## How to fix
    /// Enforce `restricted` (or at least `baseline`) and warn and audit at
    /// `restricted` while migrating:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    ///     pod-security.kubernetes.io/enforce-version: latest
    ///     pod-security.kubernetes.io/warn: restricted
    ///     pod-security.kubernetes.io/audit: restricted
    /// ```
    pub struct NamespacePodSecurityLabels {
        code: "KG606",
        slug: "namespace-pod-security-labels",
        title: "Namespaces should set a Pod Security Admission enforce level",
        severity: Severity::Medium,
        area: Area::Namespaces,
        kinds: &["Namespace"],
        profiles: CIS_HARDENING,
        references: &[cis("5.2.1"), nsa("Pod security: Pod Security Admission"), PSA_DOC],
    }
}

impl NamespacePodSecurityLabels {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !is_namespace(obj) || matches!(obj.id.name.as_str(), "kube-public" | "kube-node-lease") {
            return;
        }
        let present = obj
            .root
            .get_path(&["metadata", "labels", ENFORCE_LABEL])
            .is_some_and(|n| !n.is_null());
        if present {
            return;
        }
        out.push(Violation::new(
            JsonPath::root().keys(&["metadata", "labels"]).key(ENFORCE_LABEL),
            format!(
                "namespace {} has no {ENFORCE_LABEL} label, so it gets the cluster's default level (privileged unless configured)",
                obj.id.name
            ),
        ));
    }
}
