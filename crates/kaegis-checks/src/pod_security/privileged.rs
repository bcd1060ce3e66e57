//! KG103: Containers must not be privileged.
use kaegis_core::{
    Area, Context, Fix, Object, PodSpecView, PssControl, PssLevel, Severity, Violation,
};
use serde_json::json;

use super::{BASELINE, mitre, nsa, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Containers must not run privileged: `securityContext.privileged` must
    /// be unset or `false` in every container, init container and ephemeral
    /// container.
    ///
    /// ## Why
    /// A privileged container has every capability, sees every host device and
    /// runs without seccomp or AppArmor confinement: it is root on the node. One
    /// compromised privileged container is a compromised node, and from there
    /// the credentials of every pod on it.
    ///
    /// ## How to fix
    /// Remove `privileged: true`. If the workload needs one kernel feature, grant
    /// that capability alone (and only in a namespace that allows it):
    /// ```yaml
    /// securityContext:
    ///   privileged: false
    ///   capabilities:
    ///     drop: ["ALL"]
    /// ```
    pub struct Privileged {
        code: "KG103",
        slug: "privileged",
        title: "Containers must not be privileged",
        severity: Severity::Critical,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("Privileged Containers"), nsa("Pod security: non-root, unprivileged containers"), mitre("T1611 Escape to Host")],
        pss: Some(PssControl { control: "Privileged Containers", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

impl Privileged {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for c in pod.containers() {
            if c.sc("privileged").and_then(|n| n.as_bool()) == Some(true) {
                let path = c.security_context_path("privileged");
                out.push(
                    Violation::new(path.clone(), format!("{} runs privileged", c.describe()))
                        .with_fix(Fix::set(path, json!(false), "set privileged: false")),
                );
            }
        }
    }
}
