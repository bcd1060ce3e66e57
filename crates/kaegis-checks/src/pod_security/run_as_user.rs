//! KG123: Pods and containers must not run as UID 0.
use kaegis_core::{Area, Context, Object, PodSpecView, PssControl, PssLevel, Severity, Violation};

use super::relaxed_for_user_namespace;
use super::{RESTRICTED, nsa, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Pods and containers must not set `securityContext.runAsUser: 0`
    /// (Pod Security Standards from v1.23). From v1.35 pods in their own user
    /// namespace (`hostUsers: false`) are exempt.
    ///
    /// ## Why
    /// UID 0 is root. Setting it explicitly overrides a non-root image user and
    /// defeats `runAsNonRoot` at the kubelet.
    ///
    /// ## How to fix
    /// Run as a dedicated, non-zero UID:
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    /// ```
    pub struct RunAsUser {
        code: "KG123",
        slug: "run-as-user-root",
        title: "Pods and containers must not run as UID 0",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: RESTRICTED,
        references: &[pss("Running as Non-root user"), nsa("Pod security: non-root containers")],
        pss: Some(PssControl { control: "Running as Non-root user", level: PssLevel::Restricted, since: 23, overrides: &[] }),
    }
}

impl RunAsUser {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if relaxed_for_user_namespace(&pod, ctx) {
            return;
        }
        if pod.sc("runAsUser").and_then(|n| n.as_i64()) == Some(0) {
            out.push(Violation::new(
                pod.security_context_path("runAsUser"),
                "pod sets runAsUser: 0 (root)",
            ));
        }
        for c in pod.containers() {
            if c.sc("runAsUser").and_then(|n| n.as_i64()) == Some(0) {
                out.push(Violation::new(
                    c.security_context_path("runAsUser"),
                    format!("{} sets runAsUser: 0 (root)", c.describe()),
                ));
            }
        }
    }
}
