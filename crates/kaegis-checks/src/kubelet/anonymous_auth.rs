//! KG870: The kubelet must refuse anonymous requests.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_bool, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Reads the kubelet's effective configuration (command-line flags over
    /// drop-ins over the config file over the defaults) and fails when
    /// `authentication.anonymous.enabled` is true. Without a config file the
    /// flag default applies, and `--anonymous-auth` defaults to true.
    ///
    /// ## Why
    /// The kubelet's API (port 10250) runs commands in containers, reads
    /// their logs and lists the node's pods. With anonymous requests allowed,
    /// anyone who reaches the port is `system:anonymous`, and the only thing
    /// between them and `exec` is the authorization mode.
    ///
    /// ## How to fix
    /// Turn anonymous authentication off in the kubelet's config file (and
    /// remove `--anonymous-auth=true` from its command line), then restart
    /// the kubelet:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous:
    ///     enabled: false
    /// ```
    pub struct KubeletAnonymousAuth {
        code: "KG870",
        slug: "kubelet-anonymous-auth",
        title: "The kubelet must refuse anonymous requests",
        severity: Severity::Critical,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.1")],
    }
}

impl KubeletAnonymousAuth {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["authentication", "anonymous", "enabled"];
        match config_bool(obj, &field) {
            Some(false) => {}
            Some(true) => out.push(Violation::new(
                config_path(&field),
                format!(
                    "anonymous requests to the kubelet's API are allowed ({})",
                    config_source(obj, "authentication.anonymous.enabled")
                ),
            )),
            None => out.push(Violation::new(
                config_path(&field),
                "could not check: the kubelet's configuration does not say whether anonymous requests are allowed",
            )),
        }
    }
}
