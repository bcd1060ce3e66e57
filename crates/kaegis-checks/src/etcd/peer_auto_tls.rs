//! KG865: etcd must not use self-signed certificates with its peers.
use kaegis_core::{Area, Context, Object, Severity, Violation};

use crate::component::{self, bool_flag, flag_or_flags};
use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis};

declare_check! {
    /// ## What
    /// Fails when etcd's `--peer-auto-tls` is true (flag, `ETCD_PEER_AUTO_TLS`
    /// or the config file), which makes etcd generate its own peer certificate.
    ///
    /// ## Why
    /// Self-signed peer certificates cannot be verified, so members cannot
    /// tell a real peer from an impostor on the network.
    ///
    /// ## How to fix
    /// Remove `--peer-auto-tls` and give etcd a peer certificate from its CA
    /// (`--peer-cert-file`, `--peer-key-file`).
    /// ```yaml
    /// # /etc/kubernetes/manifests/etcd.yaml
    /// spec:
    ///   containers:
    ///   - name: etcd
    ///     command:
    ///     - etcd
    ///     - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
    ///     - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
    /// ```
    pub struct EtcdPeerAutoTls {
        code: "KG865",
        slug: "etcd-peer-auto-tls",
        title: "etcd must not use self-signed certificates with its peers",
        severity: Severity::High,
        area: Area::Etcd,
        kinds: &["Etcd"],
        profiles: CIS_HARDENING,
        references: &[cis("2.6")],
    }
}

impl EtcdPeerAutoTls {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if !component::is(obj, "Etcd") {
            return;
        }
        if bool_flag(obj, "peer-auto-tls", false) != Ok(false) {
            out.push(Violation::new(
                flag_or_flags(obj, "peer-auto-tls"),
                "etcd talks to its peers with a self-signed certificate (--peer-auto-tls)",
            ));
        }
    }
}
