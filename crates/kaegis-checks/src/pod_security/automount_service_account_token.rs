//! KG132: Pods should not mount a ServiceAccount token they do not need.
use kaegis_core::{
    Area, Context, Fix, Node, Object, PodSpecView, Scope, Severity, Violation, namespace_key,
};
use serde_json::json;

use super::{mitre, nsa};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis, k8s};

declare_check! {
    /// ## What
    /// Fires for a pod whose API credentials are mounted by default: the pod
    /// spec leaves `automountServiceAccountToken` unset, and its
    /// ServiceAccount (`serviceAccountName`, else the deprecated
    /// `serviceAccount`, else `default`) does not set it to `false` either.
    ///
    /// - A pod that sets `automountServiceAccountToken: false` passes.
    /// - A pod that sets it to `true` passes: it declares that it calls the
    ///   Kubernetes API, and the pod's value wins over the ServiceAccount's.
    /// - When the pod leaves it unset, the ServiceAccount decides. If the
    ///   scan holds that ServiceAccount, the check fires unless it sets
    ///   `automountServiceAccountToken: false`. If the scan does not hold it,
    ///   the check fires only for the `default` ServiceAccount, which
    ///   Kubernetes creates in every namespace with automounting on; for any
    ///   other name it says nothing, since the account in the cluster may
    ///   turn automounting off.
    ///
    /// ## Why
    /// An automounted token lets anything running in the pod act as its
    /// ServiceAccount against the API server. Most workloads never call the
    /// API, yet an intruder in any of them reads the token from
    /// `/var/run/secrets/kubernetes.io/serviceaccount/` and uses whatever
    /// rights the account was granted (or will be granted later) to move
    /// through the cluster.
    ///
    /// ## How to fix
    /// Turn automounting off on the ServiceAccount, or on pods that do not
    /// call the API; set it to `true` on the pods that do:
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
    ///   automountServiceAccountToken: false
    /// ```
    pub struct AutomountServiceAccountToken {
        code: "KG132",
        slug: "automount-service-account-token",
        title: "Pods should not mount a ServiceAccount token they do not need",
        severity: Severity::Low,
        area: Area::PodSecurity,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.6"),
            nsa("Authentication and authorization: service account tokens"),
            mitre("T1528 Steal Application Access Token"),
            k8s("Opt out of API credential automounting", "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting"),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
    }
}

impl AutomountServiceAccountToken {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(inventory) = ctx.inventory else {
            return;
        };
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if pod
            .field("automountServiceAccountToken")
            .and_then(Node::as_bool)
            .is_some()
        {
            return;
        }
        let account = pod.service_account_name();
        let key = (namespace_key(obj).to_owned(), account.to_owned());
        let message = match inventory.service_accounts.get(&key) {
            Some(sa) if sa.automount == Some(false) => return,
            Some(_) => format!(
                "pod mounts the API token of ServiceAccount {account:?}: neither the pod nor the ServiceAccount sets automountServiceAccountToken: false"
            ),
            None if account == "default" => "pod mounts the API token of the namespace's default ServiceAccount: the pod does not set automountServiceAccountToken: false".to_owned(),
            None => return,
        };
        let path = pod.path("automountServiceAccountToken");
        out.push(Violation::new(path.clone(), message).with_fix(Fix::set(
            path,
            json!(false),
            "set automountServiceAccountToken: false (pods that call the API need a projected token instead)",
        )));
    }
}
