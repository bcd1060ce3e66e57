//! KG111: Seccomp must not be set to Unconfined.
use kaegis_core::{
    Area, Context, Node, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};

use super::{BASELINE, nsa, pss};
use crate::macros::declare_check;

/// The deprecated pod-wide seccomp annotation (policy versions before v1.19).
pub const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
/// The deprecated per-container seccomp annotation prefix.
pub const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

declare_check! {
    /// ## What
    /// Seccomp must not be turned off: `securityContext.seccompProfile.type`
    /// must not be `Unconfined` (pod and every container). For policy versions
    /// before v1.19 the deprecated annotations are checked instead:
    /// `seccomp.security.alpha.kubernetes.io/pod` and
    /// `container.seccomp.security.alpha.kubernetes.io/<container>` must be
    /// `runtime/default`, `docker/default` or `localhost/<profile>`.
    ///
    /// ## Why
    /// Seccomp filters the system calls a container may make. Most kernel
    /// exploits used for container escapes go through system calls that the
    /// runtime's default profile blocks.
    ///
    /// ## How to fix
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: RuntimeDefault
    /// ```
    pub struct SeccompBaseline {
        code: "KG111",
        slug: "seccomp-unconfined",
        title: "Seccomp must not be set to Unconfined",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("Seccomp"), nsa("Pod security: AppArmor/seccomp")],
        pss: Some(PssControl { control: "Seccomp", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

/// True for the profile types the standards accept.
pub(crate) fn valid_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

/// The type of a set seccompProfile (`""` when the profile has no type).
pub(crate) fn profile_type(profile: Option<&Node>) -> Option<&str> {
    profile
        .filter(|p| !p.is_null())
        .map(|p| p.get("type").and_then(Node::as_str).unwrap_or(""))
}

impl SeccompBaseline {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if ctx.pss_minor < 19 {
            let valid = |v: &str| {
                v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
            };
            if let Some(v) = pod.annotation(POD_ANNOTATION).or_else(|| {
                pod.annotations()
                    .iter()
                    .rev()
                    .find(|e| &*e.key == POD_ANNOTATION)
                    .map(|_| "")
            }) && !valid(v)
            {
                out.push(Violation::new(
                    pod.annotation_path(POD_ANNOTATION),
                    format!("pod seccomp annotation is {v:?}"),
                ));
            }
            for c in pod.containers() {
                let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name());
                let Some(e) = pod.annotations().iter().rev().find(|e| *e.key == *key) else {
                    continue;
                };
                let v = e.value.as_str().unwrap_or("");
                if !valid(v) {
                    out.push(Violation::new(
                        pod.annotation_path(&key),
                        format!("{} seccomp annotation is {v:?}", c.describe()),
                    ));
                }
            }
            return;
        }
        if let Some(t) = profile_type(pod.sc("seccompProfile")).filter(|t| !valid_type(t)) {
            out.push(
                Violation::new(
                    pod.security_context_path("seccompProfile").key("type"),
                    format!("pod sets seccomp profile type {t:?}"),
                )
                .with_fix(super::seccomp_restricted::runtime_default(
                    pod.security_context_path("seccompProfile").key("type"),
                )),
            );
        }
        for c in pod.containers() {
            if let Some(t) = profile_type(c.sc("seccompProfile")).filter(|t| !valid_type(t)) {
                out.push(
                    Violation::new(
                        c.security_context_path("seccompProfile").key("type"),
                        format!("{} sets seccomp profile type {t:?}", c.describe()),
                    )
                    .with_fix(super::seccomp_restricted::runtime_default(
                        c.security_context_path("seccompProfile").key("type"),
                    )),
                );
            }
        }
    }
}
