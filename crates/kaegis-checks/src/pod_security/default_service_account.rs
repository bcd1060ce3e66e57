//! KG133: Pods should run as their own ServiceAccount, not `default`.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use super::nsa;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis, k8s};

declare_check! {
    /// ## What
    /// Fires for a pod that runs as its namespace's `default` ServiceAccount:
    /// `serviceAccountName` is unset, empty or `default` (the deprecated
    /// `serviceAccount` field counts when `serviceAccountName` is unset, as
    /// the API server reads it).
    ///
    /// It does not fire when the pod holds no credentials of that account:
    /// the pod sets `automountServiceAccountToken: false` and mounts no
    /// projected `serviceAccountToken` volume. Such a pod has no API identity
    /// to share.
    ///
    /// ## Why
    /// Every pod of a namespace that does not name an account shares
    /// `default`. A permission granted to it for one workload is then held
    /// by all of them, and an intruder in the least important pod inherits
    /// it. A dedicated ServiceAccount per workload keeps rights, audit log
    /// entries and cloud identity bindings attributable and minimal.
    ///
    /// ## How to fix
    /// Create a ServiceAccount for the workload (with automounting off unless
    /// it calls the API) and name it:
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: web
    /// automountServiceAccountToken: false
    /// ---
    /// # in the pod template
    /// spec:
    ///   serviceAccountName: web
    /// ```
    pub struct DefaultServiceAccount {
        code: "KG133",
        slug: "default-service-account",
        title: "Pods should run as their own ServiceAccount, not default",
        severity: Severity::Low,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.5"),
            nsa("Authentication and authorization: service accounts"),
            k8s("Configure service accounts for pods", "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"),
        ],
    }
}

/// True when some volume projects a ServiceAccount token into the pod.
fn projects_token(pod: &PodSpecView<'_>) -> bool {
    pod.volumes().iter().any(|v| {
        v.get_path(&["projected", "sources"]).is_some_and(|s| {
            s.items()
                .iter()
                .any(|src| src.get("serviceAccountToken").is_some())
        })
    })
}

impl DefaultServiceAccount {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if pod.service_account_name() != "default" {
            return;
        }
        let no_token = pod
            .field("automountServiceAccountToken")
            .and_then(Node::as_bool)
            == Some(false);
        if no_token && !projects_token(&pod) {
            return;
        }
        let set = |k: &str| pod.field(k).and_then(Node::as_str) == Some("default");
        let (field, message) = if set("serviceAccountName") {
            ("serviceAccountName", "pod names the default ServiceAccount")
        } else if set("serviceAccount") {
            (
                "serviceAccount",
                "pod names the default ServiceAccount (in the deprecated serviceAccount field)",
            )
        } else {
            (
                "serviceAccountName",
                "pod names no ServiceAccount, so it runs as the namespace's default one",
            )
        };
        out.push(Violation::new(pod.path(field), message));
    }
}
