//! KG101: Windows pods must not run HostProcess containers.
use kaegis_core::{Area, Context, Object, PodSpecView, PssControl, PssLevel, Severity, Violation};

use super::{BASELINE, mitre, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Windows pods must not run as HostProcess containers:
    /// `securityContext.windowsOptions.hostProcess` must be unset or `false`,
    /// at pod level and in every container.
    ///
    /// ## Why
    /// A HostProcess container runs directly on the Windows node, as a process
    /// of the host with the host's network and file system: the Windows
    /// equivalent of a privileged Linux container.
    ///
    /// ## How to fix
    /// Remove `hostProcess: true`; run node-management tools as a DaemonSet in
    /// a dedicated, exempted namespace only.
    /// ```yaml
    /// securityContext:
    ///   windowsOptions:
    ///     hostProcess: false
    /// ```
    pub struct HostProcess {
        code: "KG101",
        slug: "host-process",
        title: "Windows pods must not run HostProcess containers",
        severity: Severity::Critical,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("HostProcess"), mitre("T1611 Escape to Host")],
        pss: Some(PssControl { control: "HostProcess", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

impl HostProcess {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let host_process = |sc: Option<&kaegis_core::Node>| {
            sc.and_then(|w| w.get("hostProcess"))
                .and_then(|n| n.as_bool())
                == Some(true)
        };
        if host_process(pod.sc("windowsOptions")) {
            out.push(Violation::new(
                pod.security_context_path("windowsOptions")
                    .key("hostProcess"),
                "pod runs as a Windows HostProcess",
            ));
        }
        for c in pod.containers() {
            if host_process(c.sc("windowsOptions")) {
                out.push(Violation::new(
                    c.security_context_path("windowsOptions").key("hostProcess"),
                    format!("{} runs as a Windows HostProcess", c.describe()),
                ));
            }
        }
    }
}
