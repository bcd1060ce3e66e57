//! KG607: Namespaces should not enforce the privileged level.
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{CIS_HARDENING, ENFORCE_LABEL, PSA_DOC, cis, is_namespace, label};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A Namespace should not set `pod-security.kubernetes.io/enforce:
    /// privileged`.
    ///
    /// `kube-system` is exempt: it legitimately runs privileged
    /// control-plane and node components (kube-proxy, CNI and CSI agents,
    /// static-pod mirrors). Other namespaces that must host privileged node
    /// agents (a CNI's or a monitoring stack's own namespace) should keep
    /// them there alone and waive the finding with the reason. Values other
    /// than `privileged` are left to `namespace-pod-security-level`.
    ///
    /// ## Why
    /// `privileged` turns Pod Security Admission off for the namespace: any
    /// pod anyone can create there may run privileged containers, use the
    /// node's network, PID and IPC namespaces, and mount the node's file
    /// system — a direct path from a namespace-scoped permission to root on
    /// every node the pod can reach.
    ///
    /// ## How to fix
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    pub struct NamespacePrivileged {
        code: "KG607",
        slug: "namespace-privileged",
        title: "Namespaces should not enforce the privileged level",
        severity: Severity::High,
        area: Area::Namespaces,
        kinds: &["Namespace"],
        profiles: CIS_HARDENING,
        references: &[cis("5.2.1"), PSA_DOC],
    }
}

impl NamespacePrivileged {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !is_namespace(obj) || obj.id.name == "kube-system" {
            return;
        }
        if label(obj, ENFORCE_LABEL) == Some("privileged") {
            out.push(Violation::new(
                JsonPath::root().keys(&["metadata", "labels"]).key(ENFORCE_LABEL),
                format!(
                    "namespace {} enforces the privileged level: Pod Security Admission accepts any pod there",
                    obj.id.name
                ),
            ));
        }
    }
}
