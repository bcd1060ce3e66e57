//! KG883: kube-proxy must serve its metrics on loopback only.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-proxy's `--metrics-bind-address` is not a loopback
    /// address (unset, the default 127.0.0.1:10249, passes).
    ///
    /// ## Why
    /// kube-proxy's metrics port has no authentication: on all interfaces it
    /// tells anyone on the network about the node's Services and endpoints.
    ///
    /// ## How to fix
    /// Keep the metrics on loopback (or scrape them through an authenticating
    /// proxy):
    /// ```yaml
    /// # kube-proxy's DaemonSet (kube-system)
    /// command:
    /// - kube-proxy
    /// - --metrics-bind-address=127.0.0.1:10249
    /// ```
    pub struct KubeProxyMetricsBind {
        code: "KG883",
        slug: "kube-proxy-metrics-bind-address",
        title: "kube-proxy must serve its metrics on loopback only",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["KubeProxy"],
        profiles: CIS_HARDENING,
        references: &[cis("4.3.1")],
    }
}

impl KubeProxyMetricsBind {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeProxy") {
            return;
        }
        component::require_loopback(
            obj,
            out,
            "metrics-bind-address",
            None,
            "kube-proxy's metrics are reachable from other hosts without authentication",
        );
    }
}
