//! KG105: Pods must not mount hostPath volumes.
use kaegis_core::{Area, Context, Object, PodSpecView, PssControl, PssLevel, Severity, Violation};

use super::{BASELINE, mitre, nsa, pss};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Pods must not mount directories of the node: no volume may be a
    /// `hostPath` volume.
    ///
    /// ## Why
    /// A hostPath volume hands the container a piece of the node's file system.
    /// Mounting `/`, `/etc`, `/var/lib/kubelet`, the container runtime socket or
    /// `/var/log` is a well-known route to node takeover, and even a read-only
    /// mount leaks other pods' secrets and tokens.
    ///
    /// ## How to fix
    /// Use an `emptyDir`, a `configMap`/`secret`, or a PersistentVolumeClaim:
    /// ```yaml
    /// volumes:
    /// - name: cache
    ///   emptyDir: {}
    /// ```
    pub struct HostPathVolumes {
        code: "KG105",
        slug: "host-path-volumes",
        title: "Pods must not mount hostPath volumes",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: BASELINE,
        references: &[pss("HostPath Volumes"), nsa("Pod security: hostPath"), mitre("T1611 Escape to Host")],
        pss: Some(PssControl { control: "HostPath Volumes", level: PssLevel::Baseline, since: 0, overrides: &[] }),
    }
}

impl HostPathVolumes {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (i, vol) in pod.volumes().iter().enumerate() {
            if let Some(hp) = vol.get("hostPath").filter(|n| !n.is_null()) {
                let name = vol.get("name").and_then(|n| n.as_str()).unwrap_or("");
                let path = hp.get("path").and_then(|n| n.as_str()).unwrap_or("");
                out.push(Violation::new(
                    pod.path("volumes").index(i).key("hostPath"),
                    format!("volume \"{name}\" mounts the node's {path:?} (hostPath)"),
                ));
            }
        }
    }
}
