//! KG130: Containers should have a read-only root file system.
use kaegis_core::{Area, Context, Fix, Object, PodSpecView, Severity, Violation};
use serde_json::json;

use super::nsa;
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Every container (init, regular and ephemeral) must set
    /// `securityContext.readOnlyRootFilesystem: true`. It fires when the
    /// field is unset or `false`; there is no pod-level field to inherit
    /// from. Pods with `spec.os.name: windows` are exempt: Windows containers
    /// do not support the field.
    ///
    /// ## Why
    /// A writable root file system lets an intruder drop tools, replace
    /// binaries and libraries of the running image, and persist changes for
    /// as long as the container lives, all invisible to the image that was
    /// scanned. An immutable root file system keeps the container what its
    /// image says; the directories the application really writes become
    /// explicit volumes.
    ///
    /// ## How to fix
    /// Make the root read-only and mount writable scratch space where the
    /// application needs it:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   securityContext:
    ///     readOnlyRootFilesystem: true
    ///   volumeMounts:
    ///   - name: tmp
    ///     mountPath: /tmp
    /// volumes:
    /// - name: tmp
    ///   emptyDir: {}
    /// ```
    pub struct ReadOnlyRootFilesystem {
        code: "KG130",
        slug: "read-only-root-filesystem",
        title: "Containers should have a read-only root file system",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.7.3"),
            nsa("Pod security: immutable container file systems"),
        ],
    }
}

impl ReadOnlyRootFilesystem {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if pod.is_windows() {
            return;
        }
        for c in pod.containers() {
            let message = match c.sc("readOnlyRootFilesystem").and_then(|n| n.as_bool()) {
                Some(true) => continue,
                Some(false) => format!("{} sets readOnlyRootFilesystem: false", c.describe()),
                None => format!("{} does not set readOnlyRootFilesystem: true", c.describe()),
            };
            let path = c.security_context_path("readOnlyRootFilesystem");
            out.push(Violation::new(path.clone(), message).with_fix(Fix::set(
                path,
                json!(true),
                "set readOnlyRootFilesystem: true (mount an emptyDir where the app writes)",
            )));
        }
    }
}
