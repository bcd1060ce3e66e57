//! KG827: The API server must keep enough audit log (audit-log-maxbackup).
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when kube-apiserver writes an audit log (`--audit-log-path`) and
    /// `--audit-log-maxbackup` is unset or below 10.
    ///
    /// ## Why
    /// Intrusions are often found weeks later; audit logs that rotate away
    /// too fast leave nothing to investigate. Keep them on the node long
    /// enough, or ship them elsewhere and document why the local retention is
    /// lower.
    ///
    /// ## How to fix
    /// Keep at least the benchmark's retention:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --audit-log-maxbackup=10
    /// ```
    pub struct ApiserverAuditLogMaxbackup {
        code: "KG827",
        slug: "apiserver-audit-log-maxbackup",
        title: "The API server must keep enough audit log (audit-log-maxbackup)",
        severity: Severity::Low,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.18")],
    }
}

impl ApiserverAuditLogMaxbackup {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        if !component::is_set(obj, "audit-log-path") {
            return;
        }
        component::require_at_least(
            obj,
            out,
            "audit-log-maxbackup",
            10,
            "fewer than 10 rotated audit logs are kept",
        );
    }
}
