//! KG861: etcd must require client certificates.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, bool_flag, flag_or_flags};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless etcd's `--client-cert-auth` is true (the default is
    /// false).
    ///
    /// ## Why
    /// Without client certificate authentication, anything that reaches
    /// etcd's client port may read and write the whole cluster state
    /// directly, bypassing the API server's authentication, authorization,
    /// admission and audit: every Secret, every RBAC binding.
    ///
    /// ## How to fix
    /// Require client certificates signed by etcd's CA:
    /// ```yaml
    /// # /etc/kubernetes/manifests/etcd.yaml
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     command:
    ///     - etcd
    ///     - --client-cert-auth=true
    ///     - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    /// ```
    pub struct EtcdClientCertAuth {
        code: "KG861",
        slug: "etcd-client-cert-auth",
        title: "etcd must require client certificates",
        severity: Severity::Critical,
        area: Area::Etcd,
        kinds: &["Etcd"],
        profiles: CIS_HARDENING,
        references: &[cis("2.2")],
    }
}

impl EtcdClientCertAuth {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Etcd") {
            return;
        }
        match bool_flag(obj, "client-cert-auth", false) {
            Ok(true) => {}
            Ok(false) => out.push(Violation::new(
                flag_or_flags(obj, "client-cert-auth"),
                "etcd accepts clients without a certificate: --client-cert-auth is not true",
            )),
            Err(v) => out.push(Violation::new(
                flag_or_flags(obj, "client-cert-auth"),
                format!("could not check: --client-cert-auth={v} is not a boolean"),
            )),
        }
    }
}
