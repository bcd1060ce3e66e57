//! KG877: The kubelet must refuse to change the kernel's settings.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_bool, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fails unless the kubelet's effective `protectKernelDefaults` is true
    /// (the default is false). Earlier versions of the CIS benchmark
    /// recommended it under 4.2.6.
    ///
    /// ## Why
    /// When the kernel's tunables differ from what the kubelet expects, the
    /// kubelet silently changes them; with this setting it fails instead, so
    /// a node's sysctls stay as the node's owner configured and hardened
    /// them, and any drift is seen.
    ///
    /// ## How to fix
    /// Set the kernel parameters the kubelet needs in the node's sysctl
    /// configuration, then:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// protectKernelDefaults: true
    /// ```
    pub struct KubeletProtectKernelDefaults {
        code: "KG877",
        slug: "kubelet-protect-kernel-defaults",
        title: "The kubelet must refuse to change the kernel's settings",
        severity: Severity::Low,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[k8s(
            "Kubelet configuration: protectKernelDefaults",
            "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/",
        )],
    }
}

impl KubeletProtectKernelDefaults {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["protectKernelDefaults"];
        if config_bool(obj, &field) != Some(true) {
            out.push(Violation::new(
                config_path(&field),
                format!(
                    "the kubelet may change the kernel's tunables ({})",
                    config_source(obj, "protectKernelDefaults")
                ),
            ));
        }
    }
}
