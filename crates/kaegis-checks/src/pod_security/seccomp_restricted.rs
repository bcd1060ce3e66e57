//! KG124: A RuntimeDefault or Localhost seccomp profile must be set.
use kaegis_core::{
    Area, Context, Fix, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};
use serde_json::json;

use super::seccomp_baseline::{profile_type, valid_type};
use super::{RESTRICTED, nsa, pss, windows_exempt};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// A seccomp profile must be set: `securityContext.seccompProfile.type`
    /// must be `RuntimeDefault` or `Localhost`, at pod level or in every
    /// container, and no container may set another type (Pod Security
    /// Standards from v1.19; Windows pods exempt from v1.25).
    ///
    /// ## Why
    /// Without a profile, most runtimes run containers unconfined: every
    /// system call is open to an attacker, including those used by kernel
    /// exploits to escape to the node.
    ///
    /// ## How to fix
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    pub struct SeccompRestricted {
        code: "KG124",
        slug: "seccomp-required",
        title: "A RuntimeDefault or Localhost seccomp profile must be set",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: RESTRICTED,
        references: &[pss("Seccomp"), nsa("Pod security: AppArmor/seccomp")],
        pss: Some(PssControl { control: "Seccomp (restricted)", level: PssLevel::Restricted, since: 19, overrides: &[("seccomp-unconfined", 19)] }),
    }
}

/// Sets a seccomp profile type to RuntimeDefault.
pub(crate) fn runtime_default(path: kaegis_core::JsonPath) -> Fix {
    Fix::set(
        path,
        json!("RuntimeDefault"),
        "use the RuntimeDefault seccomp profile",
    )
}

impl SeccompRestricted {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if windows_exempt(&pod, ctx.pss_minor) {
            return;
        }
        let mut pod_set = false;
        match profile_type(pod.sc("seccompProfile")) {
            Some(t) if valid_type(t) => pod_set = true,
            Some(t) => out.push(
                Violation::new(
                    pod.security_context_path("seccompProfile").key("type"),
                    format!("pod sets seccomp profile type {t:?}"),
                )
                .with_fix(runtime_default(
                    pod.security_context_path("seccompProfile").key("type"),
                )),
            ),
            None => {}
        }
        for c in pod.containers() {
            match profile_type(c.sc("seccompProfile")) {
                Some(t) if valid_type(t) => {}
                Some(t) => out.push(
                    Violation::new(
                        c.security_context_path("seccompProfile").key("type"),
                        format!("{} sets seccomp profile type {t:?}", c.describe()),
                    )
                    .with_fix(runtime_default(
                        c.security_context_path("seccompProfile").key("type"),
                    )),
                ),
                None if pod_set => {}
                None => out.push(
                    Violation::new(
                        c.security_context_path("seccompProfile"),
                        format!(
                            "neither the pod nor {} sets a RuntimeDefault or Localhost seccomp profile",
                            c.describe()
                        ),
                    )
                    .with_fix(runtime_default(
                        pod.security_context_path("seccompProfile").key("type"),
                    )),
                ),
            }
        }
    }
}
