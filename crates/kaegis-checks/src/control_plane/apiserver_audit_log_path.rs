//! KG825: The API server must write an audit log.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless kube-apiserver runs with `--audit-log-path` (or an audit
    /// webhook, `--audit-webhook-config-file`) and an audit policy (`--audit-
    /// policy-file`).
    ///
    /// ## Why
    /// The audit log is the only record of who did what through the API:
    /// without it an intrusion, a leaked token's use or a destructive mistake
    /// leaves no trace (and `kaegis detect` has nothing to read).
    ///
    /// ## How to fix
    /// Log to a file (or a webhook) with a policy:
    /// ```yaml
    /// # /etc/kubernetes/manifests/kube-apiserver.yaml
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     command:
    ///     - kube-apiserver
    ///     - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
    ///     - --audit-log-path=/var/log/kubernetes/audit/audit.log
    /// ```
    pub struct ApiserverAuditLogPath {
        code: "KG825",
        slug: "apiserver-audit-log",
        title: "The API server must write an audit log",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["KubeAPIServer"],
        profiles: CIS_HARDENING,
        references: &[cis("1.2.16"), cis("3.2.1")],
    }
}

impl ApiserverAuditLogPath {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "KubeAPIServer") {
            return;
        }
        if !component::is_set(obj, "audit-log-path")
            && !component::is_set(obj, "audit-webhook-config-file")
        {
            out.push(Violation::new(
                component::flags_path(),
                "--audit-log-path is not set (nor an audit webhook): API requests are not recorded",
            ));
        } else if !component::is_set(obj, "audit-policy-file") {
            out.push(Violation::new(
                component::flags_path(),
                "--audit-policy-file is not set: without a policy the API server records no events",
            ));
        }
    }
}
