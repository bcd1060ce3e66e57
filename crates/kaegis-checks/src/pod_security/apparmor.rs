//! KG108: AppArmor must not be disabled.
use kaegis_core::{
    Area, Context, Node, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};

use super::{BASELINE, nsa, pss};
use crate::macros::declare_check;

/// Prefix of the deprecated per-container AppArmor annotations.
pub const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

declare_check! {
    /// ## What
    /// Pods and containers must not turn AppArmor off: `securityContext.appArmorProfile.type`
    /// must be `RuntimeDefault` or `Localhost` where it is set (pod and every
    /// container), and the deprecated `container.apparmor.security.beta.kubernetes.io/*`
    /// annotations must be empty, `runtime/default` or `localhost/<profile>`.
    ///
    /// ## Why
    /// AppArmor confines what a process may touch even when it runs as root in
    /// its container; `Unconfined` removes that last layer, which several
    /// container escapes rely on.
    ///
    /// ## How to fix
    /// Leave AppArmor at the runtime default, or name a profile loaded on the
    /// nodes:
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: RuntimeDefault
    /// ```
    pub struct AppArmor {
        code: "KG108",
        slug: "apparmor",
        title: "AppArmor must not be disabled",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("AppArmor"), nsa("Pod security: AppArmor/seccomp")],
        pss: Some(PssControl { control: "AppArmor", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

fn bad_type(profile: Option<&Node>) -> Option<&str> {
    let profile = profile.filter(|p| !p.is_null())?;
    let t = profile.get("type").and_then(Node::as_str).unwrap_or("");
    (!matches!(t, "RuntimeDefault" | "Localhost")).then_some(t)
}

impl AppArmor {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if let Some(t) = bad_type(pod.sc("appArmorProfile")) {
            out.push(Violation::new(
                pod.security_context_path("appArmorProfile").key("type"),
                format!("pod sets AppArmor profile type {t:?}"),
            ));
        }
        for c in pod.containers() {
            if let Some(t) = bad_type(c.sc("appArmorProfile")) {
                out.push(Violation::new(
                    c.security_context_path("appArmorProfile").key("type"),
                    format!("{} sets AppArmor profile type {t:?}", c.describe()),
                ));
            }
        }
        for e in pod.annotations() {
            if !e.key.starts_with(ANNOTATION_PREFIX) {
                continue;
            }
            let v = e.value.as_str().unwrap_or("");
            if !(v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")) {
                out.push(Violation::new(
                    pod.annotation_path(&e.key),
                    format!("annotation {} sets AppArmor profile {v:?}", e.key),
                ));
            }
        }
    }
}
