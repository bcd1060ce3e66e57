//! KG852: Each controller must use its own service account.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-controller-manager runs with `--use-service-account-
    /// credentials=true` (the default is false).
    ///
    /// ## Why
    /// Without it every controller acts with the controller manager's own,
    /// very broad identity; with it each controller gets a ServiceAccount and
    /// a role with only what that controller needs, so RBAC limits what a
    /// flaw in one controller can do.
    ///
    /// ## How to fix
    /// Turn per-controller credentials on:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-controller-manager.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     command:
    ///     - kube-controller-manager
    ///     - --use-service-account-credentials=true
    /// ```
    pub struct ControllerManagerSaCredentials {
        code: "KG852",
        slug: "controller-manager-service-account-credentials",
        title: "Each controller must use its own service account",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeControllerManager"],
        profiles: CIS_HARDENING,
        references: &[cis("1.3.3")],
    }
}

impl ControllerManagerSaCredentials {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeControllerManager") {
            return;
        }
        component::require_bool(
            obj,
            out,
            "use-service-account-credentials",
            false,
            true,
            "every controller acts with the controller manager's own identity",
        );
    }
}
