//! KG873: The kubelet's unauthenticated read-only port must be off.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `readOnlyPort` is not 0. The
    /// `--read-only-port` flag defaults to 10255 when no config file is used;
    /// a config file defaults to 0.
    ///
    /// ## Why
    /// The read-only port serves the node's pods (with their environment
    /// variables and images), its metrics and stats over plain HTTP with no
    /// authentication and no authorization: reconnaissance for anyone on the
    /// network.
    ///
    /// ## How to fix
    /// Set the port to 0 in the kubelet's config file and remove `--read-
    /// only-port` from its command line:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// readOnlyPort: 0
    /// ```
    pub struct KubeletReadOnlyPort {
        code: "KG873",
        slug: "kubelet-read-only-port",
        title: "The kubelet's unauthenticated read-only port must be off",
        severity: Severity::High,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.4")],
    }
}

impl KubeletReadOnlyPort {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["readOnlyPort"];
        let port =
            config(obj, &field).and_then(|n| n.as_i64().or_else(|| n.as_str()?.parse().ok()));
        match port {
            Some(0) => {}
            Some(p) => out.push(Violation::new(
                config_path(&field),
                format!(
                    "the kubelet serves its read-only API without authentication on port {p} ({})",
                    config_source(obj, "readOnlyPort")
                ),
            )),
            None => out.push(Violation::new(
                config_path(&field),
                "could not check: the kubelet's configuration has no readOnlyPort",
            )),
        }
    }
}
