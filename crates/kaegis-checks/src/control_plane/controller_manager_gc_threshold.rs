//! KG850: The controller manager must collect terminated pods early.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-controller-manager runs with `--terminated-pod-gc-
    /// threshold` (the default keeps 12,500 terminated pods). The benchmark
    /// rates this recommendation Manual: the check runs in the `cis` profile
    /// only.
    ///
    /// ## Why
    /// Terminated pods are kept until the threshold is reached; thousands of
    /// them weigh on etcd, the API server and every client that lists pods.
    ///
    /// ## How to fix
    /// Set a threshold that fits the cluster:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-controller-manager.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     command:
    ///     - kube-controller-manager
    ///     - --terminated-pod-gc-threshold=1000
    /// ```
    pub struct ControllerManagerGcThreshold {
        code: "KG850",
        slug: "controller-manager-terminated-pod-gc",
        title: "The controller manager must collect terminated pods early",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeControllerManager"],
        profiles: CIS,
        references: &[cis("1.3.1")],
    }
}

impl ControllerManagerGcThreshold {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeControllerManager") {
            return;
        }
        component::require_set(
            obj,
            out,
            &["terminated-pod-gc-threshold"],
            "12,500 terminated pods are kept before any is collected",
        );
    }
}
