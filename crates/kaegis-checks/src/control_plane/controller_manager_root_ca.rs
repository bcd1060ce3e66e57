//! KG854: The controller manager must give pods the cluster's CA.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-controller-manager runs with `--root-ca-file`.
    ///
    /// ## Why
    /// The root CA is published to every namespace (`kube-root-ca.crt`) so
    /// that pods can verify the API server's certificate; without it pods
    /// either cannot talk to the API server or skip verification.
    ///
    /// ## How to fix
    /// Point it at the cluster CA:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-controller-manager.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     command:
    ///     - kube-controller-manager
    ///     - --root-ca-file=/etc/kubernetes/pki/ca.crt
    /// ```
    pub struct ControllerManagerRootCa {
        code: "KG854",
        slug: "controller-manager-root-ca",
        title: "The controller manager must give pods the cluster's CA",
        severity: Severity::Medium,
        area: Area::ControlPlane,
        kinds: &["KubeControllerManager"],
        profiles: CIS_HARDENING,
        references: &[cis("1.3.5")],
    }
}

impl ControllerManagerRootCa {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeControllerManager") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["root-ca-file"],
            "pods are not given the CA to verify the API server",
        );
    }
}
