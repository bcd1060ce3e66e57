//! KG875: The kubelet must manage its iptables utility chains.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_bool, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet's effective `makeIPTablesUtilChains` is false
    /// (the default is true).
    ///
    /// ## Why
    /// The kubelet keeps the iptables chains that mark and drop packets in
    /// line with the pods' networking; when it does not, they drift from what
    /// the node's pods need, and manual rules can silently open or break
    /// traffic.
    ///
    /// ## How to fix
    /// Leave the setting at its default, or set it explicitly:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// makeIPTablesUtilChains: true
    /// ```
    pub struct KubeletIptablesUtilChains {
        code: "KG875",
        slug: "kubelet-iptables-util-chains",
        title: "The kubelet must manage its iptables utility chains",
        severity: Severity::Low,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.6")],
    }
}

impl KubeletIptablesUtilChains {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["makeIPTablesUtilChains"];
        if config_bool(obj, &field) == Some(false) {
            out.push(Violation::new(
                config_path(&field),
                format!(
                    "the kubelet does not manage its iptables utility chains ({})",
                    config_source(obj, "makeIPTablesUtilChains")
                ),
            ));
        }
    }
}
