//! KG864: etcd must require certificates from its peers.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, bool_flag, flag_or_flags};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails unless etcd's `--peer-client-cert-auth` is true (the default is
    /// false).
    ///
    /// ## Why
    /// Without it any host that reaches the peer port can join the cluster's
    /// consensus or replay as a member, and read or corrupt the whole cluster
    /// state.
    ///
    /// ## How to fix
    /// Require peer certificates signed by etcd's CA:
    /// ```yaml
    /// # /etc/kubernetes/manifests/etcd.yaml
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     command:
    ///     - etcd
    ///     - --peer-client-cert-auth=true
    ///     - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
    /// ```
    pub struct EtcdPeerClientCertAuth {
        code: "KG864",
        slug: "etcd-peer-client-cert-auth",
        title: "etcd must require certificates from its peers",
        severity: Severity::High,
        area: Area::Etcd,
        kinds: &["Etcd"],
        profiles: CIS_HARDENING,
        references: &[cis("2.5")],
    }
}

impl EtcdPeerClientCertAuth {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Etcd") {
            return;
        }
        match bool_flag(obj, "peer-client-cert-auth", false) {
            Ok(true) => {}
            Ok(false) => out.push(Violation::new(
                flag_or_flags(obj, "peer-client-cert-auth"),
                "etcd accepts peers without a certificate: --peer-client-cert-auth is not true",
            )),
            Err(v) => out.push(Violation::new(
                flag_or_flags(obj, "peer-client-cert-auth"),
                format!("could not check: --peer-client-cert-auth={v} is not a boolean"),
            )),
        }
    }
}
