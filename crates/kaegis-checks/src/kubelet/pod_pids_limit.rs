//! KG880: The kubelet must limit the processes of each pod.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `podPidsLimit` is unset, zero or
    /// negative (the default, -1, is no limit).
    ///
    /// ## Why
    /// Process IDs are a node-wide resource. Without a per-pod limit one pod
    /// (a fork bomb, a leaking worker pool) can take every PID on the node,
    /// and then the kubelet, the container runtime and every other pod fail
    /// to start processes.
    ///
    /// ## How to fix
    /// Set a limit that is comfortably above what any pod on the node needs:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// podPidsLimit: 4096
    /// ```
    pub struct KubeletPodPidsLimit {
        code: "KG880",
        slug: "kubelet-pod-pids-limit",
        title: "The kubelet must limit the processes of each pod",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.13")],
    }
}

impl KubeletPodPidsLimit {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["podPidsLimit"];
        let limit =
            config(obj, &field).and_then(|n| n.as_i64().or_else(|| n.as_str()?.parse().ok()));
        if limit.is_none_or(|l| l <= 0) {
            out.push(Violation::new(
                config_path(&field),
                format!(
                    "the pods on this node may start any number of processes (podPidsLimit {}, {})",
                    limit.map_or_else(|| "unset".to_owned(), |l| l.to_string()),
                    config_source(obj, "podPidsLimit")
                ),
            ));
        }
    }
}
