//! KG874: The kubelet must close idle streaming connections.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_path, config_source, config_str, is_zero_duration};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `streamingConnectionIdleTimeout` is
    /// zero, which disables the timeout (the default is 4h).
    ///
    /// ## Why
    /// `exec`, `attach` and `port-forward` sessions are streaming connections
    /// through the kubelet. Without an idle timeout a forgotten or hijacked
    /// session stays open forever, and idle connections pile up until the
    /// kubelet runs out of resources.
    ///
    /// ## How to fix
    /// Set a timeout (the default 4h, or shorter):
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// streamingConnectionIdleTimeout: 5m
    /// ```
    pub struct KubeletStreamingIdleTimeout {
        code: "KG874",
        slug: "kubelet-streaming-idle-timeout",
        title: "The kubelet must close idle streaming connections",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.5")],
    }
}

impl KubeletStreamingIdleTimeout {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["streamingConnectionIdleTimeout"];
        if let Some(t) = config_str(obj, &field)
            && is_zero_duration(t)
        {
            out.push(Violation::new(
                config_path(&field),
                format!(
                    "idle streaming connections (exec, attach, port-forward) are never closed: the timeout is {t} ({})",
                    config_source(obj, "streamingConnectionIdleTimeout")
                ),
            ));
        }
    }
}
