//! KG881: The kubelet must confine containers with the runtime's seccomp profile by default.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, config_bool, config_path, config_source};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless the kubelet's effective `seccompDefault` is true (the
    /// default is false).
    ///
    /// ## Why
    /// A container without a seccomp profile may make every system call,
    /// including the rarely needed ones that most kernel privilege
    /// escalations go through. With `seccompDefault`, every container that
    /// does not ask for another profile gets the runtime's default one
    /// (`RuntimeDefault`), not `Unconfined`.
    ///
    /// ## How to fix
    /// Turn the default on (test workloads first: a few need a system call
    /// the runtime's profile blocks and must then ask for their own profile):
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// seccompDefault: true
    /// ```
    pub struct KubeletSeccompDefault {
        code: "KG881",
        slug: "kubelet-seccomp-default",
        title: "The kubelet must confine containers with the runtime's seccomp profile by default",
        severity: Severity::Medium,
        area: Area::Kubelet,
        kinds: &["Kubelet"],
        profiles: CIS_HARDENING,
        references: &[cis("4.2.14")],
    }
}

impl KubeletSeccompDefault {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Kubelet") || !component::has_config(obj, out) {
            return;
        }
        let field = ["seccompDefault"];
        if config_bool(obj, &field) != Some(true) {
            out.push(Violation::new(
                config_path(&field),
                format!(
                    "containers without a seccomp profile run unconfined on this node ({})",
                    config_source(obj, "seccompDefault")
                ),
            ));
        }
    }
}
