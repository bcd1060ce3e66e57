//! KG871: The kubelet must authorize requests through the API server (Webhook).
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_path, config_source, config_str};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless the kubelet's effective `authorization.mode` is
    /// `Webhook`. `AlwaysAllow` (the default of the `--authorization-mode`
    /// flag when no config file is used) is a failure whatever any guide
    /// says: it lets every authenticated caller, and with anonymous
    /// authentication every caller, use the kubelet's whole API.
    ///
    /// ## Why
    /// With `Webhook`, the kubelet asks the API server (SubjectAccessReview
    /// on `nodes/proxy`, `nodes/log`, …) whether the caller may do what it
    /// asks, so RBAC decides who may exec into pods through the kubelet. With
    /// `AlwaysAllow` nobody decides.
    ///
    /// ## How to fix
    /// Set the authorization mode to Webhook in the kubelet's config file and
    /// remove `--authorization-mode=AlwaysAllow` from its command line:
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authorization:
    ///   mode: Webhook
    /// ```
    pub struct KubeletAuthorizationMode {
        code: "KG871",
        slug: "kubelet-authorization-mode",
        title: "The kubelet must authorize requests through the API server (Webhook)",
        severity: Severity::Critical,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.2")],
    }
}

impl KubeletAuthorizationMode {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["authorization", "mode"];
        let source = config_source(obj, "authorization.mode");
        match config_str(obj, &field) {
            Some("Webhook") => {}
            Some(mode) => out.push(Violation::new(
                config_path(&field),
                format!("the kubelet authorizes requests with {mode} ({source}), not Webhook: every caller it authenticates may use its whole API"),
            )),
            None => out.push(Violation::new(
                config_path(&field),
                "could not check: the kubelet's configuration has no authorization mode",
            )),
        }
    }
}
