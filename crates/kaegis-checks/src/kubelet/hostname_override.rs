//! KG882: The kubelet must not override the node's host name.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, flag};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when the kubelet is started with `--hostname-override`.
    ///
    /// ## Why
    /// The kubelet's serving certificate and the API server's node authorizer
    /// rely on the node's name matching its host name; an override can make
    /// TLS verification between the API server and the kubelet fail, which
    /// invites turning verification off.
    ///
    /// ## How to fix
    /// Remove `--hostname-override` from the kubelet's command line (cloud
    /// providers that need another node name set it through their own
    /// integration).
    /// ```yaml
    /// # /etc/systemd/system/kubelet.service.d/10-kubeadm.conf: no --hostname-override in KUBELET_EXTRA_ARGS
    /// ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS
    /// ```
    pub struct KubeletHostnameOverride {
        code: "KG882",
        slug: "kubelet-hostname-override",
        title: "The kubelet must not override the node's host name",
        severity: Severity::Low,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.7")],
    }
}

impl KubeletHostnameOverride {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") {
            return;
        }
        if let Some(f) = flag(obj, "hostname-override") {
            out.push(Violation::new(
                f.path,
                format!(
                    "the kubelet overrides the node's host name with {}",
                    f.value
                ),
            ));
        }
    }
}
