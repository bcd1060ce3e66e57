//! KG122: Containers must run as non-root.
use kaegis_core::{
    Area, Context, Fix, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};
use serde_json::json;

use super::relaxed_for_user_namespace;
use super::{RESTRICTED, nsa, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Containers must be required to run as a non-root user:
    /// `securityContext.runAsNonRoot: true` at pod level (and no container
    /// setting it to `false`), or in every container. From v1.35 pods in their
    /// own user namespace (`hostUsers: false`) are exempt.
    ///
    /// ## Why
    /// Root in a container is root on the node's kernel, held back only by the
    /// other controls. `runAsNonRoot` makes the kubelet refuse to start a
    /// container whose image would run as UID 0.
    ///
    /// ## How to fix
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    /// ```
    pub struct RunAsNonRoot {
        code: "KG122",
        slug: "run-as-non-root",
        title: "Containers must run as non-root",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: RESTRICTED,
        references: &[pss("Running as Non-root"), nsa("Pod security: non-root containers")],
        pss: Some(PssControl { control: "Running as Non-root", level: PssLevel::Restricted, since: 0, overrides: &[] }),
    }
}

/// Sets `runAsNonRoot: true` for the whole pod.
fn pod_fix(pod: &PodSpecView) -> Fix {
    Fix::set(
        pod.security_context_path("runAsNonRoot"),
        json!(true),
        "set the pod's runAsNonRoot: true (its images must run as a non-zero UID)",
    )
}

impl RunAsNonRoot {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if relaxed_for_user_namespace(&pod, ctx) {
            return;
        }
        let pod_value = pod.sc("runAsNonRoot").and_then(|n| n.as_bool());
        if pod_value == Some(false) {
            out.push(
                Violation::new(
                    pod.security_context_path("runAsNonRoot"),
                    "pod sets runAsNonRoot: false",
                )
                .with_fix(pod_fix(&pod)),
            );
        }
        for c in pod.containers() {
            match c.sc("runAsNonRoot").and_then(|n| n.as_bool()) {
                Some(true) => {}
                Some(false) => out.push(
                    Violation::new(
                        c.security_context_path("runAsNonRoot"),
                        format!("{} sets runAsNonRoot: false", c.describe()),
                    )
                    .with_fix(Fix::set(
                        c.security_context_path("runAsNonRoot"),
                        json!(true),
                        "set runAsNonRoot: true (the image must run as a non-zero UID)",
                    )),
                ),
                None if pod_value == Some(true) => {}
                None => out.push(
                    Violation::new(
                        c.security_context_path("runAsNonRoot"),
                        format!(
                            "neither the pod nor {} sets runAsNonRoot: true",
                            c.describe()
                        ),
                    )
                    .with_fix(pod_fix(&pod)),
                ),
            }
        }
    }
}
