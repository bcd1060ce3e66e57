//! KG853: The controller manager must sign service account tokens with an explicit key.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-controller-manager runs with `--service-account-
    /// private-key-file`.
    ///
    /// ## Why
    /// The controller manager signs service account tokens with this key;
    /// without it tokens cannot be issued in a way the API server verifies
    /// with `--service-account-key-file`, and keys cannot be rotated.
    ///
    /// ## How to fix
    /// Point it at the private half of the service account key pair:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-controller-manager.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     command:
    ///     - kube-controller-manager
    ///     - --service-account-private-key-file=/etc/kubernetes/pki/sa.key
    /// ```
    pub struct ControllerManagerSaPrivateKey {
        code: "KG853",
        slug: "controller-manager-service-account-key",
        title: "The controller manager must sign service account tokens with an explicit key",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeControllerManager"],
        profiles: CIS_HARDENING,
        references: &[cis("1.3.4")],
    }
}

impl ControllerManagerSaPrivateKey {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeControllerManager") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["service-account-private-key-file"],
            "service account tokens are not signed with an explicit, rotatable key",
        );
    }
}
